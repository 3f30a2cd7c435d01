#!/usr/bin/env bash
# Start and stop Apache ZooKeeper (Debian package `zookeeper`) for tests and benchmarks.
#
#   infra/zk.sh start DIR PORT   standalone: zoo.cfg, data, log and pid go to DIR; listens on
#                                127.0.0.1:PORT; returns once the server answers `ruok` with `imok`
#                                (bounded wait).
#   infra/zk.sh start-ensemble N DIR [CLIENT_PORT_BASE]
#                                N servers on loopback: server i in DIR/zk<i> (zoo.cfg, data/myid,
#                                zk.log, pid), clients on 127.0.0.1:(CLIENT_PORT_BASE+i) (default
#                                2280), server.i=127.0.0.1:(ZK_PEER_PORT_BASE+i):(ZK_ELECTION_PORT_BASE+i);
#                                returns once every server's `srvr` says Mode: leader or follower.
#   infra/zk.sh stop DIR         SIGTERM, then SIGKILL after a bounded wait; idempotent. Stops the
#                                standalone server in DIR and every ensemble server under DIR.
#   infra/zk.sh leader DIR       the id of the ensemble server whose `srvr` says Mode: leader
#
# The server runs with every four-letter word enabled, TTL/container nodes enabled
# (zookeeper.extendedTypesEnabled=true) and the admin server disabled.
# Environment (optional):
#   ZK_JVMFLAGS            extra JVM flags, e.g. -Dzookeeper.DigestAuthenticationProvider.superDigest=super:...
#   ZK_TICK_TIME           tickTime in ms (default 2000)
#   ZK_START_TIMEOUT       seconds to wait for `ruok` (default 60)
#   ZK_STOP_TIMEOUT        seconds to wait after SIGTERM before SIGKILL (default 10)
#   ZK_HEAP                -Xmx (default 512m)
#   ZK_PEER_PORT_BASE      ensemble quorum ports (default 2880)
#   ZK_ELECTION_PORT_BASE  ensemble election ports (default 3880)
# An ensemble otherwise keeps the Debian package's defaults (/etc/zookeeper/conf/zoo.cfg): tickTime
# 2000, initLimit 10, syncLimit 5, and ZooKeeper's forceSync=yes.
set -euo pipefail

usage() {
  echo "usage: $0 start DIR PORT | start-ensemble N DIR [CLIENT_PORT_BASE] | stop DIR | leader DIR" >&2
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

# server_cfg DIR PORT: the zoo.cfg lines every server here shares (data in DIR/data, clients on 127.0.0.1:PORT).
server_cfg() {
  cat <<EOF
tickTime=${ZK_TICK_TIME:-2000}
dataDir=$1/data
clientPort=$2
clientPortAddress=127.0.0.1
maxClientCnxns=0
4lw.commands.whitelist=*
admin.enableServer=false
EOF
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

  server_cfg "$dir" "$port" >"$dir/zoo.cfg"

  # zookeeper.jar's manifest carries its dependencies' class path; slf4j-simple gives readable logs.
  local cp="$jar"
  [[ -f /usr/share/java/slf4j-simple.jar ]] && cp="$cp:/usr/share/java/slf4j-simple.jar"
  # shellcheck disable=SC2086 # ZK_JVMFLAGS is a list of flags.
  setsid bash -c 'echo $$ >"$1/pid"; shift; exec "$@"' _ "$dir" \
    java -Xmx"${ZK_HEAP:-512m}" -Dzookeeper.extendedTypesEnabled=true -Dzookeeper.admin.enableServer=false \
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

# mode PORT: the Mode line of `srvr` (leader, follower, standalone...), or nothing.
mode() {
  four_letter "$1" srvr | sed -n 's/^Mode: //p'
}

start_ensemble() {
  local n="$1" dir="$2" base="$3"
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "zk.sh: N must be a positive number, got '$n'" >&2; exit 2; }
  [[ "$base" =~ ^[0-9]+$ ]] || { echo "zk.sh: CLIENT_PORT_BASE must be a number, got '$base'" >&2; exit 2; }
  local peer="${ZK_PEER_PORT_BASE:-2880}" election="${ZK_ELECTION_PORT_BASE:-3880}"
  local jar=/usr/share/java/zookeeper.jar
  [[ -f "$jar" ]] || { echo "zk.sh: $jar not found; install the Debian package 'zookeeper'" >&2; exit 1; }
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  local i j servers=""
  for ((j = 1; j <= n; j++)); do
    servers+="server.$j=127.0.0.1:$((peer + j)):$((election + j))"$'\n'
  done
  for ((i = 1; i <= n; i++)); do
    local sdir="$dir/zk$i" port=$((base + i))
    if pid_alive "$sdir/pid"; then
      echo "zk.sh: ZooKeeper $i already running in $sdir (pid $(cat "$sdir/pid"))" >&2
      exit 1
    fi
    if [[ -n "$(four_letter "$port" ruok)" ]]; then
      echo "zk.sh: something already answers on 127.0.0.1:$port" >&2
      exit 1
    fi
    mkdir -p "$sdir/data"
    echo "$i" >"$sdir/data/myid"
    {
      printf 'initLimit=10\nsyncLimit=5\nforceSync=yes\n'
      server_cfg "$sdir" "$port"
    } >"$sdir/zoo.cfg"
    printf '%s' "$servers" >>"$sdir/zoo.cfg"
  done
  local cp="$jar"
  [[ -f /usr/share/java/slf4j-simple.jar ]] && cp="$cp:/usr/share/java/slf4j-simple.jar"
  for ((i = 1; i <= n; i++)); do
    local sdir="$dir/zk$i"
    # shellcheck disable=SC2086 # ZK_JVMFLAGS is a list of flags.
    setsid bash -c 'echo $$ >"$1/pid"; shift; exec "$@"' _ "$sdir" \
      java -Xmx"${ZK_HEAP:-512m}" -Dzookeeper.extendedTypesEnabled=true -Dzookeeper.admin.enableServer=false \
        -Dorg.slf4j.simpleLogger.showDateTime=true ${ZK_JVMFLAGS:-} \
        -cp "$cp" org.apache.zookeeper.server.quorum.QuorumPeerMain "$sdir/zoo.cfg" \
        >"$sdir/zk.log" 2>&1 </dev/null &
  done

  local deadline=$((SECONDS + ${ZK_START_TIMEOUT:-60})) pending m
  while true; do
    pending=0
    for ((i = 1; i <= n; i++)); do
      local sdir="$dir/zk$i"
      if [[ -f "$sdir/pid" ]] && ! pid_alive "$sdir/pid"; then
        echo "zk.sh: ZooKeeper $i exited during startup; last lines of $sdir/zk.log:" >&2
        tail -n 40 "$sdir/zk.log" >&2 || true
        stop "$dir"
        exit 1
      fi
      m="$(mode $((base + i)))"
      [[ "$m" == leader || "$m" == follower ]] || pending=$((pending + 1))
    done
    ((pending == 0)) && break
    if ((SECONDS >= deadline)); then
      echo "zk.sh: $pending of $n ZooKeeper servers not leader/follower within ${ZK_START_TIMEOUT:-60}s; see $dir/zk*/zk.log" >&2
      for ((i = 1; i <= n; i++)); do tail -n 10 "$dir/zk$i/zk.log" >&2 || true; done
      stop "$dir"
      exit 1
    fi
    sleep 0.25
  done
  for ((i = 1; i <= n; i++)); do
    echo "ZooKeeper $i pid $(cat "$dir/zk$i/pid") $(mode $((base + i))) on 127.0.0.1:$((base + i)) (dir $dir/zk$i)"
  done
  printf 'ZK_ENSEMBLE_SIZE=%s\nZK_CLIENT_PORT_BASE=%s\n' "$n" "$base" >"$dir/ensemble.env"
}

stop_any() {
  local dir="$1" f
  [[ -d "$dir" ]] || return 0
  # SIGTERM every ensemble server first so they shut down in parallel, then wait for each.
  for f in "$dir"/zk*/pid; do
    [[ -f "$f" ]] && kill -TERM "$(cat "$f")" 2>/dev/null || true
  done
  for f in "$dir"/zk*/pid; do
    [[ -f "$f" ]] && stop "$(dirname "$f")"
  done
  stop "$dir"
}

leader() {
  local dir="$1" i base n
  [[ -f "$dir/ensemble.env" ]] || { echo "zk.sh: $dir/ensemble.env not found" >&2; exit 1; }
  # shellcheck disable=SC1091
  n="$(source "$dir/ensemble.env" && echo "$ZK_ENSEMBLE_SIZE")"
  # shellcheck disable=SC1091
  base="$(source "$dir/ensemble.env" && echo "$ZK_CLIENT_PORT_BASE")"
  for ((i = 1; i <= n; i++)); do
    if [[ "$(mode $((base + i)))" == leader ]]; then
      echo "$i"
      return 0
    fi
  done
  exit 1
}

case "${1:-}" in
  start) [[ $# -eq 3 ]] || usage; start "$2" "$3" ;;
  start-ensemble) [[ $# -eq 3 || $# -eq 4 ]] || usage; start_ensemble "$2" "$3" "${4:-2280}" ;;
  stop) [[ $# -eq 2 ]] || usage; stop_any "$2" ;;
  leader) [[ $# -eq 2 ]] || usage; leader "$2" ;;
  *) usage ;;
esac
