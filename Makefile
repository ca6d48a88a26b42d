# The two commands of the README: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(dir $(wildcard plugins/*/pyproject.toml)))
STAMP := $(VENV)/.installed
# Test processes per pass (pytest-xdist): each has its own database and Redis prefix.
TEST_WORKERS ?= 2

.PHONY: run test test-sqlite test-postgresql lint services bench clean

$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet -e ".[test]" $(foreach p,$(PLUGINS),-e $(p))
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/crm init
	$(BIN)/crm demo
	$(BIN)/crm serve

services:
	scripts/ensure-services.sh

lint: $(STAMP)
	$(BIN)/ruff check .

test-sqlite: $(STAMP)
	CRM_TEST_DATABASE=sqlite $(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) -m "not browser and not dataset"

test-postgresql: $(STAMP) services
	CRM_TEST_DATABASE=postgresql $(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS)

test: $(STAMP) services lint test-sqlite test-postgresql

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var test-artifacts
