#!/usr/bin/env bash
# Make sure the Debian packages the portal needs are installed.
#
# Idempotent and fast: when everything is present it only runs dpkg-query.
# When something is missing:
#   - as root on a Debian-like system: apt-get update (once) + apt-get install;
#   - otherwise: print the exact `sudo apt-get install ...` command and carry on,
#     unless CI=true, where a missing package is an error.
# SKIP_SYSDEPS=1 skips the whole check (e.g. on a machine you manage yourself).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

packages=(
    postgresql postgresql-contrib # database server (+ pg_trgm, unaccent, btree_gin)
    redis-server                  # Celery broker and cache
    gettext                       # compilemessages / makemessages
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 # WeasyPrint 70
    fonts-noto-core fonts-dejavu-core                    # Arabic, Cyrillic, Latin in PDFs
    chromium                                             # browser tests
)

if [ "${SKIP_SYSDEPS:-}" = 1 ]; then
    echo "ensure_system: SKIP_SYSDEPS=1, not checking system packages."
    exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "ensure_system: not a Debian-like system; make sure the equivalents of these are installed:" >&2
    echo "  ${packages[*]}" >&2
    exit 0
fi

missing=()
for package in "${packages[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
    case "$status" in
        *" ok installed") ;;
        *) missing+=("$package") ;;
    esac
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "ensure_system: all system packages present."
    exit 0
fi

echo "ensure_system: missing system packages: ${missing[*]}"

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_system: install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    if [ "${CI:-}" = true ]; then
        echo "ensure_system: CI=true, stopping." >&2
        exit 1
    fi
    echo "ensure_system: continuing without them (set SKIP_SYSDEPS=1 to silence this)." >&2
    exit 0
fi

# A PostgreSQL cluster that appears with this install is ours to configure for local use.
had_cluster="$(ls -d /etc/postgresql/*/main 2>/dev/null || true)"

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"

if [ -z "$had_cluster" ] && ls -d /etc/postgresql/*/main >/dev/null 2>&1; then
    bash "$here/ensure_postgres.sh" --configure-new-cluster
fi
echo "ensure_system: installed ${missing[*]}."
