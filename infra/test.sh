#!/usr/bin/env bash
# Run every test of the solution, with what the tests need.
#
#   infra/test.sh [extra dotnet test arguments]     e.g. infra/test.sh --filter "FullyQualifiedName~Compat"
#
# 1. Installs the Debian packages the tests drive if any is missing (zookeeper, zookeeper-bin,
#    python3-kazoo, libcurator-recipes-java, postgresql, a JDK); a second run installs nothing.
# 2. Starts a throwaway PostgreSQL (infra/postgres.sh) and exports its connection string as COORD_TEST_PG.
# 3. Builds the solution once (Release) and runs `dotnet test -c Release --no-build "$@"`.
# 4. Stops everything it started on exit (also on failure or Ctrl-C), and ends with one line
#    "N passed, N failed" summed over all test assemblies. Exits with dotnet test's status.
# Environment (optional): TEST_TIMEOUT (seconds for the whole dotnet test run, default 3600).
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo" || exit 1

say() { echo "test.sh: $*" >&2; }

# ---------------------------------------------------------------- dependencies
missing=()
[[ -f /usr/share/java/zookeeper.jar && -x /usr/share/zookeeper/bin/zkCli.sh ]] || missing+=(zookeeper)
[[ -x /usr/lib/zookeeper/bin/cli_mt ]] || missing+=(zookeeper-bin)
/usr/bin/python3 -c 'import kazoo' >/dev/null 2>&1 || missing+=(python3-kazoo)
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || missing+=(postgresql)
command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
[[ -f /usr/share/java/curator-recipes.jar ]] || missing+=(libcurator-recipes-java libcurator-framework-java)
if ((${#missing[@]} > 0)); then
  say "installing missing packages: ${missing[*]}"
  sudo=()
  [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
  if ! { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >&2; then
    say "could not install ${missing[*]}"
    echo "0 passed, 0 failed"
    exit 1
  fi
fi

# ---------------------------------------------------------------- scratch space and cleanup
scratch="$(mktemp -d "${TMPDIR:-/tmp}/orleans-test.XXXXXX")"
# PostgreSQL runs as the postgres user when we are root; it must be able to reach its directory.
chmod 755 "$scratch"
# Test fixtures put their servers' directories (with pid files) here, so a crashed test host leaves nothing running.
export COMPAT_TEST_TMP="$scratch/compat"
mkdir -p "$COMPAT_TEST_TMP"
pg_started=0
cleaned=0

cleanup() {
  ((cleaned)) && return 0
  cleaned=1
  if ((pg_started)); then
    "$repo/infra/postgres.sh" stop "$scratch/pg" >/dev/null 2>&1 || true
  fi
  # Whatever test fixtures left running (their directories hold a pid file each).
  local f pid
  while IFS= read -r f; do
    pid="$(cat "$f" 2>/dev/null)" || continue
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -TERM "$pid" 2>/dev/null || true
  done < <(find "$COMPAT_TEST_TMP" -name pid -type f 2>/dev/null)
  sleep 0.5
  while IFS= read -r f; do
    pid="$(cat "$f" 2>/dev/null)" || continue
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null || true
  done < <(find "$COMPAT_TEST_TMP" -name pid -type f 2>/dev/null)
  rm -rf "$scratch" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- PostgreSQL
if [[ -f "$repo/infra/postgres.sh" ]]; then
  pg_port="$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  if ! pg_out="$(bash "$repo/infra/postgres.sh" start "$scratch/pg" "$pg_port")"; then
    say "infra/postgres.sh start failed"
    echo "0 passed, 0 failed"
    exit 1
  fi
  pg_started=1
  COORD_TEST_PG="$(printf '%s\n' "$pg_out" | tail -n 1)"
  export COORD_TEST_PG
  say "PostgreSQL on 127.0.0.1:$pg_port (COORD_TEST_PG exported)"
else
  say "infra/postgres.sh not found: running without PostgreSQL"
fi

# ---------------------------------------------------------------- build once, test
if ! dotnet build Orleans.Coordination.sln -c Release -nologo -v q; then
  say "build failed"
  echo "0 passed, 0 failed"
  exit 1
fi

log="$scratch/dotnet-test.log"
timeout --kill-after=30 "${TEST_TIMEOUT:-3600}" dotnet test Orleans.Coordination.sln -c Release --no-build "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
((status == 124)) && say "dotnet test did not finish within ${TEST_TIMEOUT:-3600} s and was killed"

# Per assembly, the default console logger prints
#   "Passed!  - Failed:     0, Passed:    56, Skipped:     0, Total:    56, Duration: ..."
# and with "console;verbosity=normal" a block "Total tests: N" / "     Passed: N" / "     Failed: N".
read -r passed failed < <(awk '
  match($0, /(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+/) {
    line = substr($0, RSTART, RLENGTH); gsub(/[^0-9]+/, " ", line); split(line, n, " ")
    one = 1; of += n[1]; op += n[2]; next
  }
  /^Total tests: [0-9]+/ { block = 1; next }
  block && /^ +Passed: [0-9]+$/ { bp += $2; next }
  block && /^ +Failed: [0-9]+$/ { bf += $2; next }
  block && /Total time:/ { block = 0 }
  END { if (one) print op + 0, of + 0; else print bp + 0, bf + 0 }' "$log")
cleanup
echo "$passed passed, $failed failed"
exit "$status"
