# One command to test, one to try the example city.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint clean system-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,web,embed]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/observatory demo

# Chromium and a CJK font: installed when missing (root + apt), else the command is printed.
system-deps:
	bash scripts/system-deps.sh

test: system-deps $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy
	bash scripts/run-tests.sh

bench: $(STAMP)
	bash scripts/run-bench.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .observatory .pytest_cache
