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

.PHONY: demo test check lint fmt types install fonts install-spark serve bench bundle clean

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

install: $(BIN)/.installed node_modules/.installed fonts

# A CJK font for the PDF statistics reports, from the OS packages (never fails the install).
fonts:
	@fc-list :lang=zh 2>/dev/null | grep -q . \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	       && (apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 \
	           || (apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei) >/dev/null 2>&1); } \
	  || echo "note: no CJK font; PDF reports need fonts-wqy-microhei or fonts-noto-cjk (or MINZHENG_CJK_FONT)" >&2

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
