# The course's commands. Each creates the environment (.venv) on first use: the learner's (requirements.txt) for run,
# lab and doctor, with the contributor's tools (requirements-dev.txt) for the rest.
#   make run        execute every notebook headlessly (MNIST_SOURCE, COURSE_DIGITS, COURSE_SEED) and print each key result
#   make lab        open JupyterLab on the notebooks
#   make doctor     check this environment: Python, the pinned packages, the device, the cache, the data
# The tests, in three tiers (README, "Testing"):
#   make quick      ruff and the unit tests that take seconds (no notebook, no browser, nothing slow): the loop to run
#                   while working, under a minute
#   make test       ruff, the fast unit tests and nbval over every notebook (the README's test command)
#   make check      everything CI runs (.ci/run): make test, the slow tests, the browser tests, the practice copies,
#                   the website in Chromium, the Colab check, the processor caps and the other seeds, digits and data
# The parts of make check, each also on its own:
#   make slow       the unit tests marked slow or browser (trainings, quick benchmark runs, JupyterLab in Chromium)
#   make portable   strict nbval with the processor's vector instructions capped (another processor's arithmetic)
#   make robust     every notebook for seeds 0, 1, 2, natively and capped, for 3s and 7s, for 4s and 9s (a hard pair),
#                   on other data with junk files beside the images, and on twice the data: every cell runs, every
#                   assert holds
#   make site-check build the site, then test every page in Chromium at 375 and 1280 px (tests/test_site.py)
#   make colab-check  run every notebook in a fresh Colab-like environment (older torch, pandas, numpy, IPython) that
#                   installs the helpers the way Colab does, from this clone (tools/colab_check.py)
# Maintaining the course:
#   make notebooks  re-run every notebook and store its outputs (after changing a notebook or a helper), then renew the
#                   glossary, the practice copies and the teacher's page
#   make practice   write practice/, the practice copy of every lesson: exercises stubbed, answers and outputs removed
#                   (nbgrader's preprocessors, configured in nbgrader_config.py; tools/practice.py)
#   make bench      measure the course's speed and accuracy (benchmarks/bench.py; with the official MNIST test set also
#                   lesson 11's ten-digit models, benchmarks/ten_digits.py, into bench-results/)
#   make experiments  the lessons' experiments (baseline, GD/SGD, log loss, lesson 8's settings, lesson 10's CNN, lesson
#                   11's ten-digit models) over seeds on the official MNIST test set: writes benchmarks/measured/*.json,
#                   which lessons 4, 5, 8, 10 and 11 quote
#   make mutations  plant known bugs in helpers/ and benchmarks/ one at a time: the unit tests must catch each
#   make publish COURSE_REPO=https://github.com/OWNER/REPO COURSE_REF=v1.0
#                   point the Colab badges, install blocks and README links at where the course is published
#   make site       the course as a website in build/site, from the stored notebooks (tools/site.py, MkDocs)

# The first of python3, python3.13, python3.12, python3.11 that is Python 3.11 to 3.13; or PYTHON=/path/to/python.
SUPPORTED := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))
ifeq ($(origin PYTHON),undefined)
PYTHON := $(firstword $(foreach p,python3 python3.13 python3.12 python3.11,$(shell $(p) -c '$(SUPPORTED)' 2>/dev/null && command -v $(p))))
endif
.DEFAULT_GOAL := run
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV := $(VENV)/.installed-dev

.PHONY: run quick test check slow lab notebooks practice bench experiments portable robust mutations doctor publish \
	colab-check site site-check clean

$(STAMP): requirements.txt pyproject.toml
	@$(or $(PYTHON),false) -c '$(SUPPORTED)' 2>/dev/null || { echo "Python 3.11, 3.12 or 3.13 is needed$(if $(PYTHON), ($(PYTHON) is missing or another version)): install one, or name it with make PYTHON=/path/to/python3.12 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(DEV): $(STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(DEV)

run: $(STAMP)
	$(BIN)/python tools/run_notebooks.py

NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
RUFF = $(BIN)/ruff check helpers tests tools benchmarks notebooks nbgrader_config.py
# tests/test_site.py needs the built site: make site-check runs it.
PYTEST = $(BIN)/python -m pytest --ignore=tests/test_site.py

quick: $(DEV)
	$(RUFF)
	$(PYTEST) -m "not slow and not notebooks and not browser" tests

test: $(DEV)
	$(RUFF)
	$(PYTEST) $(NBVAL) -m "not slow and not browser"

slow: $(DEV)
	$(PYTEST) -m "slow or browser" tests

# Everything CI runs (.ci/run and .github/workflows/ci.yml call it); each part runs once.
check: test slow site-check colab-check portable robust

portable: $(DEV)
	env $$($(BIN)/python tools/variants.py no-simd) $(BIN)/python -m pytest $(NBVAL) notebooks

robust: $(DEV)
	$(BIN)/python -m tools.robust
	$(BIN)/python -m tools.robust --seeds 42 --variants native --digits 3,7
	$(BIN)/python -m tools.robust --seeds 42 --variants native --digits 4,9
	$(BIN)/python -m tools.robust --seeds 42 --variants native --source other
	@if [ -d ../shared/data/mnist ]; then $(BIN)/python -m tools.robust --seeds 42 --variants native --source larger; \
	else echo 'make robust: SKIPPED the run on twice the data: it is built from ../shared/data/mnist, which is absent'; fi

mutations: $(DEV)
	$(BIN)/python -m tools.mutations

# As root (Docker, WSL) Jupyter asks for --allow-root.
lab: $(STAMP)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks

doctor: $(STAMP)
	$(BIN)/python -m helpers.doctor

PUBLISH_ARGS = $(if $(COURSE_REPO),--repo $(COURSE_REPO)) $(if $(COURSE_REF),--ref $(COURSE_REF))

publish: $(DEV)
	$(BIN)/python -m tools.publish $(PUBLISH_ARGS)

# The Colab-like environment needs torch 2.13.0 for Python 3.11 (on this project's machines it lies on the disk).
colab-check: $(DEV)
	$(BIN)/python -m tools.colab_check $(if $(COLAB_PYTHON),--python $(COLAB_PYTHON))

site: $(DEV)
	$(BIN)/python -m tools.site

site-check: site
	$(BIN)/python -m pytest tests/test_site.py

notebooks: $(DEV)
	$(BIN)/python -m tools.publish $(PUBLISH_ARGS)
	$(BIN)/python tools/run_notebooks.py --in-place
	$(BIN)/python tools/glossary.py
	$(BIN)/python -m tools.practice
	$(BIN)/python -m tools.teachers

practice: $(DEV)
	$(BIN)/python -m tools.practice

# The official MNIST test set beside the project, where there is one (development and CI machines).
MNIST_TEST ?= $(wildcard ../shared/data/mnist)

bench: $(DEV)
	$(BIN)/python benchmarks/bench.py $(if $(MNIST_TEST),--mnist-test $(MNIST_TEST)) $(BENCH_ARGS)
	@if [ -n "$(MNIST_TEST)" ]; then $(BIN)/python benchmarks/ten_digits.py --mnist-test $(MNIST_TEST) --out bench-results/ten_digits.json; \
	else echo 'make bench: SKIPPED the ten-digit models: they are scored on the official MNIST test set (MNIST_TEST=DIR)'; fi

# The seeds of each experiment are those of the committed results (tests/test_experiments.py checks they agree).
EXPERIMENT = $(BIN)/python benchmarks/experiments.py --mnist-test $(or $(MNIST_TEST),$(error make experiments needs the official MNIST test set: MNIST_TEST=DIR))

experiments: $(DEV)
	$(EXPERIMENT) --only baseline loss loss_pair gd --seeds 0 1 2 3 4 42
	$(EXPERIMENT) --only two_layer --seeds 0 1 2 3 4
	$(EXPERIMENT) --only cnn cnn_init --seeds 0 1 2
	COURSE_DIGITS=3,7 $(EXPERIMENT) --only loss gd --seeds 0 1 2 42
	$(BIN)/python benchmarks/ten_digits.py --mnist-test $(MNIST_TEST)

clean:
	rm -rf $(VENV)
