#!/usr/bin/env bash
# Start and stop a standalone Apache ZooKeeper (Debian package `zookeeper`) for tests and benchmarks.
#
#   infra/zk.sh start DIR PORT   zoo.cfg, data, log and pid go to DIR; listens on 127.0.0.1:PORT;
#                                returns once the server answers `ruok` with `imok` (bounded wait).
#   infra/zk.sh stop DIR         SIGTERM, then SIGKILL after a bounded wait; idempotent.
#
# The server runs with every four-letter word enabled, TTL/container nodes enabled
# (zookeeper.extendedTypesEnabled=true) and the admin server disabled.
# Environment (optional):
#   ZK_JVMFLAGS            extra JVM flags, e.g. -Dzookeeper.DigestAuthenticationProvider.superDigest=super:...
#   ZK_TICK_TIME           tickTime in ms (default 2000)
#   ZK_START_TIMEOUT       seconds to wait for `ruok` (default 60)
#   ZK_STOP_TIMEOUT        seconds to wait after SIGTERM before SIGKILL (default 10)
set -euo pipefail

usage() {
  echo "usage: $0 start DIR PORT | stop DIR" >&2
  exit 2
}

# Prints the four-letter word's answer from 127.0.0.1:$1, or nothing when the port does not answer.
four_letter() {
  /usr/bin/python3 - "$1" "$2" <<'EOF' 2>/dev/null || true
import socket, sys
port, cmd = int(sys.argv[1]), sys.argv[2].encode()
try:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.settimeout(2)
        s.sendall(cmd)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    sys.stdout.write(out.decode("utf-8", "replace"))
except OSError:
    pass
EOF
}

# pid_alive PIDFILE: the process named in PIDFILE exists and is not a zombie.
pid_alive() {
  [[ -f "$1" ]] || return 1
  local pid state
  pid="$(cat "$1")"
  kill -0 "$pid" 2>/dev/null || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  [[ "$state" != "Z" ]]
}

start() {
  local dir="$1" port="$2"
  [[ "$port" =~ ^[0-9]+$ ]] || { echo "zk.sh: PORT must be a number, got '$port'" >&2; exit 2; }
  mkdir -p "$dir/data"
  dir="$(cd "$dir" && pwd)"
  if pid_alive "$dir/pid"; then
    echo "zk.sh: ZooKeeper already running in $dir (pid $(cat "$dir/pid"))" >&2
    exit 1
  fi
  if [[ "$(four_letter "$port" ruok)" == "imok" ]]; then
    echo "zk.sh: something already answers on 127.0.0.1:$port" >&2
    exit 1
  fi
  local jar=/usr/share/java/zookeeper.jar
  [[ -f "$jar" ]] || { echo "zk.sh: $jar not found; install the Debian package 'zookeeper'" >&2; exit 1; }

  cat >"$dir/zoo.cfg" <<EOF
tickTime=${ZK_TICK_TIME:-2000}
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
maxClientCnxns=0
4lw.commands.whitelist=*
admin.enableServer=false
EOF

  # zookeeper.jar's manifest carries its dependencies' class path; slf4j-simple gives readable logs.
  local cp="$jar"
  [[ -f /usr/share/java/slf4j-simple.jar ]] && cp="$cp:/usr/share/java/slf4j-simple.jar"
  # shellcheck disable=SC2086 # ZK_JVMFLAGS is a list of flags.
  setsid bash -c 'echo $$ >"$1/pid"; shift; exec "$@"' _ "$dir" \
    java -Xmx512m -Dzookeeper.extendedTypesEnabled=true -Dzookeeper.admin.enableServer=false \
      -Dorg.slf4j.simpleLogger.showDateTime=true ${ZK_JVMFLAGS:-} \
      -cp "$cp" org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zoo.cfg" \
      >"$dir/zk.log" 2>&1 </dev/null &

  local deadline=$((SECONDS + ${ZK_START_TIMEOUT:-60}))
  while (( SECONDS < deadline )); do
    if [[ "$(four_letter "$port" ruok)" == "imok" ]]; then
      echo "ZooKeeper pid $(cat "$dir/pid") serving on 127.0.0.1:$port (dir $dir)"
      return 0
    fi
    if [[ -f "$dir/pid" ]] && ! pid_alive "$dir/pid"; then
      echo "zk.sh: ZooKeeper exited during startup; last lines of $dir/zk.log:" >&2
      tail -n 40 "$dir/zk.log" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  echo "zk.sh: ZooKeeper did not answer ruok on 127.0.0.1:$port within ${ZK_START_TIMEOUT:-60}s; last lines of $dir/zk.log:" >&2
  tail -n 40 "$dir/zk.log" >&2 || true
  stop "$dir"
  exit 1
}

stop() {
  local dir="$1" pid
  [[ -f "$dir/pid" ]] || return 0
  pid="$(cat "$dir/pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + ${ZK_STOP_TIMEOUT:-10}))
    while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "zk.sh: pid $pid ignored SIGTERM; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$dir/pid"
}

case "${1:-}" in
  start) [[ $# -eq 3 ]] || usage; start "$2" "$3" ;;
  stop) [[ $# -eq 2 ]] || usage; stop "$2" ;;
  *) usage ;;
esac
