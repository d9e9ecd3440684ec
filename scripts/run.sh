#!/usr/bin/env bash
# Migrate, then serve the dashboard on 127.0.0.1:8000 with one Celery worker (embedded beat).
# Without GITHUB_TOKEN, the demo world is loaded through the simulator. One Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-true}"
PY=.venv/bin/python

$PY manage.py migrate --noinput
$PY manage.py collectstatic --noinput >/dev/null

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

.venv/bin/celery -A config worker --beat -Q ingest,rollups --concurrency 2 --loglevel INFO \
  --schedule var/celerybeat-schedule &
pids+=($!)

if [ -z "${GITHUB_TOKEN:-}" ]; then
  echo "GITHUB_TOKEN is not set: loading the demo world through the simulator."
  $PY manage.py demo --scale "${PULSE_DEMO_SCALE:-small}" &
  pids+=($!)
else
  $PY manage.py ingest &
  pids+=($!)
fi

$PY manage.py runserver 127.0.0.1:8000 --noreload &
pids+=($!)
wait "${pids[-1]}"
