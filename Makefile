# Rally: `make run` serves the demo at http://127.0.0.1:8000, `make test` runs every test.
# `make run PORT=8010 ADDR=0.0.0.0` serves on another port or address.
PYTHON ?= python3
PORT ?= 8000
ADDR ?= 127.0.0.1
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install lint format messages clean bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Rally needs Python 3.11 or newer (found $$($(PYTHON) --version))."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py rally_dev $(ADDR):$(PORT)

# Two test processes (pytest-xdist; each test module stays in one process): the suite takes
# about half the time on two cores. `make test PYTEST_WORKERS=0` runs it in one process.
PYTEST_WORKERS ?= 2
test: install
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .

# Rebuild the Spanish catalogue after changing text (needs GNU gettext on the machine);
# the compiled .mo files are committed so a fresh clone needs no gettext at all.
messages: install
	$(PY) manage.py makemessages -l es --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

# The benchmark measures with wrk (Debian's package), installed here when missing and root.
bench: install
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
		echo "wrk is not installed: measuring with the slower Python client instead."
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache db.sqlite3
