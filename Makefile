# Flowdesk: the only entry points. `make run` (demo on SQLite) and `make test` (the whole suite).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLOWDESK_DATABASE_URL ?= sqlite:///$(CURDIR)/flowdesk.db

.PHONY: run test install install-test assets i18n lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python assets
	$(BIN)/pip install -q -e .
	$(MAKE) i18n

install-test: $(BIN)/python assets
	$(BIN)/pip install -q -e '.[test]'
	$(MAKE) i18n
	@command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium fonts-wqy-microhei) \
	  || echo "warning: could not install chromium; browser tests need /usr/bin/chromium"

assets:
	bash scripts/fetch_assets.sh

i18n:
	$(BIN)/pybabel -q compile -d web/translations -D messages

run: install
	$(BIN)/flowdesk db upgrade
	$(BIN)/flowdesk demo
	$(BIN)/flowdesk serve --host 127.0.0.1 --port 8000

test: install-test
	bash scripts/test.sh

lint:
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m bench
	$(BIN)/python -m bench.timers
	$(BIN)/python -m bench.metrics

clean:
	rm -rf $(VENV) node_modules web/static/vendor flowdesk.db*
