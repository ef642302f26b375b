# The README's commands. Everything a target needs is set up by the target itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= out

.PHONY: help venv demo demo-data test lint bench notebooks clean

help:
	@echo "make demo       set up .venv and run the analysis on the embedded demo data (writes $(OUT)/)"
	@echo "make test       set up .venv and run the whole test suite"
	@echo "make demo-data  regenerate the demo files under shapefiles/ from their seed"
	@echo "make lint       ruff and mypy"
	@echo "make bench      run the benchmarks in benchmarks/"
	@echo "make notebooks  open JupyterLab on notebooks/"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/almere-gis run --out $(OUT)

demo-data: $(STAMP)
	$(BIN)/almere-gis demo-data

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check almere_gis tests benchmarks scripts notebooks
	$(BIN)/mypy almere_gis

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_join.py
	$(BIN)/python benchmarks/bench_kde.py

notebooks: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,notebooks]'
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(OUT) build *.egg-info
