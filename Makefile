# `make demo` and `make test` are the README's two commands; each sets up .venv with what it
# needs: the demo every extra ('.[all]': the themes, the dashboard, the service), the tests
# those and the test tools ('.[test]').
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench
demo: $(VENV)/installed-all
	$(BIN)/aiops-report init-db
	$(BIN)/aiops-report demo-data
	$(BIN)/aiops-report generate

test: $(VENV)/installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir $(CURDIR)/build/site
	$(BIN)/pytest

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/installed-%: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[$*]'
	touch $@

bench: $(VENV)/installed-test
	$(BIN)/python bench/bench.py
