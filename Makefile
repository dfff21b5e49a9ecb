# Everything runs from a project-local virtual environment that these targets create,
# so a machine with only Python, pip and make can build, run and test the gateway.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: install run test lint typecheck policy-check lock bench bench-instructions bench-scale soak clean

# Installs are pinned and hash-checked: requirements/run.txt is what serving needs (runtime and
# the embedded database), requirements/dev.txt that plus the tools of `make test`; both written
# by `make lock`. A stamp per set re-installs when its lock or pyproject.toml changes; the
# project itself goes in editable and without dependencies, so it is the one thing not
# hash-checked.
install: $(VENV)/.installed-dev

$(VENV)/.installed-%: requirements/%.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r $<
	$(PIP) install --quiet --no-deps -e .
	touch $@

run: $(VENV)/.installed-run
	$(BIN)/imoox-gateway serve --demo

# Re-pin both sets from pyproject.toml after changing a dependency (the versions pinned now are
# kept where they still fit; LOCK_ARGS=--upgrade takes the newest). uv resolves once for every
# platform and Python >= 3.11 (markers say which pin is for which) with every file's hash. The
# dev set is every extra; the run set is the extras below, held to the dev set's versions, so
# developers test what deployments run.
RUN_EXTRAS := --extra embedded
LOCK_ARGS ?=
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command 'make lock' --quiet $(LOCK_ARGS)
lock: install
	$(UV_COMPILE) --all-extras -o requirements/dev.txt
	$(UV_COMPILE) $(RUN_EXTRAS) -c requirements/dev.txt -o requirements/run.txt

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: lint typecheck policy-check
	$(BIN)/pytest

policy-check: install
	$(BIN)/imoox-gateway policy check

# The end-to-end benchmark drives the servers with wrk (Debian package `wrk`), installed here
# if missing (apt-get: run as root, as in the project's container).
bench: install
	command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	$(BIN)/python bench/authz_overhead.py
	$(BIN)/python bench/authz_overhead.py --rows 1000 --runs 3 --warmups 1
	$(BIN)/python bench/e2e.py

# The fixed cost of a request in instructions, gateway against floor, under valgrind's callgrind
# (Debian package `valgrind`, installed here if missing): no noise, so a change of 1 % shows.
bench-instructions: install
	command -v valgrind >/dev/null || apt-get install -y valgrind || (apt-get update && apt-get install -y valgrind)
	$(BIN)/python bench/instructions.py

# Cost against data size (issue 12): the demo world against +20,000 and +100,000 generated
# accounts (about 25 min in all on 2 shared cores, mostly loading); LEVELS=2000 for a quick run.
LEVELS ?= 20000,100000
bench-scale: install
	$(BIN)/python bench/scale.py --levels $(LEVELS)

# Two replicas under every demo principal at once, every answer judged by the oracle (issue 13);
# SECONDS=30 by default. Prints answers, leaks (must be 0), errors by code, p99.
SOAK_SECONDS ?= 30
soak: install
	$(BIN)/python bench/soak.py --seconds $(SOAK_SECONDS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# The browser tests (also part of `test`), copying their screenshots to docs/screenshots/ for
# the README; tests/browser/artifacts/ holds every run's.
.PHONY: screenshots
screenshots: install
	IMOOX_SCREENSHOTS_TO_DOCS=1 $(BIN)/pytest tests/browser

# API review (issue 14): breaking and dangerous changes since BASE's schema.graphql (exit 1 on
# a breaking one); e.g. CI on a pull request: make schema-breaking BASE=$(git merge-base HEAD origin/main)
BASE ?= main
.PHONY: schema-breaking
schema-breaking: install
	git show $(BASE):schema.graphql > $(VENV)/base-schema.graphql
	$(BIN)/imoox-gateway schema --breaking-against $(VENV)/base-schema.graphql
