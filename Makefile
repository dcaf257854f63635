# The two commands: `make run` (the app with the demo district) and `make test` (every guardrail).
# Both bootstrap a virtualenv in .venv from pyproject.toml; nothing else needs to be installed.
SHELL := /bin/bash
PORT ?= 8000
# Tests run on two workers (each with its own test database); a file's tests stay on one worker.
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

.PHONY: run test test-slow bootstrap db-stop lint messages demo bench bench-replica clean-db deploy-check

$(VENV)/.installed: pyproject.toml
	@python=$$(.ci/find-python) || exit 1; \
	  if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$python"; "$$python" -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

bootstrap: $(VENV)/.installed

# One background worker (manage.py worker: exports, imports, reminders…) runs beside the web server and
# stops with it.
run: bootstrap
	$(MANAGE) migrate --no-input -v 0
	$(MANAGE) seed_demo
	$(MANAGE) worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	  DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(MANAGE) runserver 127.0.0.1:$(PORT)

demo: bootstrap
	$(MANAGE) migrate --no-input -v 0
	$(MANAGE) seed_demo

lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(MANAGE) check --fail-level WARNING
	$(MANAGE) makemigrations --check --dry-run
	@$(VENV)/bin/pytest -n 2 --dist loadfile $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure"; exit 1; fi; exit $$rc

# The tests marked slow (print-to-PDF, crawls, the streaming replica pair; README): once per CI run.
test-slow: bootstrap
	@$(VENV)/bin/pytest -n 2 --dist loadfile -m slow $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no slow test: that is a failure"; exit 1; fi; exit $$rc

# Django's deployment checklist under a production environment (see .env.example): no warning allowed.
deploy-check: bootstrap
	# one definition of the production settings: the test's (tests/core/test_deploy_check.py), which the suite runs too
	$(PY) -m pytest -p no:xdist -q tests/core/test_deploy_check.py

# The benchmark (bench/README.md): SIZE=small|city|province, against BENCH_DATABASE_URL or a database of its own
# on the PostgreSQL at 127.0.0.1:5432. Needs Debian's wrk. Not part of `make test`.
SIZE ?= city
bench: bootstrap
	$(PY) bench/run.py --size $(SIZE)

# The read replica measured on a throwaway streaming pair of its own (bench/replica.py): figure pages and
# write paths with and without DATABASE_REPLICA_URL, A B A B. Not part of `make test`.
bench-replica: bootstrap
	$(PY) bench/replica.py --size $(SIZE)

db-stop: bootstrap
	$(PY) -m jianbei.embedded_db stop

messages: bootstrap
	$(PY) -m jianbei.compile_messages
