# `make demo` and `make test` each bootstrap .venv on a fresh machine (Python 3.11+) from the lock
# files in requirements/ (hash-checked), then install trendbot itself with --no-deps; re-runs skip
# the install. `make lock` refreshes the lock files after a change to pyproject.toml's dependencies.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# -qq: errors only. Installs are silent so that `make demo` shows the demo and nothing else.
PIP    := $(BIN)/python -m pip -qq --disable-pip-version-check
UV_VERSION := 0.13.8
LOCK   := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
          --custom-compile-command "make lock"

.PHONY: demo test lint bench lock lock-upgrade clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "trendbot needs Python 3.11 or newer (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) install --upgrade pip

# the runtime lock, the build backend (so the project installs offline), then trendbot itself
$(VENV)/.base: requirements/runtime.txt requirements/build.txt pyproject.toml | $(BIN)/python
	@$(PIP) install --require-hashes -r requirements/runtime.txt -r requirements/build.txt
	@$(PIP) install --no-deps --no-build-isolation -e .
	@touch $@

$(VENV)/.dev: requirements/dev.txt pyproject.toml | $(BIN)/python
	@$(PIP) install --require-hashes -r requirements/dev.txt
	@$(PIP) install --no-deps --no-build-isolation -e .
	@touch $(VENV)/.base $@

demo: $(VENV)/.base
	@$(BIN)/trendbot demo

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict bot adapters
	$(BIN)/hadolint Dockerfile

# The same checks as `lint`, but mypy (~45 s on a clean clone, one core) runs beside pytest;
# it prints nothing unless it finds something, so pytest's summary stays the last line.
test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile
	@echo "$(BIN)/mypy --strict bot adapters (beside pytest)"
	@report=$$(mktemp); \
	$(BIN)/mypy --strict --no-error-summary bot adapters >"$$report" 2>&1 & mypy=$$!; \
	$(BIN)/pytest; tests=$$?; \
	wait $$mypy; types=$$?; \
	if [ $$types -ne 0 ]; then cat "$$report"; echo "mypy --strict bot adapters failed"; fi; \
	rm -f "$$report"; \
	[ $$tests -eq 0 ] && [ $$types -eq 0 ]

bench: $(VENV)/.dev
	$(BIN)/python -m bench

# Lock files: exact versions and hashes of every distribution, for every platform and Python 3.11+.
# `make lock` keeps the pinned versions that still satisfy pyproject.toml and adds what is new;
# `make lock-upgrade` moves everything to the newest allowed versions. Commit requirements/*.txt.
lock: | $(BIN)/python
	@$(PIP) install "uv==$(UV_VERSION)"
	@$(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' \
		| $(LOCK) $(UPGRADE) - -o requirements/build.txt
	@$(LOCK) $(UPGRADE) pyproject.toml -o requirements/runtime.txt
	@$(LOCK) $(UPGRADE) pyproject.toml --extra dev --extra bench \
		-c requirements/runtime.txt -c requirements/build.txt -o requirements/dev.txt
	@echo "requirements/{build,runtime,dev}.txt updated; commit them with pyproject.toml"

lock-upgrade:
	@$(MAKE) --no-print-directory lock UPGRADE=--upgrade

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
