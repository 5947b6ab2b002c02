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

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .

# Rebuild the Spanish catalogue after changing text (needs GNU gettext on the machine);
# the compiled .mo files are committed so a fresh clone needs no gettext at all.
messages: install
	$(PY) manage.py makemessages -l es --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache db.sqlite3
