#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests.
#
#   infra/postgres.sh start DIR PORT   initdb in DIR (once), start on 127.0.0.1:PORT, print the
#                                      connection string on stdout (last line)
#   infra/postgres.sh stop DIR         pg_ctl stop -m fast; nothing is left running
#
# Both are idempotent. Trust authentication on loopback only, the unix socket lives inside DIR,
# fsync is off: this cluster is for tests and must never hold data worth keeping.
# When run as root the server runs as the 'postgres' user (created if missing), because
# PostgreSQL refuses to run as root.
set -euo pipefail

usage() {
  echo "usage: $0 start DIR PORT | stop DIR" >&2
  exit 2
}

find_bindir() {
  local candidate
  if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/pg_ctl" ]; then
    echo "$PG_BINDIR"
    return 0
  fi
  # Newest installed major version first.
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
    if [ -x "$candidate/pg_ctl" ] && [ -x "$candidate/initdb" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

ensure_installed() {
  if find_bindir >/dev/null; then
    return 0
  fi
  echo "postgres.sh: PostgreSQL not found, installing the 'postgresql' package" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "postgres.sh: installing needs root (apt-get install -y postgresql)" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
  # The Debian package starts a system cluster; the tests do not use it.
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for cluster in $(ls -d /etc/postgresql/*/main 2>/dev/null); do
      version=$(basename "$(dirname "$cluster")")
      pg_ctlcluster "$version" main stop >&2 || true
    done
  fi
  find_bindir >/dev/null || { echo "postgres.sh: PostgreSQL still not found after install" >&2; exit 1; }
}

# Runs a command as the cluster owner: 'postgres' when we are root, ourselves otherwise.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

ensure_user() {
  if [ "$(id -u)" -ne 0 ]; then
    return 0
  fi
  if ! id -u postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
}

start() {
  local dir=$1 port=$2
  case "$port" in
    ''|*[!0-9]*) echo "postgres.sh: PORT must be a number, got '$port'" >&2; exit 2 ;;
  esac
  ensure_installed
  ensure_user
  local bin
  bin=$(find_bindir)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    # The owner must be able to reach DIR (e.g. under /root on some machines).
    chmod 0700 "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      echo "postgres.sh: user 'postgres' cannot reach $dir (a parent directory is closed); use a DIR under /tmp" >&2
      exit 1
    fi
  fi
  local data="$dir/data"
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"
    as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    cat >"$data/pg_hba.conf" <<HBA
# Throwaway test cluster: trust on loopback and the private socket only.
local   all all              trust
host    all all 127.0.0.1/32 trust
HBA
    [ "$(id -u)" -eq 0 ] && chown postgres: "$data/pg_hba.conf"
  fi
  if as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    echo "postgres.sh: already running in $dir" >&2
  else
    as_owner "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >&2 || { tail -n 30 "$dir/postgres.log" >&2; exit 1; }
  fi
  echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
}

stop() {
  local dir=$1
  local data="$dir/data"
  if [ ! -f "$data/PG_VERSION" ]; then
    echo "postgres.sh: no cluster in $dir" >&2
    return 0
  fi
  local bin
  bin=$(find_bindir) || { echo "postgres.sh: PostgreSQL is not installed" >&2; exit 1; }
  if as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >&2
  else
    echo "postgres.sh: not running in $dir" >&2
  fi
}

[ $# -ge 1 ] || usage
case "$1" in
  start) [ $# -eq 3 ] || usage; start "$2" "$3" ;;
  stop) [ $# -eq 2 ] || usage; stop "$2" ;;
  *) usage ;;
esac
