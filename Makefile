# Glimpse: `make run` serves the app on http://127.0.0.1:8000; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS := postgresql,mongodb,redis,test,bench
LOCK := requirements.lock
comma := ,

.PHONY: run install lock test lint typecheck pytest clean
.PHONY: web-install web-build web-types web-check
.PHONY: cluster

run: install web-build
	$(BIN)/glimpse serve

cluster: install web-build  # two instances behind nginx on :8080 (README, "Scaling out")
	deploy/cluster.sh

install: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)  # the pinned versions of the lock file, then Glimpse itself
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r $(LOCK) || $(BIN)/pip install -r $(LOCK)  # one retry, verbose
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# Regenerate the lock file from pyproject.toml (every extra in EXTRAS) after changing a dependency;
# pins that still fit are kept. `make lock LOCK_FLAGS=--upgrade` moves every pin to the newest.
lock: install
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --no-emit-index-url --no-emit-find-links --strip-extras $(LOCK_FLAGS) \
		$(foreach extra,$(subst $(comma), ,$(EXTRAS)),--extra $(extra)) -o $(LOCK) pyproject.toml

test: lint typecheck web-check pytest

lint: install
	$(BIN)/ruff check glimpse tests bench
	$(BIN)/ruff format --check glimpse tests bench

typecheck: install
	$(BIN)/mypy glimpse bench

pytest: install web-build bench-install  # e2e tests drive the built client; the bench smoke test, the Node baselines
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache web/node_modules web/dist bench/node_modules

# Web client (web/): npm ci from the lock file, the bundle the server serves, and its checks.
# Its types for the HTTP API and the WebSocket protocol are generated from the server's schemas;
# `web-types` regenerates them, `web-check` fails when the committed ones no longer match.
NPM_STAMP := web/node_modules/.installed
WEB_TYPES = $(BIN)/python web/scripts/dump_schema.py api \
	| (cd web && npx openapi-typescript $(1) -o src/api/schema.gen.ts) && \
	$(BIN)/python web/scripts/dump_schema.py protocol \
	| (cd web && npx openapi-typescript --default-non-nullable false $(1) -o src/realtime/protocol.gen.ts)

web-install: $(NPM_STAMP)

$(NPM_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web-build: web-install
	cd web && npm run --silent build

web-types: install web-install
	$(call WEB_TYPES,)

web-check: install web-install  # generated types match the server; tsc strict; eslint; prettier; vitest
	$(call WEB_TYPES,--check)
	cd web && npx tsc --noEmit && npx eslint . && npx prettier --check . && npx vitest run

# Benchmarks (bench/, README "Performance"): the Node baselines and load generator from their lock file.
.PHONY: bench bench-install bench-lighthouse bench-sfu
BENCH_STAMP := bench/node_modules/.installed

bench-install: $(BENCH_STAMP)

$(BENCH_STAMP): bench/package.json bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund
	touch $@

bench: install bench-install web-build  # 1-2 hours (the meeting mix up to 9,600 connections); results in bench/results/ (README, "Performance")
	$(BIN)/python -m bench
	$(BIN)/python -m bench.sfu
	$(BIN)/python -m bench.lighthouse

bench-sfu: install web-build  # metric 8: upload and browser CPU by room size, mesh and SFU (Janus), with a chart
	$(BIN)/python -m bench.sfu

bench-lighthouse: install bench-install web-build  # Lighthouse, mobile preset: sign-in page and dashboard
	$(BIN)/python -m bench.lighthouse
