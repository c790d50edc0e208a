# Minzheng — the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
PORT ?= 8000
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

# uv from PATH if present, else bootstrapped into .tools/ (pinned).
UV := $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
EXTRAS ?=

.PHONY: demo test check lint fmt types install install-spark serve bench bundle clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install -q uv==$(UV_VERSION)

$(BIN)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --inexact --python $(PYTHON) $(EXTRAS)
	@touch $@

# Front-end libraries (htmx …) from the npm registry, pinned by package-lock.json; served by the app.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

install: $(BIN)/.installed node_modules/.installed

install-spark: | $(UV)
	$(UV) sync --frozen --inexact --python $(PYTHON) --extra spark
	@touch $(BIN)/.installed

demo: install
	$(BIN)/minzheng demo --port $(PORT)

serve: install
	$(BIN)/minzheng serve --port $(PORT)

test: install
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check minzheng tests bench scripts
	$(BIN)/ruff format --check minzheng tests bench scripts

fmt: install
	$(BIN)/ruff format minzheng tests bench scripts
	$(BIN)/ruff check --fix minzheng tests bench scripts

types: install
	$(BIN)/mypy --no-incremental minzheng

check: lint types
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) test

bench: install
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

# Air-gapped install bundle: dist/minzheng-<version>-cp311-<platform>.tar.gz (docs/operations.md).
# BUNDLE_ARGS="--platform manylinux_2_28_aarch64" or "--spark"; check it with scripts/bundle_check.sh.
bundle: install
	$(BIN)/python scripts/bundle.py $(BUNDLE_ARGS)

clean:
	rm -rf $(VENV) .tools var
