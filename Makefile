# Entry points of the course. `make book` builds the website, `make test` runs every test; each sets up what it
# needs first (a virtual environment with pinned packages in .venv/, the site's JavaScript in node_modules/).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
INSTALLED := $(VENV)/.installed
ASSETS := _vendor/.installed
JB_FLAGS := -W -n --keep-going
# Where the book is built or tested a failed claim fails the run (dlcourse.claims); make lab stays a learner's session.
STRICT := DLCOURSE_STRICT=1
# The second seed CI executes the book under (one of the robustness runner's seeds 0-4, where every claim was shown to
# hold): a claim added or changed without the runner still has to hold for a seed its author did not try.
SECOND_SEED ?= 3

.PHONY: help setup assets book test test-seed test-fast lab learner bench robustness browser constraints clean

help:
	@echo "make book       set up, execute the notebooks (those changed since the last build) and build _build/html"
	@echo "make test       set up and run every test (package, exercises, notebooks, site in headless Chromium)"
	@echo "make test-fast  the package and exercise tests only (seconds)"
	@echo "make test-seed  execute every notebook under another seed (SECOND_SEED=$(SECOND_SEED)); part of make test"
	@echo "make robustness execute every notebook over seeds 0-4 x 1, 2 threads; tabulate every claim's spread"
	@echo "make lab        open the notebooks in JupyterLab (MyST rendered by jupyterlab-myst)"
	@echo "make learner    write every chapter's learner edition into learner/ (what Colab opens; see README)"
	@echo "make bench      run every benchmark (tables in benchmarks/results/, shown in the book's appendix)"
	@echo "make clean      remove the build (the next make book executes every notebook), keep the environment"

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

# Incremental: a build after an edit re-executes only the notebooks whose source, questions or dlcourse files
# changed since the last one (_ext/notebook_deps.py); from nothing (or after make clean) it executes every notebook.
book: setup
	$(BIN)/jupyter-book build . $(JB_FLAGS)

browser:
	@bash scripts/ensure-chromium

# The site test's build executes every notebook at the default seed (strict: a failed claim fails the build, naming
# the notebook and the claim); test-seed executes them all once more, with nbval, under SECOND_SEED.
test: setup browser
	$(STRICT) $(BIN)/pytest tests
	$(MAKE) --no-print-directory test-seed

test-seed: setup
	$(STRICT) DLCOURSE_SEED=$(SECOND_SEED) $(BIN)/pytest --nbval-lax book

test-fast: $(INSTALLED)
	$(STRICT) $(BIN)/pytest tests -m "not site and not slow"

# The source notebooks, with their MyST rendered by jupyterlab-myst (installed by the book extra). JupyterLab refuses
# to start as root (containers, CI machines) unless told it may; LAB_ARGS passes more options (e.g. --no-browser).
LAB_ARGS ?=
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
lab: setup
	$(BIN)/jupyter lab book/ $(ALLOW_ROOT) $(LAB_ARGS)

# The learner editions (what the site's download and Colab buttons give), written from the source notebooks into
# learner/<path>.ipynb; the maintainers publish that folder as the learner branch (README, "Learner editions").
learner: $(INSTALLED)
	rm -rf learner
	$(PY) _ext/learner_edition.py learner

bench: setup
	$(PY) benchmarks/run_all.py

robustness: setup
	$(PY) benchmarks/robustness.py

constraints:
	rm -rf /tmp/dlcourse-lock && $(PYTHON) -m venv /tmp/dlcourse-lock
	/tmp/dlcourse-lock/bin/pip install --quiet "torch==2.13.0" -e ".[book,test]"
	@echo "review, then copy: /tmp/dlcourse-lock/bin/pip freeze --exclude-editable > constraints.txt"

clean:
	rm -rf _build dist build *.egg-info learner
