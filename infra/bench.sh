#!/usr/bin/env bash
# Throughput and latency of a 3-silo ensemble against a 3-server Apache ZooKeeper ensemble.
#
#   infra/bench.sh [WORKDIR]
#
# Builds Release; starts our ensemble (infra/ensemble.sh start 3), runs every workload with the
# load generator, stops it; then starts ZooKeeper's (infra/zk.sh start-ensemble 3), runs the same
# workloads, stops it. Never both at once. The server list given to the generator puts the
# followers first and the leader last, so a 1-connection workload talks to a follower on both
# systems and 16 connections spread 6/5/5 with the leader getting 5.
# Prints one table (also WORKDIR/bench.md) and writes it into the section
# "3-server ensembles (infra/bench.sh)" of docs/benchmarks.md (replacing an earlier one).
#
# Environment (optional):
#   DURATION (20)  WARMUP (5)    measured and warm-up seconds per workload (watch: WARMUP unmeasured rounds, then DURATION rounds)
#   PAYLOAD (1024)  WATCHERS (100)
#   WORKLOADS                    space-separated subset of: set-16x64 get-16x64 set-1x1 get-1x1 mix-16x64 watch
#   SYSTEMS ("ours zk")          which ensembles to run, in order
#   BENCH_DOC (docs/benchmarks.md)  file to write the section into; empty: do not write it
#   NO_BUILD=1                   skip the build
#   KEEP=1                       keep WORKDIR (data, logs, JSON) afterwards
#   SILO_PORT_BASE (2380)        our silos: clients 2381.., admin 8381.., quorum 2991.., election 3991..
#   ZK_PORT_BASE (2280)          ZooKeeper clients 2281.. (peer/election ports: see infra/zk.sh)
#   ZK_HEAP (512m)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
duration="${DURATION:-20}"
warmup="${WARMUP:-5}"
payload="${PAYLOAD:-1024}"
watchers="${WATCHERS:-100}"
workloads="${WORKLOADS:-set-16x64 get-16x64 set-1x1 get-1x1 mix-16x64 watch}"
systems="${SYSTEMS:-ours zk}"
doc="${BENCH_DOC-$repo/docs/benchmarks.md}"
silo_base="${SILO_PORT_BASE:-2380}"
zk_base="${ZK_PORT_BASE:-2280}"
bench_dll="$repo/tests/Orleans.Coordination.Benchmarks/bin/Release/net10.0/Orleans.Coordination.Benchmarks.dll"
# Our silos' other ports follow the client base, away from infra/ensemble.sh's defaults that tests use.
export ENSEMBLE_CLIENT_PORT_BASE="$silo_base"
export ENSEMBLE_ADMIN_PORT_BASE="${ENSEMBLE_ADMIN_PORT_BASE:-$((silo_base + 6000))}"
export ENSEMBLE_QUORUM_PORT_BASE="${ENSEMBLE_QUORUM_PORT_BASE:-$((silo_base + 610))}"
export ENSEMBLE_ELECTION_PORT_BASE="${ENSEMBLE_ELECTION_PORT_BASE:-$((silo_base + 1610))}"
command_line="DURATION=$duration WARMUP=$warmup${PAYLOAD:+ PAYLOAD=$PAYLOAD}${WORKLOADS:+ WORKLOADS=\"$WORKLOADS\"}${SYSTEMS:+ SYSTEMS=\"$SYSTEMS\"} infra/bench.sh"

die() {
  echo "bench.sh: $*" >&2
  exit 1
}

if [[ $# -ge 1 ]]; then
  mkdir -p "$1"
  work="$(cd "$1" && pwd)"
  created_work=0
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")"
  created_work=1
fi

generator_pid=""
cleanup() {
  # Stop only what this script started (all idempotent).
  [[ -n "$generator_pid" ]] && kill -TERM "$generator_pid" 2>/dev/null || true
  [[ -d "$work/ours" ]] && "$repo/infra/ensemble.sh" stop "$work/ours" >/dev/null 2>&1 || true
  [[ -d "$work/zk" ]] && "$repo/infra/zk.sh" stop "$work/zk" >/dev/null 2>&1 || true
  if [[ "${KEEP:-0}" != "1" ]]; then
    if [[ "$created_work" == "1" ]]; then
      rm -rf "$work"
    else
      rm -rf "$work/ours" "$work/zk"
    fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ "${NO_BUILD:-0}" != "1" ]]; then
  echo "building the server and the load generator (Release)"
  { dotnet build -c Release "$repo/src/Orleans.Coordination.Server" -nologo -v q &&
    dotnet build -c Release "$repo/tests/Orleans.Coordination.Benchmarks" -nologo -v q; } >"$work/build.log" 2>&1 ||
    { tail -n 40 "$work/build.log" >&2; die "build failed"; }
fi
[[ -f "$bench_dll" ]] || die "$bench_dll not found"

# workload_args NAME: the load generator's arguments for one workload (without --servers/--json).
workload_args() {
  local common=(--payload "$payload" --duration "$duration" --warmup "$warmup")
  case "$1" in
    set-16x64) echo --op set --connections 16 --inflight 64 "${common[@]}" ;;
    get-16x64) echo --op get --connections 16 --inflight 64 "${common[@]}" ;;
    set-1x1) echo --op set --connections 1 --inflight 1 "${common[@]}" ;;
    get-1x1) echo --op get --connections 1 --inflight 1 "${common[@]}" ;;
    mix-16x64) echo --op mix --read-percent 80 --connections 16 --inflight 64 "${common[@]}" ;;
    watch) echo --op watch --watchers "$watchers" --duration "$duration" --warmup "$warmup" ;;
    *) die "unknown workload '$1'" ;;
  esac
}
for w in $workloads; do workload_args "$w" >/dev/null; done

# server_list BASE LEADER: 127.0.0.1:(BASE+i) for i = 1..3, followers first, leader last.
server_list() {
  local base="$1" leader="$2" i list=""
  for i in 1 2 3; do
    [[ "$i" == "$leader" ]] || list+="${list:+,}127.0.0.1:$((base + i))"
  done
  echo "$list,127.0.0.1:$((base + leader))"
}

# server_warnings SYSTEM WORKLOAD: when a run had errors, the servers' warnings and role changes, so that
# the cause is on record even when WORKDIR is removed afterwards.
server_warnings() {
  local system="$1" w="$2" logs=()
  grep -q 'errors=0 ' "$work/$system-$w.txt" && return 0
  if [[ "$system" == ours ]]; then logs=("$work"/ours/s*/silo.log); else logs=("$work"/zk/zk*/zk.log); fi
  echo "bench.sh: $system $w had errors; the servers' warnings and role changes (last 20):"
  grep -H -E 'warn|WARN|ERROR|fail|serving as|LEADING|FOLLOWING|LOOKING|Closing connection|Expiring session|closeSession' \
    "${logs[@]}" 2>/dev/null | tail -n 20 | cut -c1-300 || true
}

run_workloads() {
  local system="$1" servers="$2" w
  for w in $workloads; do
    local load
    load="$(cut -d' ' -f1 /proc/loadavg)"
    echo "$system $w (load average $load): $bench_dll --servers $servers $(workload_args "$w")"
    # In the background with `wait`, so that a signal runs the trap at once instead of after the run.
    # shellcheck disable=SC2046 # the workload's arguments are a word list.
    dotnet "$bench_dll" --servers "$servers" $(workload_args "$w") --json "$work/$system-$w.json" \
      >"$work/$system-$w.txt" 2>&1 </dev/null &
    generator_pid=$!
    if wait "$generator_pid"; then
      cat "$work/$system-$w.txt"
      server_warnings "$system" "$w"
    else
      echo "bench.sh: $system $w failed; last lines:" >&2
      tail -n 20 "$work/$system-$w.txt" >&2
      rm -f "$work/$system-$w.json"
    fi
    generator_pid=""
    echo "$load" >"$work/$system-$w.load"
  done
}

started_at="$(date -u '+%Y-%m-%d %H:%M UTC')"
for system in $systems; do
  case "$system" in
    ours)
      ENSEMBLE_NO_BUILD=1 "$repo/infra/ensemble.sh" start 3 "$work/ours"
      leader="$("$repo/infra/ensemble.sh" leader "$work/ours")" || die "our ensemble has no leader"
      run_workloads ours "$(server_list "$silo_base" "$leader")"
      "$repo/infra/ensemble.sh" stop "$work/ours"
      ;;
    zk)
      "$repo/infra/zk.sh" start-ensemble 3 "$work/zk" "$zk_base"
      leader="$("$repo/infra/zk.sh" leader "$work/zk")" || die "the ZooKeeper ensemble has no leader"
      run_workloads zk "$(server_list "$zk_base" "$leader")"
      "$repo/infra/zk.sh" stop "$work/zk"
      ;;
    *) die "unknown system '$system' (ours, zk)" ;;
  esac
done

zk_version="$(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || true)"
commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet 2>/dev/null || echo ' (with local changes)')"
python3 - "$work" "$started_at" "$command_line" "$commit" "${zk_version:-unknown}" "$workloads" "$(nproc)" \
  "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)" "$duration" "$warmup" >"$work/bench.md" <<'PYEOF'
import json, os, sys

work, started, command, commit, zk_version, workloads, nproc, cpu, duration, warmup = sys.argv[1:11]

def load(system, w):
    path = os.path.join(work, "%s-%s.json" % (system, w))
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)

def loadavg(system, w):
    path = os.path.join(work, "%s-%s.load" % (system, w))
    return open(path).read().strip() if os.path.exists(path) else "-"

def cells(r, watch):
    if r is None:
        return ["failed"] + ["-"] * 4
    ops = "-" if watch else "{:,.0f}".format(r["Throughput"])
    return [ops, "%.3f" % r["P50Ms"], "%.3f" % r["P99Ms"], "%.3f" % r["P999Ms"],
            "%d" % r["Errors"] + (" (%d reconn.)" % r["Reconnects"] if r.get("Reconnects") else "")]

def ratio(a, b):
    return "%.2f" % (a / b) if a and b else "-"

rows = []
for w in workloads.split():
    ours, zk = load("ours", w), load("zk", w)
    watch = w == "watch"
    tput = "-" if watch or not ours or not zk else ratio(ours["Throughput"], zk["Throughput"])
    p99 = "-" if not ours or not zk else ratio(zk["P99Ms"], ours["P99Ms"])
    rows.append([w] + cells(ours, watch) + cells(zk, watch) + [tput, p99, "%s / %s" % (loadavg("ours", w), loadavg("zk", w))])

head = ["workload", "ours ops/s", "p50 ms", "p99 ms", "p99.9 ms", "errors",
        "ZK ops/s", "p50 ms", "p99 ms", "p99.9 ms", "errors", "ops/s ours/ZK", "p99 ZK/ours", "load avg before (ours / ZK)"]
out = []
out.append("- Date: %s; `nproc` = %s; CPU: %s; commit %s; Apache ZooKeeper (Debian package) %s." % (started, nproc, cpu or "unknown", commit, zk_version))
out.append("- Command: `%s` (%s s measured after %s s of warm-up per workload; watch: %s rounds of 100 watchers after %s unmeasured)." % (command, duration, warmup, duration, warmup))
out.append("- 1 KiB values; 16-connection workloads spread over the 3 servers (6/5/5, leader 5); 1 x 1 talks to a follower;")
out.append("  mix is 80 % getData / 20 % setData. Watch: ms from a setData until all watchers have the event (p99.9 = p99 = max).")
out.append("  The 1-minute load average was read before each run; the load generator shares the machine's cores.")
out.append("")
out.append("| " + " | ".join(head) + " |")
out.append("|---|" + "---:|" * (len(head) - 1))
for r in rows:
    out.append("| " + " | ".join(r) + " |")
print("\n".join(out))
PYEOF

echo
cat "$work/bench.md"

if [[ -n "$doc" ]]; then
  python3 - "$doc" "$work/bench.md" <<'PYEOF'
import re, sys
doc, table = sys.argv[1], open(sys.argv[2]).read().rstrip("\n")
title = "## 3-server ensembles (infra/bench.sh)"
text = open(doc).read()
section = title + "\n\n" + table + "\n"
start = text.find(title + "\n")
if start < 0:
    text = text.rstrip("\n") + "\n\n" + section
else:
    nxt = re.search(r"^## ", text[start + len(title):], re.M)
    end = start + len(title) + nxt.start() if nxt else len(text)
    text = text[:start] + section + ("\n" + text[end:] if nxt else "")
open(doc, "w").write(text)
PYEOF
  echo "wrote the section \"3-server ensembles (infra/bench.sh)\" of $doc"
fi
