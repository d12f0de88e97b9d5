#!/usr/bin/env bash
# Make sure PostgreSQL answers and the portal's database exists.
#
# DATABASE_URL set:   only check that server answers (waiting up to PG_WAIT_SECONDS,
#                     default 30) and create the database named in the URL if missing.
# DATABASE_URL unset: use the settings' default, postgres://postgres@127.0.0.1:5432/upr_portal.
#                     If nothing answers, start the installed Debian cluster(s); if
#                     PostgreSQL is not installed and we are root with apt-get, install it.
#                     Otherwise stop with the commands to run.
#
# About authentication: the default URL has no password, so the `postgres` role must be
# able to connect over TCP without one. A freshly installed Debian cluster does not allow
# that (peer auth on the socket, scram-sha-256 on TCP). Only for a cluster that this
# tooling installed itself (here, or in ensure_system.sh) do we prepend
#     host all all 127.0.0.1/32 trust
#     host all all ::1/128      trust
# to its pg_hba.conf and reload. That is fine for a throwaway development/CI machine
# (only local connections are trusted) and wrong for anything else, so a cluster that
# was already there is never touched: you get a message instead.
#
# `ensure_postgres.sh --configure-new-cluster` applies that pg_hba.conf change only
# (ensure_system.sh calls it after its apt-get install created a cluster).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEFAULT_URL="postgres://postgres@127.0.0.1:5432/upr_portal" # same default as settings.py
WAIT_SECONDS="${PG_WAIT_SECONDS:-30}"
MARK="upr-portal: trust local TCP connections (development cluster installed by scripts/ensure_*.sh)"
VENV_PY=".venv/bin/python"

say() { echo "ensure_postgres: $*"; }
fail() {
    echo "ensure_postgres: $*" >&2
    exit 1
}
is_root() { [ "$(id -u)" -eq 0 ]; }
cluster_versions() { # Debian clusters: /etc/postgresql/<version>/main
    local dir
    for dir in /etc/postgresql/*/main; do
        if [ -d "$dir" ]; then basename "$(dirname "$dir")"; fi
    done
}

configure_new_cluster() {
    local version hba tmp
    for version in $(cluster_versions); do
        hba="/etc/postgresql/$version/main/pg_hba.conf"
        grep -qF "$MARK" "$hba" && continue
        tmp="$(mktemp)"
        {
            echo "# $MARK"
            echo "host all all 127.0.0.1/32 trust"
            echo "host all all ::1/128 trust"
            echo
            cat "$hba"
        } >"$tmp"
        cat "$tmp" >"$hba" # rewrite in place: keeps the file's owner and mode
        rm -f "$tmp"
        say "cluster $version/main: pg_hba.conf now trusts local TCP connections (development only)."
        pg_ctlcluster --skip-systemctl-redirect "$version" main reload >/dev/null 2>&1 || true
    done
}

start_installed() {
    local version started=1
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        for version in $(cluster_versions); do
            say "starting cluster $version/main"
            if pg_ctlcluster --skip-systemctl-redirect "$version" main start; then
                started=0
            elif [ $? -eq 2 ]; then # already running
                started=0
            fi
        done
    fi
    if [ "$started" -ne 0 ] && command -v service >/dev/null 2>&1; then
        say "starting PostgreSQL with: service postgresql start"
        service postgresql start && started=0
    fi
    return "$started"
}

install_server() {
    local had_cluster
    had_cluster="$(cluster_versions)"
    say "PostgreSQL is not installed; installing it with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends postgresql postgresql-contrib
    if [ -z "$had_cluster" ]; then configure_new_cluster; fi
}

# Split the URL into: host, port, database name, the same URL on the `postgres` database
# (to create ours from), and a printable URL without the password.
parse_url() {
    local py="python3"
    [ -x "$VENV_PY" ] && py="$VENV_PY"
    "$py" - "$1" <<'PY'
import sys
from urllib.parse import unquote, urlsplit, urlunsplit

parts = urlsplit(sys.argv[1])
if parts.scheme not in ("postgres", "postgresql", "pgsql"):
    sys.exit("ensure_postgres: DATABASE_URL must look like postgres://user:password@host:port/name")
host = parts.hostname or "127.0.0.1"
port = parts.port or 5432
user = f"{parts.username}@" if parts.username else ""
netloc_host = f"[{host}]" if ":" in host else host
print(host, port, unquote(parts.path.lstrip("/")) or "postgres")
print(urlunsplit(parts._replace(path="/postgres")))
print(urlunsplit(parts._replace(netloc=f"{user}{netloc_host}:{port}")))
PY
}

# Does a server answer at all (no authentication involved)?
server_answers() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -t 3 -d "$url"
    else
        timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
    fi
}

wait_for_server() {
    local deadline=$((SECONDS + WAIT_SECONDS))
    until server_answers; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 1
    done
}

# Run one SQL statement on a URL and print the result rows.
run_sql() {
    if [ -x "$VENV_PY" ] && "$VENV_PY" -c "import psycopg2" 2>/dev/null; then
        "$VENV_PY" - "$1" "$2" <<'PY'
import sys

import psycopg2

try:
    conn = psycopg2.connect(sys.argv[1], connect_timeout=5)
    conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
    with conn.cursor() as cursor:
        cursor.execute(sys.argv[2])
        rows = cursor.fetchall() if cursor.description else []
except psycopg2.Error as exc:
    sys.exit(str(exc).strip())
for row in rows:
    print(*row)
PY
    elif command -v psql >/dev/null 2>&1; then
        PGCONNECT_TIMEOUT=5 psql -X -w -Atq -v ON_ERROR_STOP=1 -d "$1" -c "$2"
    else
        echo "neither the venv's psycopg2 (make venv) nor psql (apt-get install postgresql-client) is available" >&2
        return 2
    fi
}

not_running_help() {
    cat >&2 <<MSG
ensure_postgres: PostgreSQL does not answer at $host:$port.
  Install and start it:
      sudo apt-get install postgresql postgresql-contrib
      sudo service postgresql start      # or: sudo pg_ctlcluster <version> main start
  or run it with Docker and point the portal at it:
      docker compose up -d db
      export DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/upr_portal
MSG
    exit 1
}

if [ "${1:-}" = "--configure-new-cluster" ]; then
    configure_new_cluster
    exit 0
fi

url="${DATABASE_URL:-$DEFAULT_URL}"
{
    read -r host port dbname
    read -r maintenance_url
    read -r shown_url
} < <(parse_url "$url")
[ -n "${host:-}" ] || fail "cannot read host and port from DATABASE_URL"

if ! server_answers; then
    if [ -n "${DATABASE_URL:-}" ]; then
        say "waiting up to ${WAIT_SECONDS}s for DATABASE_URL=$shown_url"
        wait_for_server || fail "DATABASE_URL=$shown_url does not answer at $host:$port.
  Start that server (for the Docker one: docker compose up -d db), or unset DATABASE_URL
  to use a local PostgreSQL."
    else
        if [ -n "$(cluster_versions)" ] && ! is_root; then
            not_running_help # starting a system cluster needs root
        elif [ -n "$(cluster_versions)" ]; then
            start_installed || true
        elif is_root && command -v apt-get >/dev/null 2>&1; then
            install_server
            start_installed || true
        else
            not_running_help
        fi
        say "waiting up to ${WAIT_SECONDS}s for PostgreSQL at $host:$port"
        wait_for_server || not_running_help
    fi
fi

# The server answers; now our database, created from the `postgres` database if missing.
if ! error="$(run_sql "$url" "SELECT 1" 2>&1 >/dev/null)"; then
    exists="$(run_sql "$maintenance_url" "SELECT 1 FROM pg_database WHERE datname = '${dbname//\'/\'\'}'" 2>/dev/null)" || {
        echo "ensure_postgres: cannot connect to $shown_url:" >&2
        echo "  $error" >&2
        if [ -z "${DATABASE_URL:-}" ]; then
            cat >&2 <<MSG
  The default URL connects as role postgres over TCP without a password. Either set
      export DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:5432/upr_portal
  or, on a development machine only, add these lines at the top of pg_hba.conf
      host all all 127.0.0.1/32 trust
      host all all ::1/128 trust
  (e.g. /etc/postgresql/<version>/main/pg_hba.conf) and reload PostgreSQL
      sudo pg_ctlcluster <version> main reload
MSG
        fi
        exit 1
    }
    [ -z "$exists" ] || fail "cannot use database $dbname at $shown_url: $error"
    say "creating database $dbname"
    run_sql "$maintenance_url" "CREATE DATABASE \"${dbname//\"/\"\"}\"" ||
        fail "could not create database $dbname (create it yourself, or give the role CREATEDB)"
fi

# pytest-django creates test_<name> databases: the role needs CREATEDB (or superuser).
can_create="$(run_sql "$url" "SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user")"
case "$can_create" in
    t | True) ;;
    *) echo "ensure_postgres: warning: the role in $shown_url cannot create databases; the tests need that." >&2 ;;
esac

say "PostgreSQL answers at $host:$port; database $dbname is ready."
