# interactmodel: every target builds .venv from requirements.lock when it is missing or stale.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= out

.PHONY: reproduce test bench sbc calibrate lint lock clean-venv system-deps

# Debian packages the tests use: headless Chromium opens the HTML report in the browser test.
SYSTEM_PACKAGES := chromium fonts-dejavu-core

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "interactmodel needs Python 3.11; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "pip==25.3" "setuptools==80.9.0" "wheel==0.45.1"
	$(PY) -m pip install --quiet --requirement requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation --editable .
	@touch $(STAMP)

## reproduce: the main job on the article's embedded data, written to $(OUT)/
reproduce: $(STAMP)
	$(VENV)/bin/interactmodel reproduce --out $(OUT) $(REPRODUCE_FLAGS)

## system-deps: install the Debian packages above when missing (needs root, as on CI)
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note: install$$missing (apt-get install$$missing) to run the browser test" >&2; fi; \
	fi

## test: the whole test suite (exit code 5, "no tests collected", counts as a failure)
test: $(STAMP) system-deps
	@$(PY) -m pytest $(PYTEST_FLAGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests; the setup is broken" >&2; exit 1; fi; \
	exit $$status

## bench: performance benchmarks, written to benchmarks/results/
bench: $(STAMP)
	$(PY) -m benchmarks.run

## sbc: simulation-based calibration of the Bayesian engine (long; writes benchmarks/results/sbc.md)
sbc: $(STAMP)
	$(PY) -m benchmarks.sbc

## calibrate: coverage of the ML engine's Wald and profile intervals (benchmarks/results/calibration_ml.md)
calibrate: $(STAMP)
	$(PY) -m benchmarks.calibration_ml

## lint: ruff, mypy and the import-layer contract
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

## lock: re-resolve requirements.lock from pyproject.toml (needs the registries)
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet ".[dev]"
	{ echo "# Exact versions of every runtime and dev dependency of interactmodel (Python 3.11)."; \
	  echo "# Regenerate with: make lock"; \
	  .lock-venv/bin/pip freeze --exclude interactmodel; } > requirements.lock
	rm -rf .lock-venv

clean-venv:
	rm -rf $(VENV)
