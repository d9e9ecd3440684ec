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
alive() {
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}
cleanup() {
  trap - INT TERM EXIT
  # SIGINT is what Ctrl-C sends: Celery and runserver shut down cleanly on it. Whatever is
  # still running after 10 s (a worker stuck in a warm shutdown) is killed.
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 20); do alive || break; sleep 0.5; done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
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
