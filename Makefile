# `make run` starts the whole stack locally; `make test` runs every check and test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PROMTOOL ?= promtool
# Most tests wait on real processes, so three workers overlap them even on two cores.
TEST_WORKERS ?= 3

.PHONY: run test lint format promtool-check bench clean

$(BIN)/mm-analytics: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

run: $(BIN)/mm-analytics
	scripts/install-system-deps.sh
	$(BIN)/mm-analytics up

test: lint promtool-check
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(BIN)/mm-analytics
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(BIN)/mm-analytics
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

promtool-check:
	@if ls prometheus/rules/*.yml >/dev/null 2>&1; then $(PROMTOOL) check rules prometheus/rules/*.yml; fi
	@if ls prometheus/tests/*.yml >/dev/null 2>&1; then cd prometheus && $(PROMTOOL) test rules tests/*.yml; fi

bench: $(BIN)/mm-analytics
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .state .cache .pytest_cache .mypy_cache .ruff_cache
