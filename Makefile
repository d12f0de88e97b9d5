# UPR Portal: set-up and everyday commands. `make help` lists them.
# Every command uses the project's virtualenv directly (.venv/bin/python -m ...),
# so nothing needs to be activated. See docs/setup.md for the variables read.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# make test
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
TEST_SECRET_KEY := test-only-secret-key-not-for-production

.DEFAULT_GOAL := help
.PHONY: help venv sysdeps db redis run test lint format migrate shell messages clean

help:
	@echo "make run      set everything up, then serve http://127.0.0.1:8000 with a Celery worker"
	@echo "make test     lint, migration check and the test suite (pytest -n $(PYTEST_WORKERS))"
	@echo "make lint     ruff check + ruff format --check"
	@echo "make format   ruff format + ruff check --fix"
	@echo "make migrate  apply database migrations"
	@echo "make shell    Django shell"
	@echo "make messages extract translatable strings into locale/*/LC_MESSAGES/django.po"
	@echo "make venv     create .venv and install the project with its dev tools"
	@echo "make sysdeps  install missing Debian packages (scripts/ensure_system.sh)"
	@echo "make db       make sure PostgreSQL runs and the database exists"
	@echo "make redis    make sure Redis runs (optional locally, required with CI=true)"
	@echo "make clean    remove var/ and .venv"

# --- Set-up -------------------------------------------------------------------------------

venv: $(STAMP)

# Re-install only when pyproject.toml changes (the project itself is installed editable).
$(STAMP): pyproject.toml
	@if [ ! -x $(PY) ]; then \
		echo "Creating $(VENV) with $(PYTHON)"; \
		$(PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet --upgrade pip; \
	fi
	$(PY) -m pip install -e '.[dev]'
	@touch $@

sysdeps:
	@bash scripts/ensure_system.sh

db:
	@bash scripts/ensure_postgres.sh

# Redis is optional locally (tests marked `worker` are skipped without it), required in CI.
redis:
	@bash scripts/ensure_redis.sh || [ "$${CI:-}" != true ]

# --- Running -------------------------------------------------------------------------------

# Local defaults for `run` only; values already in the environment win. The demo users'
# password is printed once, when they are created; `make run DEMO_PASSWORD=...` sets it.
run: export DEBUG ?= 1
run: export SECURE_SSL_REDIRECT ?= 0
run: sysdeps venv db
	$(PY) manage.py compilemessages $(COMPILEMESSAGES_ARGS)
	$(PY) manage.py migrate
	$(PY) manage.py collectstatic --noinput
	$(PY) manage.py seed_demo $(if $(DEMO_PASSWORD),--password "$(DEMO_PASSWORD)")
	$(PY) manage.py load_demo_data
	PY=$(PY) bash scripts/run_local.sh

# Local conveniences: DEBUG=1 unless the environment says otherwise (production sets SECRET_KEY).
migrate: export DEBUG ?= 1
migrate: venv db
	$(PY) manage.py migrate

shell: export DEBUG ?= 1
shell: venv
	$(PY) manage.py shell

# --- Translations --------------------------------------------------------------------------
# The .po files in locale/ are the source; the compiled .mo files are not kept in git:
# `run` and `test` compile them (gettext's msgfmt), and so does the Docker build.
MESSAGE_LANGUAGES := -l fr -l es -l ar -l ru -l zh_Hans
COMPILEMESSAGES_ARGS := --ignore=.venv --ignore=var

messages: export DEBUG ?= 1
messages: venv
	$(PY) manage.py makemessages $(MESSAGE_LANGUAGES) --ignore=.venv --ignore=var --ignore=tests --ignore=bench --no-obsolete

# --- Quality -------------------------------------------------------------------------------

# The test run uses its own Redis database (15) when Redis answers; CI=true requires it.
# Without pytest-xdist (e.g. an older venv) the tests run in one process.
test: sysdeps venv db
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	SECRET_KEY="$${SECRET_KEY:-$(TEST_SECRET_KEY)}" $(PY) manage.py makemigrations --check --dry-run
	SECRET_KEY="$${SECRET_KEY:-$(TEST_SECRET_KEY)}" $(PY) manage.py spectacular --validate --fail-on-warn >/dev/null
	SECRET_KEY="$${SECRET_KEY:-$(TEST_SECRET_KEY)}" $(PY) manage.py compilemessages $(COMPILEMESSAGES_ARGS)
	@if REDIS_URL="$(TEST_REDIS_URL)" bash scripts/ensure_redis.sh; then \
		export REDIS_URL="$(TEST_REDIS_URL)"; \
	elif [ "$${CI:-}" = true ]; then \
		echo "CI=true: Redis is required for the worker tests." >&2; exit 1; \
	else \
		echo "Redis is not available: tests marked 'worker' will be skipped." >&2; \
		unset REDIS_URL; \
	fi; \
	if $(PY) -c "import xdist" 2>/dev/null; then xdist="-n $(PYTEST_WORKERS)"; \
	else echo "pytest-xdist is not installed: running the tests in one process." >&2; xdist=""; fi; \
	echo "$(PY) -m pytest $$xdist $(PYTEST_ARGS)  (REDIS_URL=$${REDIS_URL:-unset})"; \
	$(PY) -m pytest $$xdist $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf var $(VENV)
