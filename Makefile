# `make demo` and `make test` are the README's two commands; both set up .venv first.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench
demo: $(VENV)/installed
	$(BIN)/aiops-report init-db
	$(BIN)/aiops-report demo-data
	$(BIN)/aiops-report generate

test: $(VENV)/installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir $(CURDIR)/build/site
	$(BIN)/pytest

$(VENV)/installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

bench: $(VENV)/installed
	$(BIN)/python bench/bench.py
