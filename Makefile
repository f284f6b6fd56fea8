# REAIM Exchange — `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8000
WORKERS ?= 2
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: install run serve test test-fast test-browser test-slow test-postgres browser-deps bench translations clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## run: install, migrate, seed (prints the first admin's password once), serve on 127.0.0.1:$(PORT)
run: install
	$(BIN)/flask migrate
	$(BIN)/flask seed
	@echo "Serving REAIM Exchange on http://127.0.0.1:$(PORT)  (Ctrl-C to stop)"
	SESSION_COOKIE_SECURE=$${SESSION_COOKIE_SECURE:-0} $(BIN)/gunicorn -c python:webapp.gunicorn_conf --workers $(WORKERS) --bind 127.0.0.1:$(PORT) --access-logfile - wsgi:app

## browser-deps: Debian's Chromium for the Playwright tests (Playwright's own download does not work here)
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; \
	  fi; \
	fi

## test: install everything, then run every test (unit, integration, browser, slow)
test: install browser-deps
	$(BIN)/pytest -n 2 --dist loadfile -q

test-fast: install
	$(BIN)/pytest -n 2 --dist loadfile -q -m "not browser and not slow"

test-browser: install browser-deps
	$(BIN)/pytest -q -m browser

test-slow: install
	$(BIN)/pytest -q -m slow

## test-postgres: the suite against PostgreSQL (TEST_DATABASE_URL, default: this machine's local server)
test-postgres: install
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	  $(BIN)/pytest -n 2 --dist loadfile -q -m "not browser"

## translations: extract every marked string (Python and templates) into webapp/translations/messages.pot
translations: install
	mkdir -p webapp/translations
	$(BIN)/pybabel -q extract -F babel.cfg -k _l --project "REAIM Exchange" --sort-output \
	  -o webapp/translations/messages.pot .
	@echo "webapp/translations/messages.pot updated; start a language with:"
	@echo "  $(BIN)/pybabel init -i webapp/translations/messages.pot -d webapp/translations -l <code>"

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
