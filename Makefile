VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck bench bench-scale clean

# The virtual environment is rebuilt whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,anaplan,highs,excel,cluster,report]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/consumption run scenarios/forum-example

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

typecheck: $(STAMP)
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_kernel.py

# Every ratio of SPEC §9 at 10k to 10M lots (several minutes; see benchmarks/RESULTS.md).
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/run.py --size 10k 100k 1M 10M

clean:
	rm -rf $(VENV) consumption-out consumption-compare scenarios/*/out .pytest_cache .ruff_cache
