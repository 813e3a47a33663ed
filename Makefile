# Seamline: `make demo` runs the suites against orderflow; `make test` runs every test.
# Both create .venv on first use and install the project into it (quick when already done).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.seamline-installed
RESULTS := results
ROBOT_OPTS ?=
# Every suite run adds to the history the dashboard (`seamline report`) draws from.
METRICS := --listener Seamline.Metrics:history=$(RESULTS)/history.db

# Parallel runs: pabot processes, each running whole suites (its own orderflow) in one robot run; their groups
# are balanced by the durations the history recorded (`seamline shard --pabot`), by count before any run.
PROCESSES ?= 2
PABOT   := $(VENV)/bin/pabot --processes $(PROCESSES) --no-pabotlib --command $(PY) -m robot --end-command
ordering = $(VENV)/bin/seamline shard --pabot --total $(PROCESSES) --name $(1) $(3) \
	$(if $(wildcard $(RESULTS)/history.db),--from $(RESULTS)/history.db) suites > $(2)
# Journeys under load: clients running suites/journeys at once against one shared orderflow.
CLIENTS ?= 2

.PHONY: install demo demo-parallel load report test unit integration acceptance suites suites-servers lint format docs bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# '.[dev]' includes the [orderflow] extra (the platform the suites and tests run against) and every driver.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	@$(PY) -m robot --outputdir $(RESULTS) --name Orderflow $(METRICS) $(ROBOT_OPTS) suites; status=$$?; \
	$(VENV)/bin/seamline report $(RESULTS) --history $(RESULTS)/history.db; \
	echo "Open $(RESULTS)/log.html (report: $(RESULTS)/report.html, dashboard: $(RESULTS)/dashboard.html)"; \
	exit $$status

# The demo's suites in $(PROCESSES) pabot processes at once, each with an orderflow of its own.
demo-parallel: install
	@mkdir -p $(RESULTS)/parallel; $(call ordering,Orderflow,$(RESULTS)/parallel/ordering.txt)
	@$(PABOT) --ordering $(RESULTS)/parallel/ordering.txt --outputdir $(RESULTS)/parallel --name Orderflow \
		$(METRICS) $(ROBOT_OPTS) suites; status=$$?; \
	echo "Open $(RESULTS)/parallel/log.html"; exit $$status

# $(CLIENTS) pabot processes run the journeys at once against one orderflow; then no order may be lost or doubled.
load: install
	$(PY) -m robot --outputdir $(RESULTS)/load --variable CLIENTS:$(CLIENTS) $(ROBOT_OPTS) load

# The figures of the last `make demo` and the dashboard of every run so far; add gates with GATES=...
report: install
	$(VENV)/bin/seamline report $(RESULTS) --history $(RESULTS)/history.db $(GATES)

unit: install
	$(PY) -m pytest tests/unit --junitxml=$(RESULTS)/pytest-unit.xml

integration: install
	$(PY) -m pytest tests/integration --junitxml=$(RESULTS)/pytest-integration.xml

acceptance: install
	$(PY) -m robot --outputdir $(RESULTS)/acceptance --output output.xml --loglevel TRACE:INFO \
		--pythonpath tests/acceptance/libraries $(ROBOT_OPTS) tests/acceptance

# Faults on a database or broker link need a networked database or RabbitMQ: `make demo` shows them skipped
# with the reason, `make test` runs each where it applies (and skips none).
# make test runs the suites in pabot processes: they must pass side by side, each process with its own orderflow.
LOCAL_SUITES := --exclude needs-database-link --exclude needs-broker-link
suites: install
	@mkdir -p $(RESULTS)/suites; $(call ordering,Orderflow,$(RESULTS)/suites/ordering.txt,$(LOCAL_SUITES))
	$(PABOT) --ordering $(RESULTS)/suites/ordering.txt --outputdir $(RESULTS)/suites --name Orderflow \
		$(LOCAL_SUITES) $(METRICS) $(ROBOT_OPTS) suites

# The same suites with orderflow on each server this machine has (all of them on CI, where a missing one fails).
SERVER_ENVS := postgres mariadb rabbitmq
suites-servers: install
	@for env in $(SERVER_ENVS); do \
		server=$$env; absent=needs-broker-link; \
		if [ $$env = rabbitmq ]; then absent=needs-database-link; fi; \
		$(PY) tests/servers.py check $$server; status=$$?; \
		if [ $$status -eq 1 ]; then continue; fi; \
		if [ $$status -eq 2 ]; then mkdir -p $(RESULTS)/suites-$$env; continue; fi; \
		mkdir -p $(RESULTS)/suites-$$env; \
		$(call ordering,Orderflow-$$env,$(RESULTS)/suites-$$env/ordering.txt,--exclude slow --exclude $$absent); \
		$(PABOT) --ordering $(RESULTS)/suites-$$env/ordering.txt --outputdir $(RESULTS)/suites-$$env \
			--name Orderflow-$$env --variablefile variables/$$env.py --exclude slow --exclude $$absent \
			$(METRICS) $(ROBOT_OPTS) suites; \
	done

# Every part runs even when an earlier one fails; the summary then says what failed.
test: install
	@rm -rf $(RESULTS)/pytest-*.xml $(RESULTS)/acceptance/output.xml $(RESULTS)/suites*/ $(RESULTS)/load/
	-@$(MAKE) --no-print-directory unit
	-@$(MAKE) --no-print-directory integration
	-@$(MAKE) --no-print-directory acceptance
	-@$(MAKE) --no-print-directory suites
	-@$(MAKE) --no-print-directory suites-servers
	-@$(MAKE) --no-print-directory load
	@$(PY) tests/summary.py $(RESULTS)

lint: install
	$(PY) -m ruff check libraries orderflow tests benchmarks
	$(PY) -m ruff format --check libraries orderflow tests benchmarks
	$(PY) -m mypy
	$(PY) -m robocop check suites resources load tests/acceptance

format: install
	$(PY) -m ruff format libraries orderflow tests benchmarks
	$(PY) -m ruff check --fix libraries orderflow tests benchmarks
	$(PY) -m robocop format suites resources load tests/acceptance

docs: install
	$(PY) -m robot.libdoc --format HTML Seamline docs/Seamline.html
	$(PY) -m robot.libdoc --format JSON Seamline docs/Seamline.json

bench: install
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(PY) benchmarks/run.py

clean:
	rm -rf $(RESULTS) docs/*.html docs/*.json .pytest_cache .mypy_cache .ruff_cache
