# kss-analysis: `make run` builds everything, `make test` checks everything.
# Both set up .venv first (python3 -m venv + pip, versions from requirements.lock).
SHELL := /bin/bash
PYTHON ?= python3
SUPPORTED_PYTHONS := 3.11 3.12
UV := uv==0.13.8
VENV := .venv
BIN := $(VENV)/bin
# The stamp names the interpreter (version + path hash): a .venv made by another Python is
# rebuilt, not reused, and switching PYTHON back and forth never needs `make clean`.
PYTHON_TAG := $(shell $(PYTHON) -c 'import hashlib, os, sys; print(sys.version.split()[0] + "-" + hashlib.sha1(os.path.realpath(sys.executable).encode()).hexdigest()[:8])' 2>/dev/null)
STAMP := $(VENV)/.installed-$(PYTHON_TAG)
export KSS_MIRROR ?=
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

.DEFAULT_GOAL := help
.PHONY: help run test build charts notebooks lab lint format report release lock clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@version=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || { \
	  echo "make: cannot run '$(PYTHON)'. kss-analysis needs Python $(SUPPORTED_PYTHONS): install one, or set PYTHON=python3.11 (or python3.12)." >&2; exit 1; }; \
	case " $(SUPPORTED_PYTHONS) " in *" $$version "*) ;; *) \
	  echo "make: '$(PYTHON)' is Python $$version; kss-analysis supports Python $(SUPPORTED_PYTHONS). Set PYTHON=python3.11 (or python3.12)." >&2; exit 1;; esac
	@if [ -d $(VENV) ] && [ "$$(cat $(VENV)/.python-tag 2>/dev/null)" != "$(PYTHON_TAG)" ]; then \
	  echo "$(VENV) was made by another interpreter ($$(cat $(VENV)/.python-tag 2>/dev/null || echo unknown)); rebuilding it with $(PYTHON) ($(PYTHON_TAG))"; \
	  rm -rf $(VENV); fi
	@echo "Setting up $(VENV) with $(PYTHON) ($(PYTHON_TAG)) from requirements.lock ..."
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "$(PYTHON_TAG)" > $(VENV)/.python-tag
	@# uv installs the same lock about 3x faster than pip (measured: 21 s against 63 s); pip
	@# stays the fallback when uv cannot be had or fails (e.g. an index only pip.conf names).
	@# Bytecode is compiled at install (pip does it by default, uv only when asked): where
	@# PYTHONDONTWRITEBYTECODE is set, each kss or pytest start would otherwise compile some
	@# 600 modules again (measured: 1.1 s of every command here).
	@# The package itself is built with the setuptools and setuptools-scm the lock installed
	@# (--no-build-isolation): no build tools are downloaded, so a second install works offline.
	@$(BIN)/python -m pip install --quiet $(UV) && \
	  $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock && \
	  $(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e . || { \
	  echo "uv unavailable or failed; installing with pip"; \
	  $(BIN)/python -m pip install --quiet --upgrade pip && \
	  $(BIN)/python -m pip install --quiet -r requirements.lock && \
	  $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .; }
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

run: $(STAMP) ## Fetch what can be fetched, build the datasets, execute the notebooks, export the charts
	$(BIN)/kss fetch --all --skip-unreachable
	$(BIN)/kss build
	$(BIN)/kss notebooks run --out reports/notebooks
	$(BIN)/kss charts export --lang en,id --format png,svg --out reports/figures
	@echo "Wrote: data/processed/*.parquet, reports/notebooks/*.ipynb (executed on this data), reports/figures/{en,id}/ (charts + CSV + JSON)"

test: $(STAMP) ## Run the whole test suite, notebooks included (nbval)
	$(BIN)/python -m pytest -p nbval --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider $(PYTEST_ARGS)

notebooks: $(STAMP) ## Refresh the committed notebook outputs (maintainers: run with the mirror, after a data change)
	$(BIN)/kss build
	$(BIN)/kss notebooks run --out notebooks $(NOTEBOOKS)

report: $(STAMP) ## Execute the notebooks, export charts and tables, render HTML under reports/ with reports/index.html
	$(BIN)/kss notebooks run --out reports/notebooks
	$(BIN)/kss charts export --lang en,id --format png,svg --out reports/figures
	$(BIN)/kss tables export --format csv,xlsx --out reports/tables
	$(BIN)/kss notebooks report --executed reports/notebooks --out reports
	@echo "Open reports/index.html: the front page of this run"

release: $(STAMP) ## Build, export charts and tables, then write dist/kss-analysis-data-<version>/ with datapackage.json
	$(BIN)/kss build
	$(BIN)/kss charts export --lang en,id --format png,svg --out reports/figures
	$(BIN)/kss tables export --format csv,xlsx --out reports/tables
	$(BIN)/kss release --out dist --figures reports/figures --tables reports/tables
	@# The package just written (the newest folder) must validate as a Frictionless Data Package.
	$(BIN)/frictionless validate "$$(ls -td dist/kss-analysis-data-*/ | head -1)datapackage.json"

lab: $(STAMP) ## Open JupyterLab in the project environment
	$(BIN)/jupyter lab --notebook-dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

lint: $(STAMP) ## ruff over the package, tests and notebooks; mypy over the package
	$(BIN)/ruff check src tests notebooks
	$(BIN)/ruff format --check src tests notebooks
	$(BIN)/mypy

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format src tests notebooks
	$(BIN)/ruff check --fix src tests notebooks

lock: ## Re-resolve requirements.lock from pyproject.toml (needs the package index)
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/python -m pip install --quiet --upgrade pip
	.lockvenv/bin/python -m pip install --quiet -e '.[dev]'
	.lockvenv/bin/python -m pip freeze --all --exclude-editable | grep -v '^pip==' > requirements.lock  # --all: setuptools too
	rm -rf .lockvenv

clean: ## Remove .venv, processed data and reports
	rm -rf $(VENV) data/processed reports dist .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
