# The two commands: `make run` and `make test`. Both work on a machine that has
# never seen the project: they find Python >= 3.12, create .venv and install.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# `make PYTHON=/path/to/python3.13 ...` to choose the interpreter.
PYTHON ?=
export PYTHON

.PHONY: run test lint format venv install-dev chromium migrate clean bench help

help:
	@echo "make run   - install, migrate, seed the demo team (sandbox) and serve on 127.0.0.1:$(PORT)"
	@echo "make test  - install what the tests need, then ruff and the whole pytest suite"
	@echo "make bench - the benchmarks of bench/ on a throwaway database (DATABASE_URL for PostgreSQL)"

$(BIN)/python:
	@py=$$(scripts/find-python) && echo "Using $$py" && "$$py" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(VENV)/.installed $@

venv: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Debian's Chromium for the browser tests (Playwright drives it; `playwright install` cannot work here).
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed: browser tests will be skipped"; \
	  else echo "chromium not found (and not root): browser tests will be skipped"; fi; \
	fi

migrate: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py collectstatic --noinput -v0

run: migrate
	PORT=$(PORT) scripts/run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# PYTEST_ARGS: more pytest options, e.g. -m "not browser" (CI's PostgreSQL pass).
test: install-dev chromium lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/client_overhead.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/audit_scale.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/readback.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
