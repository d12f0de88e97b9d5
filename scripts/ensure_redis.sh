#!/usr/bin/env bash
# Make sure Redis answers PING.
#
# Reads REDIS_URL (default redis://127.0.0.1:6379/0). For a local URL on port 6379
# (127.0.0.1, localhost or ::1) a Redis that is down is started, and installed first
# (apt-get, as root) when missing. Any other URL is only checked.
# Exit status 0: Redis answers. 1: it does not (with the commands to fix it); callers
# decide whether that matters (`make test` skips the worker tests, CI fails).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

url="${REDIS_URL:-redis://127.0.0.1:6379/0}"
WAIT_SECONDS="${REDIS_WAIT_SECONDS:-10}"

say() { echo "ensure_redis: $*"; }

# redis://[user:password@]host[:port][/db]  ->  host and port
if [[ "$url" =~ ^rediss?://([^@/]*@)?(\[[^]]*\]|[^:/?]*)(:([0-9]+))? ]]; then
    host="${BASH_REMATCH[2]}"
    host="${host#[}"
    host="${host%]}"
    port="${BASH_REMATCH[4]:-6379}"
else
    echo "ensure_redis: cannot read host and port from REDIS_URL=$url" >&2
    exit 1
fi
host="${host:-127.0.0.1}"
shown_url="${url/\/\/*@//\/***@}" # hide credentials

ping() {
    if command -v redis-cli >/dev/null 2>&1; then
        [ "$(timeout 5 redis-cli -u "$url" ping 2>/dev/null)" = "PONG" ]
    else
        # No client installed: speak the protocol directly (no AUTH, no TLS).
        # shellcheck disable=SC2016 # $0/$1 expand in the inner shell
        timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "PING\r\n" >&3 && read -r reply <&3 &&
            [[ $reply == +PONG* ]]' "$host" "$port" 2>/dev/null
    fi
}

wait_for_redis() {
    local deadline=$((SECONDS + WAIT_SECONDS))
    until ping; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.5
    done
}

start_local() {
    local dir=/var/lib/redis logfile=/var/log/redis/ci.log
    if [ "$(id -u)" -ne 0 ]; then # not root: keep its files in the project
        dir="$PWD/var/redis"
        logfile="$dir/redis.log"
    fi
    mkdir -p "$dir" "$(dirname "$logfile")"
    say "starting redis-server on 127.0.0.1:6379 (log: $logfile)"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir "$dir" --logfile "$logfile"
}

help_and_fail() {
    cat >&2 <<MSG
ensure_redis: Redis does not answer at $shown_url.
  Install and start it:
      sudo apt-get install redis-server
      sudo service redis-server start
  or run it with Docker:
      docker compose up -d redis
MSG
    exit 1
}

if ping; then
    say "Redis answers at $host:$port."
    exit 0
fi

# Only the local default is ours to start or install.
if [ "$port" != 6379 ] || [[ ! "$host" =~ ^(127\.0\.0\.1|localhost|::1)$ ]]; then
    help_and_fail
fi

if ! command -v redis-server >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "redis-server is not installed; installing it with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update
        apt-get install -y --no-install-recommends redis-server
    else
        help_and_fail
    fi
fi

# The Debian package may have started its own service during installation.
ping || start_local || true
wait_for_redis || help_and_fail
say "Redis answers at $host:$port."
