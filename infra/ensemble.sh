#!/usr/bin/env bash
# Run an ensemble of Orleans.Coordination silos on this machine.
#
#   infra/ensemble.sh start N DIR      build the server (Release) and start silos 1..N
#   infra/ensemble.sh start-one I DIR  start silo I again on its existing data, with the same arguments
#   infra/ensemble.sh stop DIR         stop every silo under DIR (SIGTERM, then SIGKILL); idempotent
#   infra/ensemble.sh status DIR       one line per silo: running/stopped and what `ruok` answers
#   infra/ensemble.sh leader DIR       the id of the silo whose `srvr` says "Mode: leader" (exit 1 if none)
#
# N = 1 is a standalone silo; N = 3 or 5 (any N > 1) an ensemble replicating through its leader.
# Silo i: clients on 127.0.0.1:(2180+i), admin port 8080+i, quorum port 2890+i, election port 3890+i,
# data in DIR/s<i>/data, log in DIR/s<i>/silo.log, pid of the dotnet process in DIR/s<i>/pid.
# `start` returns once every silo answers `ruok` with `imok` and serves a session (handshake +
# getChildren "/"); an ensemble member serves only once it has joined an elected leader.
# Environment (optional):
#   ENSEMBLE_CLIENT_PORT_BASE (2180), ENSEMBLE_ADMIN_PORT_BASE (8080),
#   ENSEMBLE_QUORUM_PORT_BASE (2890), ENSEMBLE_ELECTION_PORT_BASE (3890)
#   ENSEMBLE_START_TIMEOUT    seconds to wait for all silos (default 60)
#   ENSEMBLE_STOP_TIMEOUT     seconds between SIGTERM and SIGKILL (default 10)
#   ENSEMBLE_NO_BUILD=1       skip the build step
#   ENSEMBLE_SILO_ARGS        extra `--key value` arguments passed to every silo
#   ENSEMBLE_SPIN_LIMIT       thread-pool spin limit for the members of an ensemble (N > 1) on this
#                             one host (default 10; the runtime's own default is 70; a standalone silo
#                             keeps the runtime's); DOTNET_ThreadPool_UnfairSemaphoreSpinLimit, when
#                             set, wins for every silo
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
server_project="$repo/src/Orleans.Coordination.Server"
server_dll="$server_project/bin/Release/net10.0/Orleans.Coordination.Server.dll"
client_base="${ENSEMBLE_CLIENT_PORT_BASE:-2180}"
admin_base="${ENSEMBLE_ADMIN_PORT_BASE:-8080}"
quorum_base="${ENSEMBLE_QUORUM_PORT_BASE:-2890}"
election_base="${ENSEMBLE_ELECTION_PORT_BASE:-3890}"

usage() {
  echo "usage: $0 start N DIR | start-one I DIR | stop DIR | status DIR | leader DIR" >&2
  exit 2
}

die() {
  echo "ensemble.sh: $*" >&2
  exit 1
}

# probe PORT: exit 0 when the server answers ruok with imok AND serves a session
# (ConnectRequest -> ConnectResponse with a positive timeout, getChildren("/") -> err 0, closeSession).
# Prints the reason on failure.
probe() {
  /usr/bin/python3 - "$1" <<'EOF'
import socket, struct, sys
port = int(sys.argv[1])

def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise OSError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf

def frame(s):
    (n,) = struct.unpack(">i", recv_exact(s, 4))
    return recv_exact(s, n)

try:
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        s.sendall(b"ruok")
        answer = s.recv(16)
    if answer != b"imok":
        print("ruok answered %r" % answer)
        sys.exit(1)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        # ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd(16 zero bytes), readOnly
        body = struct.pack(">iqiqi16sB", 0, 0, 10000, 0, 16, b"\0" * 16, 0)
        s.sendall(struct.pack(">i", len(body)) + body)
        resp = frame(s)
        _, timeout, session = struct.unpack(">iiq", resp[:16])
        if timeout <= 0:
            print("handshake refused (timeOut=%d)" % timeout)
            sys.exit(1)
        path = b"/"
        req = struct.pack(">iii", 1, 8, len(path)) + path + b"\0"  # getChildren("/", watch=false)
        s.sendall(struct.pack(">i", len(req)) + req)
        xid, zxid, err = struct.unpack(">iqi", frame(s)[:16])
        if xid != 1 or err != 0:
            print("getChildren / answered xid=%d err=%d" % (xid, err))
            sys.exit(1)
        close = struct.pack(">ii", 2, -11)
        s.sendall(struct.pack(">i", len(close)) + close)
        try:
            frame(s)
        except OSError:
            pass
except OSError as e:
    print("not serving: %s" % e)
    sys.exit(1)
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

build() {
  [[ "${ENSEMBLE_NO_BUILD:-0}" == "1" ]] && return 0
  echo "ensemble.sh: building $server_project (Release)"
  if ! dotnet build -c Release "$server_project" -nologo -v q >"${TMPDIR:-/tmp}/ensemble-build.$$.log" 2>&1; then
    tail -n 40 "${TMPDIR:-/tmp}/ensemble-build.$$.log" >&2
    rm -f "${TMPDIR:-/tmp}/ensemble-build.$$.log"
    die "build of the server failed"
  fi
  rm -f "${TMPDIR:-/tmp}/ensemble-build.$$.log"
}

# launch_silo I DIR: starts silo I detached; does not wait.
launch_silo() {
  local i="$1" dir="$2"
  local sdir="$dir/s$i"
  local port=$((client_base + i)) admin=$((admin_base + i))
  [[ -f "$server_dll" ]] || die "$server_dll not found (build failed or ENSEMBLE_NO_BUILD=1 without a build)"
  # A silo killed a moment ago (kill -9 just before start-one) may still be exiting.
  local grace=$((SECONDS + 3))
  while pid_alive "$sdir/pid" && ((SECONDS < grace)); do sleep 0.1; done
  if pid_alive "$sdir/pid"; then
    die "silo $i already running (pid $(cat "$sdir/pid"))"
  fi
  if probe "$port" >/dev/null 2>&1; then
    die "something already serves 127.0.0.1:$port"
  fi
  mkdir -p "$sdir/data"
  local args=(--config "$repo/silo.json" --serverId "$i" --clientPort "$port" --clientAddress 127.0.0.1
    --dataDir "$sdir/data" --admin.port "$admin" --fourLetterWords '*')
  # Every member gets the whole member list (written to DIR/ensemble.env by `start`).
  local members
  members="$(ensemble_members "$dir")"
  [[ -n "$members" ]] && args+=(--ensemble.members "$members")
  # shellcheck disable=SC2206 # ENSEMBLE_SILO_ARGS is a word list on purpose.
  args+=(${ENSEMBLE_SILO_ARGS:-})
  # Several silos on one host: idle thread-pool workers that spin (the runtime's default limit is
  # 70) take the CPU the other silos' apply loops and fsync completions need. A lower limit makes
  # co-located ensembles faster (docs/benchmarks.md, "Thread-pool spinning"); a standalone silo
  # keeps the default, where spinning is what makes one-request-at-a-time latency low.
  local spin="${DOTNET_ThreadPool_UnfairSemaphoreSpinLimit:-}"
  if [[ -z "$spin" && -n "$members" ]]; then
    spin="${ENSEMBLE_SPIN_LIMIT:-10}"
  fi
  echo "$(date -u +%FT%TZ) starting silo $i: ${spin:+DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=$spin }dotnet $server_dll ${args[*]}" >>"$sdir/silo.log"
  # The inner bash writes its own pid and then execs dotnet, so the pid file names the dotnet process.
  (cd "$repo" && { [[ -z "$spin" ]] || export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit="$spin"; } &&
    exec setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$sdir/pid" \
    dotnet "$server_dll" "${args[@]}" >>"$sdir/silo.log" 2>&1 </dev/null) &
  disown $! 2>/dev/null || true
}

# wait_ready DIR I...: waits until every listed silo is serving, bounded.
wait_ready() {
  local dir="$1"
  shift
  local pending=("$@") timeout="${ENSEMBLE_START_TIMEOUT:-60}"
  local deadline=$((SECONDS + timeout)) reason
  declare -A last_reason=()
  while ((${#pending[@]} > 0)); do
    local still=()
    for i in "${pending[@]}"; do
      if reason="$(probe $((client_base + i)) 2>&1)"; then
        echo "silo $i serving on 127.0.0.1:$((client_base + i)) (pid $(cat "$dir/s$i/pid"))"
        continue
      fi
      last_reason[$i]="$reason"
      if [[ -f "$dir/s$i/pid" ]] && ! pid_alive "$dir/s$i/pid"; then
        echo "ensemble.sh: silo $i exited during startup; last lines of $dir/s$i/silo.log:" >&2
        tail -n 40 "$dir/s$i/silo.log" >&2 || true
        stop_all "$dir"
        exit 1
      fi
      still+=("$i")
    done
    pending=("${still[@]+"${still[@]}"}")
    ((${#pending[@]} == 0)) && break
    if ((SECONDS >= deadline)); then
      for i in "${pending[@]}"; do
        echo "ensemble.sh: silo $i not serving on 127.0.0.1:$((client_base + i)) after ${timeout}s (${last_reason[$i]:-no answer}); last lines of $dir/s$i/silo.log:" >&2
        tail -n 40 "$dir/s$i/silo.log" >&2 || true
      done
      stop_all "$dir"
      exit 1
    fi
    sleep 0.25
  done
}

stop_pid_file() {
  local file="$1" pid
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + ${ENSEMBLE_STOP_TIMEOUT:-10}))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "ensemble.sh: pid $pid ignored SIGTERM; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

stop_all() {
  local dir="$1" f
  [[ -d "$dir" ]] || return 0
  # SIGTERM all first so the silos shut down in parallel, then wait for each.
  for f in "$dir"/s*/pid; do
    [[ -f "$f" ]] && kill -TERM "$(cat "$f")" 2>/dev/null || true
  done
  for f in "$dir"/s*/pid; do
    [[ -f "$f" ]] && stop_pid_file "$f"
  done
  return 0
}

ensemble_members() {
  local dir="$1"
  [[ -f "$dir/ensemble.env" ]] || return 0
  # shellcheck disable=SC1091
  (source "$dir/ensemble.env" && echo "${ENSEMBLE_MEMBERS:-}")
}

# member_list N: id=127.0.0.1:quorum:election:voter;client for silos 1..N (empty for N = 1: standalone).
member_list() {
  local n="$1" j list=""
  ((n > 1)) || return 0
  for ((j = 1; j <= n; j++)); do
    list+="${list:+,}$j=127.0.0.1:$((quorum_base + j)):$((election_base + j)):voter;$((client_base + j))"
  done
  echo "$list"
}

ensemble_size() {
  local dir="$1"
  [[ -f "$dir/ensemble.env" ]] || die "$dir/ensemble.env not found: start the ensemble with '$0 start N $dir' first"
  # shellcheck disable=SC1091
  (source "$dir/ensemble.env" && echo "$ENSEMBLE_SIZE")
}

cmd="${1:-}"
case "$cmd" in
  start)
    [[ $# -eq 3 ]] || usage
    n="$2"
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number, got '$n'"
    mkdir -p "$3"
    dir="$(cd "$3" && pwd)"
    build
    printf 'ENSEMBLE_SIZE=%s\nENSEMBLE_MEMBERS=%q\n' "$n" "$(member_list "$n")" >"$dir/ensemble.env"
    ids=()
    for ((i = 1; i <= n; i++)); do
      launch_silo "$i" "$dir"
      ids+=("$i")
    done
    wait_ready "$dir" "${ids[@]}"
    ;;
  start-one)
    [[ $# -eq 3 ]] || usage
    i="$2"
    [[ -d "$3" ]] || die "$3 does not exist"
    dir="$(cd "$3" && pwd)"
    n="$(ensemble_size "$dir")"
    [[ "$i" =~ ^[1-9][0-9]*$ ]] && ((i <= n)) || die "I must be between 1 and $n, got '$i'"
    [[ -d "$dir/s$i/data" ]] || die "$dir/s$i/data does not exist: silo $i was never started"
    build
    launch_silo "$i" "$dir"
    wait_ready "$dir" "$i"
    ;;
  stop)
    [[ $# -eq 2 ]] || usage
    stop_all "$2"
    ;;
  status)
    [[ $# -eq 2 ]] || usage
    dir="$2"
    for sdir in "$dir"/s*/; do
      [[ -d "$sdir" ]] || continue
      i="${sdir%/}"
      i="${i##*/s}"
      state=stopped
      pid_alive "$sdir/pid" && state="running pid $(cat "$sdir/pid")"
      echo "silo $i: $state, port $((client_base + i)): $(probe $((client_base + i)) 2>&1 && echo serving)"
    done
    ;;
  leader)
    [[ $# -eq 2 ]] || usage
    dir="$2"
    for sdir in "$dir"/s*/; do
      [[ -d "$sdir" ]] || continue
      i="${sdir%/}"
      i="${i##*/s}"
      if /usr/bin/python3 - $((client_base + i)) <<'EOF'
import socket, sys
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as s:
        s.sendall(b"srvr")
        out = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
    sys.exit(0 if b"Mode: leader" in out else 1)
except OSError:
    sys.exit(1)
EOF
      then
        echo "$i"
        exit 0
      fi
    done
    exit 1
    ;;
  *) usage ;;
esac
