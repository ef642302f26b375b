# The README's commands. Everything a target needs is set up by the target itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= out
# Leaflet for the self-contained map (--self-contained): the npm package at exactly the
# version folium references, installed outside the repository.
LEAFLET   := 1.9.3
WEB       := build/web
WEB_STAMP := $(WEB)/.installed-leaflet-$(LEAFLET)

.PHONY: help venv assets demo demo-data test lint bench notebooks clean

help:
	@echo "make demo       set up .venv and run the analysis on the embedded demo data (writes $(OUT)/)"
	@echo "make test       set up .venv and run the whole test suite"
	@echo "make demo-data  regenerate the demo files under shapefiles/ from their seed"
	@echo "make assets     install Leaflet (npm) for maps that work without network"
	@echo "make lint       ruff and mypy"
	@echo "make bench      run the benchmarks in benchmarks/"
	@echo "make notebooks  open JupyterLab on notebooks/"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(STAMP)

# Without npm (a fresh machine with only Python and make) this step is skipped with a note:
# the demo map then loads Leaflet online, and the self-contained map tests skip with the reason.
$(WEB_STAMP):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --prefix $(WEB) --no-save --no-audit --no-fund --loglevel=error leaflet@$(LEAFLET) \
	    && touch $@ \
	    || echo "npm install failed: self-contained maps need 'make assets' once online"; \
	else \
	  echo "npm not found: skipping Leaflet for self-contained maps (install Node.js, then 'make assets')"; \
	fi

assets: $(WEB_STAMP)

demo: $(STAMP) $(WEB_STAMP)
	$(BIN)/almere-gis run --out $(OUT)

# With ../shared/data present, the CBS tables the generator reads are derived again from the
# original CBS files first (byte-identical when nothing changed); without it the shipped ones
# are used.
SHARED := ../shared/data
demo-data: $(STAMP)
	@if [ -f $(SHARED)/cbs_almere_buurten.geojson ] && [ -f $(SHARED)/cbs_kerncijfers_almere_2018-2025.csv ]; then \
	  $(BIN)/python scripts/extract_demo_buurten.py --source $(SHARED)/cbs_almere_buurten.geojson \
	  && $(BIN)/python scripts/extract_cbs_counts.py --source $(SHARED)/cbs_kerncijfers_almere_2018-2025.csv; \
	else \
	  echo "$(SHARED) not found: using the CBS tables shipped in almere_gis/datasets/data"; \
	fi
	$(BIN)/almere-gis demo-data

test: $(STAMP) $(WEB_STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check almere_gis tests benchmarks scripts notebooks
	$(BIN)/mypy almere_gis

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench_join.py
	$(BIN)/python benchmarks/bench_kde.py
	$(BIN)/python benchmarks/bench_sites.py
	$(BIN)/python benchmarks/bench_national.py
	$(BIN)/python benchmarks/bench_gistar.py

notebooks: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,notebooks]'
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(OUT) build *.egg-info
