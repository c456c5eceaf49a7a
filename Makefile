# Two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export SPM_LANDING_DIR ?= data/landing
export SPM_WAREHOUSE ?= data/warehouse/spm.duckdb
export SPM_BI_DATABASE ?= data/bi/spm.duckdb
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := true
# This machine sets PYTHONDONTWRITEBYTECODE; bytecode is compiled at install time instead.

UV_VERSION := 0.13.9
SCALE ?= 1
SEED ?= 42

SPARK_STAMP := $(VENV)/.installed-spark

.PHONY: help install install-spark install-chromium java scale-out run full-refresh dev test test-spark lint manifest demo-data next-night statements install-bi bi test-bi clean

help:
	@echo "make run   - install, generate demo data if the landing folder is empty, materialize every asset, publish"
	@echo "make test  - install (Spark and Java included), lint (ruff, sqlfluff) and run the whole pytest suite"
	@echo "make next-night - add the demo's next nightly drop (a late deal, a split, a quota in closed quarters); make run again shows the adjustments"
	@echo "make full-refresh - like run, with incremental dbt models rebuilt from raw"
	@echo "make dev   - Dagster UI on http://127.0.0.1:3000"
	@echo "make scale-out - the scale-out job: the marts on Spark (local session), compared with DuckDB's"
	@echo "make test-spark - the Spark tests alone (make test runs them too)"
	@echo "make bi    - Superset with the SPM dashboards on http://127.0.0.1:8088 (after make run)"
	@echo "make test-bi - the Superset browser test alone (dashboards, row-level security; make test runs it too)"

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# The scale-out target (docs/scale_out.md): dbt-spark and PySpark on top of the default install,
# pinned by requirements-spark.lock (the same pins plus the spark extra). Needs Java 17 or 21.
$(SPARK_STAMP): $(STAMP) requirements-spark.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -r requirements-spark.lock
	touch $(SPARK_STAMP)

# PySpark needs a Java runtime (17 or 21): Debian's, installed when none is on PATH.
java:
	@command -v java >/dev/null || test -x "$${JAVA_HOME:-/nonexistent}/bin/java" || \
		apt-get install -y --no-install-recommends openjdk-17-jre-headless || \
		{ apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless; }

install-spark: $(SPARK_STAMP) java

# The benchmark's plot (docs/benchmarks.md): matplotlib on top of the default install, pinned by
# requirements-bench.lock (the same pins plus the bench extra). `make test` does not need it.
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP) requirements-bench.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -r requirements-bench.lock
	touch $(BENCH_STAMP)

.PHONY: install-bench bench
install-bench: $(BENCH_STAMP)

# Issue 15's benchmark (docs/benchmarks.md): DuckDB floor, full and nightly runs at every scale of
# SCALES, one fixed-cost run at scale 0.05, the tables into docs/benchmarks.md (between its
# benchmark-results markers) and the plot into docs/img. Each scale's demo data is generated
# once into BENCH_CACHE and hard-linked afterwards; BENCH_WORKDIR is emptied first. Scale 100
# takes about 7 min to generate and ~2.7 GB of disk; run nothing else heavy meanwhile.
SCALES ?= 1 10 30 100
BENCH_WORKDIR ?= /tmp/spm-bench
BENCH_CACHE ?= data/bench-cache

bench: install-bench
	$(BIN)/python -m benchmarks --scales $(SCALES) --seed $(SEED) \
		--workdir $(BENCH_WORKDIR) --cache-dir $(BENCH_CACHE) \
		--out docs/benchmarks.md --plot docs/img/benchmark_scaling.png

# The instance's storages are created here, before any run: two runs that are the first to open
# a new instance at once leave its SQLite schedule storage with two schema heads.
$(DAGSTER_HOME)/dagster.yaml: dagster.yaml | $(STAMP)
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster instance migrate >/dev/null

manifest: install
	$(BIN)/python -m orchestration.cli.dbt_manifest

demo-data: install
	$(BIN)/python -m ingestion.demo --if-empty --scale $(SCALE) --seed $(SEED) --out $(SPM_LANDING_DIR)

# The demo's next nightly drop (ingestion/demo/README.md, "The next night"): a late won deal, a
# changed split and a corrected quota in quarters the last run locked; `make run` then publishes
# the adjustments (docs/commission_statements.md, section 8).
next-night: install
	$(BIN)/python -m ingestion.demo --next-night --seed $(SEED) --out $(SPM_LANDING_DIR)

# The main command (orchestration/lib/dagster/pipeline.py names it for the tests and the benchmark).
MATERIALIZE := $(BIN)/dagster asset materialize -m orchestration.definitions --select '*'

run: install demo-data $(DAGSTER_HOME)/dagster.yaml
	$(MATERIALIZE)
	$(BIN)/python -m orchestration.cli.report

# The scale-out job (docs/scale_out.md) on the landing folder: ingestion and the raw gate, the
# DuckDB build, raw as Parquet, dbt build on a local Spark, every mart compared with DuckDB's.
scale-out: install-spark demo-data $(DAGSTER_HOME)/dagster.yaml
	SPM_SCALE_OUT=1 $(BIN)/dagster job execute -m orchestration.definitions \
		-j scale_out_materialization

# Like `run`, with every incremental dbt model rebuilt from raw (`dbt build --full-refresh`).
full-refresh: install demo-data $(DAGSTER_HOME)/dagster.yaml
	$(MATERIALIZE) --config-json '{"ops": {"spm_dbt_models": {"config": {"full_refresh": true}}}}'
	$(BIN)/python -m orchestration.cli.report

# A commission statement per employee and quarter (HTML) from the published BI file only, into
# $SPM_STATEMENTS_DIR (default data/statements); `make run` publishes and renders them too.
statements: install
	$(BIN)/python -m orchestration.cli.statements

dev: install demo-data $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000

# sqlfluff's dbt templater compiles the project; it gets a scratch warehouse of its own.
lint: install manifest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	mkdir -p data/lint
	cd dbt_project && SPM_WAREHOUSE=$(CURDIR)/data/lint/lint.duckdb \
		../$(BIN)/sqlfluff lint . --processes 2
# MetricFlow validates the semantic models and metrics of target/semantic_manifest.json.
# MetricFlow's mf through orchestration.cli.metrics, which drops mf's PyPI update check.
	cd dbt_project && SPM_WAREHOUSE=$(CURDIR)/data/lint/lint.duckdb \
		../$(BIN)/python -m orchestration.cli.metrics validate-configs --skip-dw

# The whole suite, the Spark path and the Superset browser test included
# (tests/e2e/test_scale_out_spark.py, tests/e2e/test_bi_superset.py): SPM_TEST_SPARK=1 and
# SPM_TEST_BI=1 make a missing Spark, Superset or Chromium a failure instead of a skip.
test: lint install-spark install-bi install-chromium
	SPM_TEST_SPARK=1 SPM_TEST_BI=1 $(BIN)/pytest -q

# The Spark path alone: the scale-out job on the demo, vendor-quirks and commission edge-case
# data, every mart compared with DuckDB's, and the dbt unit tests on Spark (about 10 min).
test-spark: install-spark
	SPM_TEST_SPARK=1 $(BIN)/pytest -q tests/e2e/test_scale_out_spark.py

# Dashboards (bi/README.md): Superset 6 in its own venv, pinned by
# bi/requirements-bi.lock (it pins pandas < 2.2 and SQLAlchemy 1.4, so it cannot share ours).
BI_VENV := .venv-bi
BI_STAMP := $(BI_VENV)/.installed
SUPERSET_PORT ?= 8088
# `make bi DEMO=1`: the local demo (admin/admin, a generated secret key). Without it Superset
# needs SUPERSET_SECRET_KEY and SUPERSET_ADMIN_PASSWORD (bi/superset.sh).
DEMO ?=
BI_BUNDLE := data/superset/spm_dashboards.zip
BI_ACCESS := data/superset/access.json

$(BI_STAMP): bi/requirements-bi.lock | $(STAMP)
	test -x $(BI_VENV)/bin/python || $(PYTHON) -m venv $(BI_VENV)
	$(BIN)/uv pip install --quiet --python $(BI_VENV)/bin/python --compile-bytecode \
		-r bi/requirements-bi.lock
	touch $(BI_STAMP)

install-bi: install $(BI_STAMP)

# Metadata in data/superset (SQLite); the bundle is rebuilt from the semantic layer and
# bi/dashboards and re-imported every time, then Superset serves in the foreground (Ctrl-C).
bi: install-bi
	@test -f "$(SPM_BI_DATABASE)" || { echo "No BI file at $(SPM_BI_DATABASE): run make run first."; exit 1; }
	$(BIN)/python -m orchestration.cli.superset_bundle --out $(BI_BUNDLE)
	SUPERSET_DEMO=$(DEMO) bi/superset.sh init
	SUPERSET_DEMO=$(DEMO) bi/superset.sh import $(BI_BUNDLE)
	$(BIN)/python -m orchestration.cli.superset_access --out $(BI_ACCESS)
	SUPERSET_DEMO=$(DEMO) bi/superset.sh access $(BI_ACCESS)
	@echo "Superset: http://127.0.0.1:$(SUPERSET_PORT)/dashboard/list/ (login: admin, password: $${SUPERSET_ADMIN_PASSWORD:-admin with DEMO=1}; reps, managers and sales ops by e-mail: bi/README.md)"
	SUPERSET_DEMO=$(DEMO) bi/superset.sh serve $(SUPERSET_PORT)

# Debian's Chromium and ChromeDriver for the browser test, installed when missing (as root).
APT := $(if $(filter 0,$(shell id -u)),,sudo -n) apt-get
install-chromium:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		$(APT) install -y chromium chromium-driver || \
		{ $(APT) update && $(APT) install -y chromium chromium-driver; }

# The browser test alone (make test runs it too): a pipeline run, Superset on a free port, every
# dashboard checked and captured to docs/img/, then row-level security as three users (~6 min).
test-bi: install-bi install-chromium
	SPM_TEST_BI=1 SPM_TEST_BI_SCREENSHOTS=docs/img $(BIN)/pytest -q tests/e2e/test_bi_superset.py

clean:
	rm -rf data dbt_project/target dbt_project/logs
