# The course's commands. Each creates the environment (.venv) on first use.
#   make run        execute every notebook headlessly on the embedded data and print each key result
#   make test       ruff, the unit tests and nbval over every notebook
#   make lab        open JupyterLab on the notebooks
#   make notebooks  re-run every notebook and store its outputs (after changing a notebook or a helper)
#   make bench      measure the course's speed and accuracy (benchmarks/bench.py)

PYTHON ?= python3
.DEFAULT_GOAL := run
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lab notebooks bench clean

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed: run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python tools/run_notebooks.py

test: $(STAMP)
	$(BIN)/ruff check helpers tests tools benchmarks notebooks
	$(BIN)/python -m pytest --nbval --nbval-current-env --sanitize-with tests/nbval_sanitize.cfg

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks

notebooks: $(STAMP)
	$(BIN)/python tools/run_notebooks.py --in-place

# The official MNIST test set beside the project, where there is one (development and CI machines).
MNIST_TEST ?= $(wildcard ../shared/data/mnist)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py $(if $(MNIST_TEST),--mnist-test $(MNIST_TEST))

clean:
	rm -rf $(VENV)
