#!/usr/bin/env bash
# Migrate, then serve the dashboard on 127.0.0.1:8000 with one Celery worker (embedded beat).
# Without GITHUB_TOKEN it is the demo: the synthetic world is loaded through the simulator into
# its own database (var/demo.sqlite3, unless DATABASE_URL says otherwise), every page says
# "Demo data", beat schedules no sync of GitHub, and a local admin user is made with its
# password printed once. Logs go to var/*.log; one line says when Pulse is ready.
# One Ctrl-C stops everything within a few seconds, with exit status 0.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-true}"
PY=.venv/bin/python
PORT="${PULSE_PORT:-8000}"
VAR="${PULSE_VAR_DIR:-var}"
mkdir -p "$VAR"
VAR="$(cd "$VAR" && pwd)"
export PULSE_VAR_DIR="$VAR"

if [ -z "${GITHUB_TOKEN:-}" ]; then
  export PULSE_DEMO=true
  export DATABASE_URL="${DATABASE_URL:-sqlite:///$VAR/demo.sqlite3}"
fi

echo "Preparing the database ($VAR)..."
$PY manage.py migrate --noinput -v 0
$PY manage.py collectstatic --noinput -v 0

# Each background process gets a process group of its own (job control), so that stopping
# one stops its children too (the worker's pool and embedded beat).
set -m
pids=()
alive() {
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}
stopping=""
cleanup() {
  local status=$?
  [ -n "$stopping" ] && return
  stopping=1
  trap - INT TERM EXIT
  [ "$1" = "EXIT" ] || status=0  # Ctrl-C (or a TERM) is how `make run` is meant to end
  echo
  echo "Stopping Pulse..."
  exec 2>/dev/null  # no "Terminated" notices for the processes stopped below
  # Ctrl-C reaches this script only (the others run in their own process groups): each group
  # gets SIGTERM; whatever still runs after 1.5 s is killed (a sync resumes from its
  # checkpoints at the next run).
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for _ in $(seq 1 15); do alive || break; sleep 0.1; done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  exit "$status"
}
trap 'cleanup INT' INT
trap 'cleanup TERM' TERM
trap 'cleanup EXIT' EXIT

.venv/bin/celery -A config worker --beat -Q ingest,rollups --concurrency 2 --loglevel INFO \
  --schedule "$VAR/celerybeat-schedule" >"$VAR/worker.log" 2>&1 &
pids+=($!)
$PY manage.py runserver "127.0.0.1:$PORT" --noreload >"$VAR/runserver.log" 2>&1 &
pids+=($!)
server=$!

admin="admin: python manage.py createsuperuser"
if [ -n "${PULSE_DEMO:-}" ]; then
  password="$($PY manage.py shell -c '
import secrets
from django.contrib.auth import get_user_model
User = get_user_model()
if not User.objects.filter(username="admin").exists():
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser("admin", "", password)
    print(password)
' 2>/dev/null | tail -n 1)"
  if [ -n "$password" ]; then
    admin="admin: admin / $password, shown this once"
  else
    admin="admin: admin, password as printed the first time (python manage.py changepassword admin)"
  fi
  echo "GITHUB_TOKEN is not set: loading the demo world through the simulator (a synthetic community)..."
  $PY manage.py demo --scale "${PULSE_DEMO_SCALE:-small}" >"$VAR/demo.log" 2>&1 &
  pids+=($!)
  if ! wait "$!"; then
    echo "Loading the demo world failed; see $VAR/demo.log" >&2
  fi
else
  echo "Syncing the tracked organisations from GitHub in the background (log: $VAR/ingest.log)..."
  $PY manage.py ingest >"$VAR/ingest.log" 2>&1 &
  pids+=($!)
fi

up="import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)"
for _ in $(seq 1 100); do
  $PY -c "$up" "http://127.0.0.1:$PORT/static/css/pulse.css" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { echo "The web server stopped; see $VAR/runserver.log" >&2; exit 1; }
  sleep 0.2
done
echo "Pulse is ready: http://127.0.0.1:$PORT ($admin). Logs: $VAR/*.log. Ctrl-C stops it."
wait "$server"
