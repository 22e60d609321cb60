# The README's two commands: `make demo` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell cat requirements/*.txt | sha1sum | cut -c1-12)
export PGPORT ?= 54329
TEST_DATABASE_URL ?= postgres://parcours@127.0.0.1:$(PGPORT)/parcours
DEMO_ENV := DJANGO_SETTINGS_MODULE=config.settings.dev

.PHONY: install demo demo-data serve test test-python lint fix migrations-check smoke browser bench bench-pathways bench-directory bench-referrals bench-programmes bench-recommend bench-placement pg-start pg-stop clean

install: $(STAMP)
$(STAMP): requirements/base.txt requirements/test.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(PY) -r requirements/test.txt
	rm -f $(VENV)/.installed-*; touch $@

demo: install demo-data serve

demo-data: install
	mkdir -p var
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py load_reference
	$(DEMO_ENV) $(PY) manage.py demo_load --persons 300 --if-absent

serve:
	@$(DEMO_ENV) $(PY) manage.py demo_logins
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

pg-start:
	scripts/pg.sh start
pg-stop:
	scripts/pg.sh stop

# Typed modules: services (writes), selectors (scoped reads) and pure cores.
TYPED := parcours/audit/chain.py parcours/diagnostics/rules.py $(wildcard parcours/*/services*.py) \
	$(wildcard parcours/*/selectors*.py) parcours/pathways/retention.py parcours/pathways/breaks.py parcours/pathways/orientation.py parcours/referrals/links.py parcours/programmes/access.py parcours/programmes/eligibility.py parcours/programmes/facts.py parcours/programmes/indicators.py parcours/programmes/stats.py \
	$(wildcard parcours/matching/scoring.py parcours/matching/placement.py parcours/matching/fairness.py parcours/matching/outcome.py parcours/matching/placement_build.py parcours/matching/tasks.py parcours/matching/stats.py parcours/matching/access.py parcours/occupations/rome_import.py parcours/occupations/tension_import.py parcours/occupations/search.py parcours/occupations/sheets.py) \
	$(addprefix parcours/directory/,records.py search.py quality.py importing.py exporting.py mapping.py vocabulary.py duplicates.py) \
	parcours/territories/geo.py parcours/territories/importers.py

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy $(TYPED)

fix: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: install
	DATABASE_URL=$(TEST_DATABASE_URL) DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

# Demo smoke test on SQLite in a throw-away file: migrate, load, serve, fetch pages.
smoke: install
	scripts/smoke.sh

test: install
	@scripts/pg.sh start
	@trap 'scripts/pg.sh stop' EXIT; \
	  $(MAKE) --no-print-directory lint && \
	  $(MAKE) --no-print-directory migrations-check && \
	  DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest --create-db -q -m "not browser" && \
	  $(MAKE) --no-print-directory smoke && \
	  DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest --create-db -q -m browser

bench: bench-pathways bench-directory bench-referrals bench-programmes bench-recommend bench-placement

bench-pathways: install
	@scripts/pg.sh start
	@trap 'scripts/pg.sh stop' EXIT; \
	  DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/bench_pathways.py $(BENCH_ARGS)

bench-directory: install
	@scripts/pg.sh start
	@trap 'scripts/pg.sh stop' EXIT; \
	  DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/bench_directory.py $(BENCH_ARGS)

clean:
	scripts/pg.sh stop
	rm -rf var $(VENV)

bench-referrals: install
	@scripts/pg.sh start
	@trap 'scripts/pg.sh stop' EXIT; \
	  DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/bench_referrals.py $(BENCH_ARGS)

bench-programmes: install
	@scripts/pg.sh start
	@trap 'scripts/pg.sh stop' EXIT; \
	  DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/bench_programmes.py $(BENCH_ARGS)

bench-recommend: install
	@scripts/pg.sh start
	@trap 'scripts/pg.sh stop' EXIT; \
	  DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/bench_recommend.py $(BENCH_ARGS)

# Placement solver core on synthetic instances (pure: no database).
bench-placement: install
	$(PY) bench/bench_placement.py $(BENCH_ARGS)
