# Pulse: `make run` serves the dashboard with a worker; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint fmt install clean

$(PY):
	./scripts/make-venv.sh $(PYTHON) $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	./scripts/run.sh

# The browser tests drive Debian's Chromium: installed when missing (as root), or make stops
# with a line saying so (scripts/ensure-chromium.sh).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	./scripts/ensure-chromium.sh

test: $(STAMP) $(CHROMIUM)
	DEBUG=$${DEBUG:-false} SECRET_KEY=$${SECRET_KEY:-test-only-secret-key} $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var
