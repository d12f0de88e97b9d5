#!/usr/bin/env bash
# Run the portal locally: a Celery worker in the background and Django's development
# server in the foreground. Stopping the server (Ctrl-C) stops the worker too.
#
# Reads: PORT (default 8000), PY (default .venv/bin/python), CELERY_DATA_DIR (default
# var/celery: the filesystem broker's folders, used when REDIS_URL is unset).
# `make run` prepares everything first (database, migrations, static files, demo data).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY="${PY:-.venv/bin/python}"
PORT="${PORT:-8000}"
celery_dir="${CELERY_DATA_DIR:-var/celery}"

# Without REDIS_URL the settings use Kombu's filesystem transport, which needs these.
mkdir -p "$celery_dir/queue" "$celery_dir/processed"

# Lower priority: PDF rendering must not slow the pages down.
nice -n 10 "$PY" -m celery -A upr_portal worker --loglevel=INFO --concurrency=2 &
worker_pid=$!

stop_worker() {
    kill -0 "$worker_pid" 2>/dev/null || return 0
    echo "Stopping the Celery worker (pid $worker_pid)..."
    kill -TERM "$worker_pid" 2>/dev/null || true
    # Warm shutdown finishes running tasks; give up after 15 s (tasks are acked late,
    # so an interrupted one is delivered again next time).
    for _ in $(seq 30); do
        kill -0 "$worker_pid" 2>/dev/null || return 0
        sleep 0.5
    done
    echo "The worker did not stop in 15 s; killing it."
    kill -KILL "$worker_pid" 2>/dev/null || true
}
trap stop_worker EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "Portal: http://127.0.0.1:$PORT/  (Ctrl-C stops the server and the worker)"
"$PY" manage.py runserver "127.0.0.1:$PORT"
