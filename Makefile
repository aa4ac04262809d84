# The operator's front door: `make demo` and `make test` each do their own set-up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export LIFECYCLE_HOME ?= $(CURDIR)/.lifecycle
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
SCALE ?= 100000
DAYS ?= 730

# The report's browser test renders the HTML in Debian's headless chromium.
CHROMIUM := /usr/bin/chromium
CHROMIUM_STAMP := $(VENV)/.chromium
CHROMIUM_LOG := $(VENV)/chromium-install.log

.PHONY: setup chromium spark demo test lint bench clean

$(STAMP): requirements.lock pyproject.toml
	@echo "==> setting up $(VENV) from requirements.lock (one time, about a minute)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock > $(VENV)/install.log 2>&1 \
		|| (cat $(VENV)/install.log; exit 1)
	@$(BIN)/pip install -q --disable-pip-version-check --no-deps -e . >> $(VENV)/install.log 2>&1 \
		|| (cat $(VENV)/install.log; exit 1)
	@touch $@

setup: $(STAMP)

# Installed only when missing (the test machine's one system package; needs root).
$(CHROMIUM):
	@if [ "$$(id -u)" != 0 ]; then \
		echo "error: $(CHROMIUM) is missing; the report test needs Debian's chromium and" \
			"installing it needs root: run 'sudo apt-get install -y --no-install-recommends" \
			"chromium' (or 'make test' as root)" >&2; exit 1; fi
	@command -v apt-get > /dev/null || { echo "error: $(CHROMIUM) is missing and there is" \
		"no apt-get here: install a chromium at $(CHROMIUM) yourself" >&2; exit 1; }
	@mkdir -p $(VENV)
	@echo "==> installing Debian's chromium for the report test (one time, log: $(CHROMIUM_LOG))"
	@{ apt-get -q -o DPkg::Lock::Timeout=600 update \
		&& DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 \
			install --no-install-recommends chromium; } > $(CHROMIUM_LOG) 2>&1 \
		|| { tail -n 20 $(CHROMIUM_LOG); echo "error: installing chromium failed;" \
			"full log: $(CHROMIUM_LOG)" >&2; exit 1; }

# Re-checked when the binary changes: it must start headless, not just exist.
$(CHROMIUM_STAMP): $(CHROMIUM)
	@mkdir -p $(VENV)
	@$(CHROMIUM) --headless --no-sandbox --version > $(CHROMIUM_LOG).version 2>&1 \
		|| { cat $(CHROMIUM_LOG).version; echo "error: $(CHROMIUM) does not start" >&2; exit 1; }
	@touch $@

chromium: $(CHROMIUM_STAMP)

# The sql-source and server tests start throwaway PostgreSQL servers from the system's
# binaries (lifecycle.pgserver); installed only when missing (needs root).
PG_STAMP := $(VENV)/.postgresql
$(PG_STAMP):
	@mkdir -p $(VENV)
	@if ! command -v initdb > /dev/null && ! ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1; then \
		if [ "$$(id -u)" != 0 ]; then echo "error: PostgreSQL's server binaries are missing;" \
			"run 'sudo apt-get install -y postgresql' (or 'make test' as root)" >&2; exit 1; fi; \
		echo "==> installing Debian's postgresql for the tests (one time)"; \
		{ apt-get -q -o DPkg::Lock::Timeout=600 update \
			&& DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 \
				install --no-install-recommends postgresql; } > $(VENV)/postgresql-install.log 2>&1 \
			|| { tail -n 20 $(VENV)/postgresql-install.log; exit 1; }; \
	fi
	@touch $@

# The compose test validates docker-compose.yml with the compose CLI (no engine needed): the
# docker CLI's plugin if it has one, else Debian's docker-compose, installed when missing.
COMPOSE_STAMP := $(VENV)/.compose
$(COMPOSE_STAMP):
	@mkdir -p $(VENV)
	@if command -v docker > /dev/null && ! docker compose version > /dev/null 2>&1 \
		&& ! command -v docker-compose > /dev/null; then \
		if [ "$$(id -u)" != 0 ]; then echo "error: the docker CLI has no compose plugin;" \
			"run 'sudo apt-get install -y docker-compose' (or 'make test' as root)" >&2; exit 1; fi; \
		echo "==> installing Debian's docker-compose for the compose test (one time)"; \
		{ apt-get -q -o DPkg::Lock::Timeout=600 update \
			&& DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 \
				install --no-install-recommends docker-compose; } > $(VENV)/compose-install.log 2>&1 \
			|| { tail -n 20 $(VENV)/compose-install.log; exit 1; }; \
	fi
	@touch $@

# The Spark test starts a JVM (pyspark 4 needs Java 17); installed only when missing (needs root).
JAVA_STAMP := $(VENV)/.java
$(JAVA_STAMP):
	@mkdir -p $(VENV)
	@if ! command -v java > /dev/null; then \
		if [ "$$(id -u)" != 0 ]; then echo "error: java is missing; the Spark test needs Java 17:" \
			"run 'sudo apt-get install -y openjdk-17-jre-headless' (or 'make test' as root)" >&2; exit 1; fi; \
		echo "==> installing Debian's openjdk-17-jre-headless for the Spark test (one time)"; \
		{ apt-get -q -o DPkg::Lock::Timeout=600 update \
			&& DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 \
				install --no-install-recommends openjdk-17-jre-headless; } > $(VENV)/java-install.log 2>&1 \
			|| { tail -n 20 $(VENV)/java-install.log; exit 1; }; \
	fi
	@touch $@

# dbt on Spark (LIFECYCLE_TARGET=spark): dbt-spark and pyspark in a venv of their own, from the
# pins of deploy/spark/requirements.txt (the Spark test installs it the same way when missing).
SPARK_VENV := .venv-spark
$(SPARK_VENV)/.pins: deploy/spark/requirements.txt
	@echo "==> setting up $(SPARK_VENV) from deploy/spark/requirements.txt (one time)"
	@rm -rf $(SPARK_VENV) && $(PYTHON) -m venv $(SPARK_VENV)
	@$(SPARK_VENV)/bin/pip install -q --disable-pip-version-check -r $< > $(SPARK_VENV)/install.log 2>&1 \
		|| (cat $(SPARK_VENV)/install.log; exit 1)
	@cp $< $@

spark: $(SPARK_VENV)/.pins $(JAVA_STAMP)

demo: setup
	@$(BIN)/lifecycle demo

# Two workers, one per core. A module's tests stay on one worker (--dist loadfile), so its
# module-scoped set-up (a whole nightly run, say) is built once. (loadgroup would let modules
# share a session fixture's worker, but pytest-xdist 3.8 cannot set groups under pytest 9.)
test: setup $(CHROMIUM_STAMP) $(PG_STAMP) $(COMPOSE_STAMP) $(JAVA_STAMP)
	@$(BIN)/python -m pytest -n 2 --dist loadfile

# The scale benchmark (issue 9), not part of `make test`: generates SCALE people over DAYS
# days (default 100000 people, 730 days) in its own home under $(LIFECYCLE_HOME)/bench/, runs the full night and
# the next day through Airflow, prints the figures and writes $(LIFECYCLE_HOME)/bench/latest.json.
bench: setup
	@$(BIN)/lifecycle bench --scale $(SCALE) --days $(DAYS)

lint: setup
	@$(BIN)/ruff check plugins dags expectations tests
	@$(BIN)/ruff format --check plugins dags expectations tests
	@$(BIN)/mypy

clean:
	rm -rf .lifecycle
