# Two commands matter: `make demo` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: demo test test-postgres lint format schema bench serve venv clean messages

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	mkdir -p var
	$(BIN)/python manage.py compile_translations
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py load_demo
	$(MAKE) --no-print-directory serve

# The server and, beside it, the task worker (large SQL submissions); stopping the server stops the worker.
serve: $(STAMP)
	$(BIN)/python manage.py compile_translations
	DEBUG=1 $(BIN)/python manage.py db_worker --no-reload --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The browser journeys (tests/web) need Chromium at /usr/bin/chromium; without it they are
# skipped and the run says so loudly. REQUIRE_BROWSER=1 (CI) turns the skip into a failure.
test: $(STAMP)
	TESTING=1 $(BIN)/python manage.py compile_translations
	TESTING=1 $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

test-postgres: $(STAMP)
	TESTING=1 $(BIN)/python manage.py compile_translations
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} TESTING=1 \
		$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	mkdir -p var
	TESTING=1 $(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate the committed OpenAPI schema after an API change (a test compares them).
schema: $(STAMP)
	TESTING=1 $(BIN)/python manage.py spectacular --validate --file docs/openapi.yaml

# Refresh the message catalogues (locale/) after adding or changing translatable strings.
messages: $(STAMP)
	TESTING=1 $(BIN)/python manage.py makemessages -l zh_Hant -l en --no-location --no-obsolete \
		--ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=docs --ignore=scripts

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf var/catalog.sqlite3*
