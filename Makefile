# One command per job. `make check` is what CI runs (after `scripts/test-env up`).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install env start lint typecheck test course check bench clean

$(BIN)/lab: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	@# the distribution was called `lab` before docker-lab-runner: an old one would shadow it
	$(BIN)/pip uninstall -q -y lab 2>/dev/null || true
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/lab

install: $(BIN)/lab  ## create .venv with lab and the dev tools
	@# lab's bytecode, as an installed copy has it: where PYTHONDONTWRITEBYTECODE is set (these
	@# machines), `lab` would otherwise compile its modules at every start (~30 ms)
	$(BIN)/python -m compileall -q lab

lint: install  ## ruff format check + ruff lint + import contract
	$(BIN)/ruff format --check lab tests bench
	$(BIN)/ruff check lab tests bench
	cd $(CURDIR) && $(BIN)/lint-imports

typecheck: install  ## mypy --strict on lab/
	$(BIN)/mypy

test: install  ## the whole test suite
	$(BIN)/pytest

env:  ## Docker engine + local registry mirror + stand-in images (root; see scripts/test-env)
	scripts/test-env up

course: install  ## lint and run the bundled course on this host and in sandbox nodes (JUnit reports)
	$(BIN)/lab lint lessons/
	$(BIN)/lab run lessons/ --junit reports/course.xml
	$(BIN)/lab run --sandbox lessons/ --junit reports/course-sandbox.xml

start: install env  ## open the course picker (installs lab, starts an engine if none answers)
	$(BIN)/lab

check: env lint typecheck test course  ## everything CI checks

bench: install  ## benchmarks (figures, not assertions)
	$(BIN)/python bench/steps.py
	$(BIN)/python bench/seed.py
	$(BIN)/python bench/sandbox.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/bundle.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
	find lab -name __pycache__ -type d -prune -exec rm -rf {} +
