# The course's commands. Each creates the environment (.venv) on first use.
#   make run        execute every notebook headlessly (MNIST_SOURCE, COURSE_DIGITS, COURSE_SEED) and print each key result
#   make test       ruff, the unit tests and nbval over every notebook
#   make lab        open JupyterLab on the notebooks
#   make notebooks  re-run every notebook and store its outputs (after changing a notebook or a helper)
#   make bench      measure the course's speed and accuracy (benchmarks/bench.py)
#   make portable   strict nbval with the processor's vector instructions capped (another processor's arithmetic)
#   make robust     every notebook for seeds 0, 1, 2, natively and capped, for 3s and 7s, and on other data:
#                   every cell runs, every assert holds
#   make experiments  the lessons' experiments (GD/SGD, log loss, lesson 6's settings, lesson 8's CNN) over seeds on
#                   the official MNIST test set: writes benchmarks/measured/experiments.json, which lessons 4, 6, 8 quote
#   make mutations  plant known bugs in helpers/ and benchmarks/ one at a time: the unit tests must catch each

PYTHON ?= python3
.DEFAULT_GOAL := run
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lab notebooks bench experiments portable robust mutations clean

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed: run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python tools/run_notebooks.py

NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

test: $(STAMP)
	$(BIN)/ruff check helpers tests tools benchmarks notebooks
	$(BIN)/python -m pytest $(NBVAL)

portable: $(STAMP)
	env $$($(BIN)/python tools/variants.py no-simd) $(BIN)/python -m pytest $(NBVAL) notebooks

robust: $(STAMP)
	$(BIN)/python -m tools.robust
	$(BIN)/python -m tools.robust --seeds 42 --variants native --digits 3,7
	$(BIN)/python -m tools.robust --seeds 42 --variants native --source other

mutations: $(STAMP)
	$(BIN)/python -m tools.mutations

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks

notebooks: $(STAMP)
	$(BIN)/python tools/run_notebooks.py --in-place
	$(BIN)/python tools/glossary.py

# The official MNIST test set beside the project, where there is one (development and CI machines).
MNIST_TEST ?= $(wildcard ../shared/data/mnist)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py $(if $(MNIST_TEST),--mnist-test $(MNIST_TEST)) $(BENCH_ARGS)

experiments: $(STAMP)
	$(BIN)/python benchmarks/experiments.py --mnist-test $(or $(MNIST_TEST),$(error make experiments needs the official MNIST test set: MNIST_TEST=DIR))
	COURSE_DIGITS=3,7 $(BIN)/python benchmarks/experiments.py --mnist-test $(MNIST_TEST) --only gd loss --seeds 0 1 2

clean:
	rm -rf $(VENV)
