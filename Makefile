# kss-analysis: `make run` builds everything, `make test` checks everything.
# Both set up .venv first (python3 -m venv + pip, versions from requirements.lock).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export KSS_MIRROR ?=
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
# Execute notebooks reproducibly: no timestamps in cell metadata, tags and kernelspec kept.
NBEXEC := $(BIN)/jupyter nbconvert --to notebook --execute --log-level=WARN \
  --ClearMetadataPreprocessor.enabled=True \
  --ClearMetadataPreprocessor.clear_notebook_metadata=False \
  --ClearMetadataPreprocessor.preserve_cell_metadata_mask=tags

.DEFAULT_GOAL := help
.PHONY: help run test build charts notebooks lab lint format report lock clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@echo "Setting up $(VENV) from requirements.lock ..."
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

run: $(STAMP) ## Fetch what can be fetched, build the datasets, execute the notebooks, export the charts
	$(BIN)/kss fetch --all --skip-unreachable
	$(BIN)/kss build
	@mkdir -p reports/notebooks
	@for nb in $(NOTEBOOKS); do $(NBEXEC) --output-dir reports/notebooks "$$nb" || exit 1; done
	$(BIN)/kss charts export --lang en,id --format png,svg --out reports/figures
	@echo "Wrote: data/processed/*.parquet, reports/notebooks/*.ipynb (executed), reports/figures/{en,id}/ (charts + CSV + JSON)"

test: $(STAMP) ## Run the whole test suite, notebooks included (nbval)
	$(BIN)/python -m pytest --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

notebooks: $(STAMP) ## Refresh the committed notebook outputs in place (after a data change)
	$(BIN)/kss build
	@for nb in $(NOTEBOOKS); do $(NBEXEC) --inplace "$$nb" || exit 1; done

report: $(STAMP) ## Render every notebook to HTML under reports/
	$(BIN)/jupyter nbconvert --to html --output-dir reports $(NOTEBOOKS)

lab: $(STAMP) ## Open JupyterLab in the project environment
	$(BIN)/jupyter lab --notebook-dir=notebooks

lint: $(STAMP) ## ruff over the package, tests and notebooks
	$(BIN)/ruff check src tests notebooks
	$(BIN)/ruff format --check src tests notebooks

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format src tests notebooks
	$(BIN)/ruff check --fix src tests notebooks

lock: ## Re-resolve requirements.lock from pyproject.toml (needs the package index)
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/python -m pip install --quiet --upgrade pip
	.lockvenv/bin/python -m pip install --quiet -e '.[dev]'
	.lockvenv/bin/python -m pip freeze --exclude-editable > requirements.lock
	rm -rf .lockvenv

clean: ## Remove .venv, processed data and reports
	rm -rf $(VENV) data/processed reports .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
