# Entry points of the course. `make book` builds the website, `make test` runs every test; each sets up what it
# needs first (a virtual environment with pinned packages in .venv/, the site's JavaScript in node_modules/).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
INSTALLED := $(VENV)/.installed
ASSETS := _vendor/.installed
JB_FLAGS := -W -n --keep-going

.PHONY: help setup assets book test test-fast lab bench browser constraints clean

help:
	@echo "make book       set up, execute every notebook and build the website into _build/html"
	@echo "make test       set up and run every test (package, exercises, notebooks, site in headless Chromium)"
	@echo "make test-fast  the package and exercise tests only (seconds)"
	@echo "make lab        open the notebooks in JupyterLab"
	@echo "make bench      run every benchmark (tables in benchmarks/results/, shown in the book's appendix)"
	@echo "make clean      remove the build, keep the environment"

setup: $(INSTALLED) $(ASSETS)

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt setuptools -e ".[book,test]"
	touch $@

assets: $(ASSETS)

$(ASSETS): package.json package-lock.json scripts/vendor_assets.py
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	$(PYTHON) scripts/vendor_assets.py
	touch $@

book: setup
	rm -rf _build/.doctrees _build/html _build/jupyter_execute
	$(BIN)/jupyter-book build . $(JB_FLAGS)

browser:
	@bash scripts/ensure-chromium

test: setup browser
	$(BIN)/pytest --nbval-lax tests book

test-fast: $(INSTALLED)
	$(BIN)/pytest tests -m "not site and not slow"

lab: setup
	$(BIN)/jupyter lab book/

bench: setup
	$(PY) benchmarks/run_all.py

constraints:
	rm -rf /tmp/dlcourse-lock && $(PYTHON) -m venv /tmp/dlcourse-lock
	/tmp/dlcourse-lock/bin/pip install --quiet "torch==2.13.0" -e ".[book,test]"
	@echo "review, then copy: /tmp/dlcourse-lock/bin/pip freeze --exclude-editable > constraints.txt"

clean:
	rm -rf _build dist build *.egg-info
