# Two commands for a new user: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo demo-reset test format bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt requirements-teams.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -r requirements-teams.txt
	touch $@

demo: $(VENV)/.installed
	$(PY) -m bot demo

demo-reset:
	rm -f data/demo.db data/demo.db-wal data/demo.db-shm

test: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest -q -n auto

format: $(VENV)/.installed-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: $(VENV)/.installed-dev
	$(PY) bench/pipeline.py --mentions 10000
	$(PY) bench/triage_quality.py
	$(PY) bench/intent_quality.py --show 0
	$(PY) bench/sendable.py --show 0
	$(PY) bench/memory.py
	$(PY) bench/clicks.py --cards 200
	$(PY) bench/teams.py --cards 200
	$(PY) bench/stats_latency.py --mentions 10000
	$(PY) bench/source_imports.py
	$(PY) bench/faults.py --mentions 500
	$(PY) bench/big_request.py

clean:
	rm -rf $(VENV) data/demo.db*
