# One command to test, one to try the example city.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint clean system-deps screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,web,embed,spark]'
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

# Chromium saves every page in zh and en (the test city) as small PNGs under docs/screenshots/.
screenshots: system-deps $(STAMP)
	OBSERVATORY_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q \
	  -p no:cacheprovider tests/web/test_screenshots.py

bench: $(STAMP)
	bash scripts/run-bench.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .observatory .pytest_cache
