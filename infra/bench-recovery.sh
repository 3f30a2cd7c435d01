#!/usr/bin/env bash
# Memory, snapshot and kill -9 recovery with 1M znodes: our silo, then Apache ZooKeeper standalone.
#
#   infra/bench-recovery.sh [WORKDIR]
#
# For each server in turn (never both at once), on a fresh data directory under WORKDIR (default: a
# new temporary directory, removed at the end unless KEEP=1):
#   1. start it standalone; load NODES znodes of PAYLOAD bytes with the load generator
#      (--op create --count NODES, CONNECTIONS x INFLIGHT), then create /recovery-probe;
#   2. memory: VmRSS of the server process (/proc/PID/status) after the load and, for ZooKeeper,
#      the live heap after a full GC (jcmd PID GC.run; jcmd PID GC.heap_info);
#   3. kill -9, restart on the same data, and time from the restart until a client reads
#      /recovery-probe with its data (the poller connects every 20 ms); RSS again after the restart;
#   4. snapshot time: both servers snapshot in the background every snapCount txns (100000,
#      randomised per server) and log it: ours "Snapshot N at zxid ...: K nodes ... in X ms",
#      ZooKeeper "Snapshot taken in X ms". The last one (taken with the most nodes) is reported,
#      with the restart's phases from each server's log.
# Prints one table and writes it to WORKDIR/recovery.md.
#
# Environment (optional):
#   NODES (1000000)  PAYLOAD (100)  CONNECTIONS (16)  INFLIGHT (64)
#   SILO_PORT (2191)  ZK_PORT (2192)
#   ZK_HEAP (2g)            -Xmx for ZooKeeper (infra/zk.sh defaults to 512m, too small for 1M znodes)
#   LOAD_TIMEOUT (1800)     seconds allowed for the load of one server
#   RESTART_TIMEOUT (300)   seconds allowed from restart to serving the probe
#   SERVERS ("silo zk")     which servers to run, in order
#   RESTARTS (1)            kill -9 and restart this many times; the table gives the median and every time
#   NO_BUILD=1              skip building the server and the load generator
#   KEEP=1                  keep WORKDIR (data, logs) afterwards
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
nodes="${NODES:-1000000}"
payload="${PAYLOAD:-100}"
connections="${CONNECTIONS:-16}"
inflight="${INFLIGHT:-64}"
silo_port="${SILO_PORT:-2191}"
zk_port="${ZK_PORT:-2192}"
zk_heap="${ZK_HEAP:-2g}"
load_timeout="${LOAD_TIMEOUT:-1800}"
restart_timeout="${RESTART_TIMEOUT:-300}"
restarts="${RESTARTS:-1}"
[[ "$restarts" =~ ^[1-9][0-9]*$ ]] || { echo "bench-recovery.sh: RESTARTS must be a positive integer, not '$restarts'" >&2; exit 1; }
servers="${SERVERS:-silo zk}"
server_dll="$repo/src/Orleans.Coordination.Server/bin/Release/net10.0/Orleans.Coordination.Server.dll"
bench_dll="$repo/tests/Orleans.Coordination.Benchmarks/bin/Release/net10.0/Orleans.Coordination.Benchmarks.dll"

die() {
  echo "bench-recovery.sh: $*" >&2
  exit 1
}

if [[ $# -ge 1 ]]; then
  work="$1"
  mkdir -p "$work"
  work="$(cd "$work" && pwd)"
  created_work=0
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/bench-recovery.XXXXXX")"
  created_work=1
fi

silo_pid=""
cleanup() {
  # Stop only what this script started.
  if [[ -n "$silo_pid" ]] && kill -0 "$silo_pid" 2>/dev/null; then
    kill -KILL "$silo_pid" 2>/dev/null || true
  fi
  [[ -d "$work/zk" ]] && "$repo/infra/zk.sh" stop "$work/zk" >/dev/null 2>&1 || true
  if [[ "${KEEP:-0}" != "1" ]]; then
    if [[ "$created_work" == "1" ]]; then
      rm -rf "$work"
    else
      rm -rf "$work/silo" "$work/zk"
    fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ "${NO_BUILD:-0}" != "1" ]]; then
  echo "building the server and the load generator (Release)"
  dotnet build -c Release "$repo/src/Orleans.Coordination.Server" -nologo -v q >"$work/build.log" 2>&1 \
    || { tail -n 40 "$work/build.log" >&2; die "server build failed"; }
  dotnet build -c Release "$repo/tests/Orleans.Coordination.Benchmarks" -nologo -v q >>"$work/build.log" 2>&1 \
    || { tail -n 40 "$work/build.log" >&2; die "load generator build failed"; }
fi
[[ -f "$server_dll" ]] || die "$server_dll not found"
[[ -f "$bench_dll" ]] || die "$bench_dll not found"

# A minimal ZooKeeper-protocol client: `create PORT PATH DATA` (once the server serves) and
# `await PORT PATH DATA T0 TIMEOUT` (poll until getData(PATH) returns DATA; prints the seconds
# elapsed since the epoch time T0).
cat >"$work/zkprobe.py" <<'EOF'
import socket, struct, sys, time

def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise OSError("connection closed")
        buf += chunk
    return buf

def frame(s):
    (n,) = struct.unpack(">i", recv_exact(s, 4))
    return recv_exact(s, n)

def session(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    body = struct.pack(">iqiqi16sB", 0, 0, 10000, 0, 16, b"\0" * 16, 0)
    s.sendall(struct.pack(">i", len(body)) + body)
    (_, timeout) = struct.unpack(">ii", frame(s)[:8])
    if timeout <= 0:
        s.close()
        raise OSError("session refused")
    return s

def request(s, xid, op, body):
    s.sendall(struct.pack(">iii", 8 + len(body), xid, op) + body)
    while True:
        resp = frame(s)
        rxid, _, err = struct.unpack(">iqi", resp[:16])
        if rxid == xid:
            return err, resp[16:]

def string(b):
    return struct.pack(">i", len(b)) + b

def create(port, path, data):
    acl = struct.pack(">i", 1) + struct.pack(">i", 31) + string(b"world") + string(b"anyone")
    with session(port) as s:
        err, _ = request(s, 1, 1, string(path) + string(data) + acl + struct.pack(">i", 0))
        if err != 0:
            raise SystemExit("create %s failed: error %d" % (path.decode(), err))

def get(port, path):
    with session(port) as s:
        err, body = request(s, 1, 4, string(path) + b"\0")
        if err != 0:
            return None
        (n,) = struct.unpack(">i", body[:4])
        return body[4:4 + n] if n >= 0 else b""

cmd, port, path, data = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4].encode()
if cmd == "create":
    create(port, path, data)
else:
    t0, deadline = float(sys.argv[5]), time.time() + float(sys.argv[6])
    while time.time() < deadline:
        try:
            if get(port, path) == data:
                print("%.3f" % (time.time() - t0))
                sys.exit(0)
        except OSError:
            pass
        time.sleep(0.02)
    raise SystemExit("no answer with the probe's data within %s s" % sys.argv[6])
EOF

rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
hwm_mb() { awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# phases T0: our silo's log lines (stdin) from Loaded/Recovered/serving, as seconds after T0.
phases() {
  python3 -c '
import datetime, re, sys
t0 = float(sys.argv[1])
out = []
for line in sys.stdin:
    m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \w+: \S+ (.*)", line)
    if m and re.match(r"(Loaded |Recovered |Silo \d+ serving)", m.group(2)):
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
        out.append("+%.2f s: %s" % (t - t0, m.group(2).strip()))
print("; ".join(out))
' "$1"
}

# ZooKeeper live heap after a full GC, in MB (empty when jcmd is missing or fails).
jvm_live_mb() {
  command -v jcmd >/dev/null 2>&1 || return 0
  timeout 60 jcmd "$1" GC.run >/dev/null 2>&1 || return 0
  sleep 1
  # G1: "garbage-first heap   total 2097152K, used 401234K"
  timeout 60 jcmd "$1" GC.heap_info 2>/dev/null | awk '/total .*used/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K.*/, "", v); printf "%.0f", v / 1024; exit } }'
}

# load PORT NAME: NODES creates of PAYLOAD bytes; prints "seconds rate errors".
load() {
  local port="$1" name="$2"
  timeout "$load_timeout" dotnet "$bench_dll" --servers "127.0.0.1:$port" --op create --payload "$payload" \
    --connections "$connections" --inflight "$inflight" --count "$nodes" --keys 1 \
    --json "$work/$name-load.json" >"$work/$name-load.txt" 2>&1 || { cat "$work/$name-load.txt" >&2; die "$name: load failed"; }
  cat "$work/$name-load.txt" >&2
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.1f %.0f %d" % (r["Seconds"], r["Throughput"], r["Errors"]))' "$work/$name-load.json"
}

start_silo() {
  local dir="$1"
  (cd "$repo" && exec dotnet "$server_dll" --config "$repo/silo.json" --clientPort "$silo_port" --clientAddress 127.0.0.1 \
    --dataDir "$dir/data" --admin.enabled false --fourLetterWords '*' >>"$dir/silo.log" 2>&1 </dev/null) &
  silo_pid=$!
}

stop_silo() {
  [[ -n "$silo_pid" ]] || return 0
  kill -TERM "$silo_pid" 2>/dev/null || true
  local deadline=$((SECONDS + 15))
  while kill -0 "$silo_pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  kill -KILL "$silo_pid" 2>/dev/null || true
  wait "$silo_pid" 2>/dev/null || true
  silo_pid=""
}

declare -A R

# median T...: the middle value (the lower of the two middle ones for an even count)
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
join_times() { local IFS=/; echo "$*" | sed 's:/: / :g'; }
probe_data="probe-$RANDOM$RANDOM"

run_silo() {
  local dir="$work/silo" t0
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "== our silo: starting on 127.0.0.1:$silo_port (data $dir/data)"
  start_silo "$dir"
  python3 "$work/zkprobe.py" await "$silo_port" / "" "$(date +%s.%N)" 60 >/dev/null \
    || die "our silo did not start; see $dir/silo.log"
  echo "== our silo: loading $nodes znodes of $payload bytes"
  local loaded
  loaded="$(load "$silo_port" silo)"
  read -r "R[silo_load_s]" "R[silo_load_rate]" "R[silo_load_err]" <<<"$loaded"
  python3 "$work/zkprobe.py" create "$silo_port" /recovery-probe "$probe_data"
  sleep 5 # let a background snapshot that is still being written finish
  R[silo_rss]="$(rss_mb "$silo_pid")"
  R[silo_hwm]="$(hwm_mb "$silo_pid")"
  local snap
  snap="$(grep -E 'Snapshot .* at zxid .* in [0-9]+ ms' "$dir/silo.log" | tail -n 1 || true)"
  R[silo_snap_ms]="$(sed -E 's/.* in ([0-9]+) ms.*/\1/' <<<"$snap")"
  R[silo_snap_nodes]="$(sed -E 's/.*: ([0-9]+) nodes.*/\1/' <<<"$snap")"
  R[silo_snaps]="$(grep -cE 'Snapshot .* at zxid .* in [0-9]+ ms' "$dir/silo.log" || true)"
  echo "== our silo: RSS ${R[silo_rss]} MB (peak ${R[silo_hwm]} MB); last snapshot: ${snap:-none}"

  local times=() k
  for ((k = 1; k <= restarts; k++)); do
    echo "== our silo: kill -9 and restart ($k of $restarts)"
    kill -KILL "$silo_pid"
    wait "$silo_pid" 2>/dev/null || true
    silo_pid=""
    t0="$(date +%s.%N)"
    echo "----- restart after kill -9 at $t0 -----" >>"$dir/silo.log"
    start_silo "$dir"
    times+=("$(python3 "$work/zkprobe.py" await "$silo_port" /recovery-probe "$probe_data" "$t0" "$restart_timeout")") \
      || die "our silo did not serve /recovery-probe after restart; see $dir/silo.log"
    ((k == restarts)) || echo "== our silo: serving after ${times[-1]} s"
  done
  R[silo_restart_s]="$(median "${times[@]}")"
  R[silo_restart_all]="$(join_times "${times[@]}")"
  sleep 2
  R[silo_rss2]="$(rss_mb "$silo_pid")"
  R[silo_recovery_log]="$(sed -n "/restart after kill -9 at $t0/,\$p" "$dir/silo.log" | phases "$t0")"
  R[silo_disk]="$(du -sm "$dir/data" | cut -f1)"
  echo "== our silo: serving after ${R[silo_restart_s]} s; RSS ${R[silo_rss2]} MB"
  stop_silo
  [[ "${KEEP:-0}" == "1" ]] || rm -rf "$dir/data"
}

run_zk() {
  local dir="$work/zk" t0 pid
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "== ZooKeeper: starting on 127.0.0.1:$zk_port (-Xmx$zk_heap, data $dir/data)"
  ZK_JVMFLAGS="-Xmx$zk_heap ${ZK_JVMFLAGS:-}" "$repo/infra/zk.sh" start "$dir" "$zk_port"
  pid="$(cat "$dir/pid")"
  # ZooKeeper answers ruok before it accepts sessions: wait for one.
  python3 "$work/zkprobe.py" await "$zk_port" / "" "$(date +%s.%N)" 60 >/dev/null \
    || die "ZooKeeper does not serve sessions; see $dir/zk.log"
  echo "== ZooKeeper: loading $nodes znodes of $payload bytes"
  local loaded
  loaded="$(load "$zk_port" zk)"
  read -r "R[zk_load_s]" "R[zk_load_rate]" "R[zk_load_err]" <<<"$loaded"
  python3 "$work/zkprobe.py" create "$zk_port" /recovery-probe "$probe_data"
  sleep 5
  R[zk_rss]="$(rss_mb "$pid")"
  R[zk_hwm]="$(hwm_mb "$pid")"
  R[zk_live]="$(jvm_live_mb "$pid")"
  R[zk_rss_gc]="$(rss_mb "$pid")"
  R[zk_snaps]="$(grep -c 'Snapshot taken in' "$dir/zk.log" || true)"
  local zsnap
  zsnap="$(grep -E 'Snapshot taken in [0-9]+ ms' "$dir/zk.log" | tail -n 1 || true)"
  R[zk_snap_ms]="$(sed -E 's/.*Snapshot taken in ([0-9]+) ms.*/\1/' <<<"$zsnap")"
  echo "== ZooKeeper: RSS ${R[zk_rss]} MB (peak ${R[zk_hwm]} MB), live heap after GC ${R[zk_live]:-?} MB"

  local times=() k starter
  mv "$dir/zk.log" "$dir/zk-load.log"
  for ((k = 1; k <= restarts; k++)); do
    echo "== ZooKeeper: kill -9 and restart ($k of $restarts)"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    if [[ -f "$dir/zk.log" ]]; then
      mv "$dir/zk.log" "$dir/zk-restart-$((k - 1)).log"
    fi
    t0="$(date +%s.%N)"
    ZK_JVMFLAGS="-Xmx$zk_heap ${ZK_JVMFLAGS:-}" ZK_START_TIMEOUT="$restart_timeout" "$repo/infra/zk.sh" start "$dir" "$zk_port" >/dev/null &
    starter=$!
    times+=("$(python3 "$work/zkprobe.py" await "$zk_port" /recovery-probe "$probe_data" "$t0" "$restart_timeout")") \
      || die "ZooKeeper did not serve /recovery-probe after restart; see $dir/zk.log"
    wait "$starter" || true
    pid="$(cat "$dir/pid")"
    ((k == restarts)) || echo "== ZooKeeper: serving after ${times[-1]} s"
  done
  R[zk_restart_s]="$(median "${times[@]}")"
  R[zk_restart_all]="$(join_times "${times[@]}")"
  sleep 2
  R[zk_rss2]="$(rss_mb "$pid")"
  R[zk_live2]="$(jvm_live_mb "$pid")"
  R[zk_recovery_log]="$(grep -E 'Snapshot loaded in|txns loaded in|Snapshot taken in|binding to port' "$dir/zk.log" | sed -E 's/^([0-9]+) \[[^]]*\] [A-Z]+ [^ ]+ - /+\1 ms (since JVM start): /' | tr '\n' ';')"
  R[zk_snap_load_ms]="$(grep -oE 'Snapshot loaded in [0-9]+ ms' "$dir/zk.log" | grep -oE '[0-9]+' | tail -n 1 || true)"
  R[zk_disk]="$(du -sm "$dir/data" | cut -f1)"
  echo "== ZooKeeper: serving after ${R[zk_restart_s]} s; RSS ${R[zk_rss2]} MB, live heap ${R[zk_live2]:-?} MB"
  "$repo/infra/zk.sh" stop "$dir"
  [[ "${KEEP:-0}" == "1" ]] || rm -rf "$dir/data"
}

for s in $servers; do
  case "$s" in
    silo) run_silo ;;
    zk) run_zk ;;
    *) die "unknown server '$s' in SERVERS" ;;
  esac
done

ratio() { python3 -c 'import sys; a, b = sys.argv[1], sys.argv[2]; print("%.2f" % (float(a) / float(b)) if a and b and float(b) else "-")' "${1:-}" "${2:-}"; }

{
  echo "### $nodes znodes of $payload bytes, standalone ($(date -u +%F), $(nproc) cores)"
  echo
  echo "| | our silo | ZooKeeper 3.8 (-Xmx$zk_heap) | silo / ZK |"
  echo "|---|---:|---:|---:|"
  echo "| load: seconds (creates/s, errors) | ${R[silo_load_s]:-} (${R[silo_load_rate]:-}/s, ${R[silo_load_err]:-}) | ${R[zk_load_s]:-} (${R[zk_load_rate]:-}/s, ${R[zk_load_err]:-}) | $(ratio "${R[silo_load_s]:-}" "${R[zk_load_s]:-}") |"
  echo "| RSS after load, MB (peak) | ${R[silo_rss]:-} (${R[silo_hwm]:-}) | ${R[zk_rss]:-} (${R[zk_hwm]:-}) | $(ratio "${R[silo_rss]:-}" "${R[zk_rss]:-}") |"
  echo "| ZooKeeper live heap after full GC, MB | - | ${R[zk_live]:-} | $(ratio "${R[silo_rss]:-}" "${R[zk_live]:-}") (silo RSS / ZK heap) |"
  echo "| RSS after restart, MB | ${R[silo_rss2]:-} | ${R[zk_rss2]:-} (live heap ${R[zk_live2]:-}) | $(ratio "${R[silo_rss2]:-}" "${R[zk_rss2]:-}") |"
  if ((restarts > 1)); then
    echo "| kill -9 -> serving a read, s (median of $restarts) | ${R[silo_restart_s]:-} (${R[silo_restart_all]:-}) | ${R[zk_restart_s]:-} (${R[zk_restart_all]:-}) | $(ratio "${R[silo_restart_s]:-}" "${R[zk_restart_s]:-}") |"
  else
    echo "| kill -9 -> serving a read, s | ${R[silo_restart_s]:-} | ${R[zk_restart_s]:-} | $(ratio "${R[silo_restart_s]:-}" "${R[zk_restart_s]:-}") |"
  fi
  echo "| snapshots taken (start-up and load) | ${R[silo_snaps]:-} | ${R[zk_snaps]:-} | |"
  echo "| last snapshot, ms (silo: nodes) | ${R[silo_snap_ms]:-} (${R[silo_snap_nodes]:-} nodes) | ${R[zk_snap_ms]:-} | $(ratio "${R[silo_snap_ms]:-}" "${R[zk_snap_ms]:-}") |"
  echo "| data directory after restart, MB | ${R[silo_disk]:-} | ${R[zk_disk]:-} | $(ratio "${R[silo_disk]:-}" "${R[zk_disk]:-}") |"
  echo
  echo "- our silo at restart: ${R[silo_recovery_log]:-}"
  echo "- ZooKeeper at restart: ${R[zk_recovery_log]:-}"
} | tee "$work/recovery.md"
if [[ "${KEEP:-0}" == "1" ]]; then
  echo "kept $work"
elif [[ "$created_work" == "0" ]]; then
  cp "$work/recovery.md" "$work/recovery-$(date +%s).md" 2>/dev/null || true
fi
