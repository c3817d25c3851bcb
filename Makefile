# The two README commands, and the pieces they are made of.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo demo-output screenshots test lint install install-dev translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt

## make demo: install, then replay real sample webhooks through the app on SQLite + embedded Redis
demo: install
	$(BIN)/python -m demo

## make demo-output: remake docs/demo-output.txt from a real demo run (the random discount codes masked)
demo-output: install
	$(BIN)/python -m demo --stable > docs/demo-output.txt.new
	mv docs/demo-output.txt.new docs/demo-output.txt

## make screenshots: remake docs/screenshots/ (every admin page at 1280 and 390 px) and docs/screenshots.md
## from a demo run, with Debian's Chromium (/usr/bin/chromium)
screenshots: install-dev
	$(BIN)/python -m demo.screenshots

## make test: install, lint, type-check, then run the whole suite against PostgreSQL and Redis
test: install-dev lint
	@status=0; $(BIN)/pytest || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; \
	exit $$status

## make translations: extract the admin's strings, merge them into each language, compile (docs/translations.md)
translations: install
	$(BIN)/python -m app.web.i18n_extract
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations
	$(BIN)/pybabel compile -d app/translations

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
