# Bo Kvar: `make run` serves the app with demo data, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint format messages bench bench-data load clean

SCALE ?= city
# Test processes for `make test` (pytest-xdist): one per core.
TEST_WORKERS ?= auto

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit("Bo Kvar needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

run: $(STAMP)
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 $(PY) manage.py run_scans
	DEBUG=1 scripts/run-dev

# Python may keep compiled modules (a shell with PYTHONDONTWRITEBYTECODE set makes every
# process the suite starts, servers, workers and manage.py commands, compile the project
# again from source).
test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal

# Ruff, then the type check: mypy strict on the kernel and the parts of cases/, and no
# more errors than recorded in mypy-baseline.txt elsewhere (scripts/mypy_ratchet.py),
# then every user-visible string has its Swedish (scripts/check_messages.py; needs
# GNU gettext, as `make messages` does).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) scripts/mypy_ratchet.py
	$(PY) scripts/check_messages.py

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: $(STAMP)
	DEBUG=1 $(PY) manage.py makemessages -l sv -l en --no-obsolete --ignore=.venv --ignore=tests --ignore=bench
	$(PY) scripts/po_fill.py locale/translations/*.txt
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv

# Benchmarks run against PostgreSQL (DATABASE_URL): generate data into an empty
# database once, then measure. See docs/performance.md.
bench-data: $(STAMP)
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo --scale $(SCALE)

# Both measure the production configuration (DEBUG off; bench/production.py).
bench: $(STAMP)
	$(PY) -m bench --scale $(SCALE)

# The load test: gunicorn on 127.0.0.1 and locust people of every role, a stepped ramp
# up to USERS people over DURATION seconds, on the data of `make bench-data`.
USERS ?= 40
DURATION ?= 240
load: $(STAMP)
	$(PY) -m bench.load.run --scale $(SCALE) --users $(USERS) --duration $(DURATION) $(LOAD_ARGS)

clean:
	rm -rf var .pytest_cache
