# CodeRunHub: `make run` starts the whole suite, `make test` runs every test. Both set up what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
export UV_VERSION
VENV := .venv
PY := $(VENV)/bin/python
# uv lives in a tools venv of the project's own (deploy/scripts/ensure-python.sh); Node.js and npm
# in .tools/node when the host's are missing or too old (deploy/scripts/ensure-node.sh).
UV := .tools/python/bin/uv
export PATH := $(CURDIR)/.tools/node/bin:$(PATH)
export UV_PYTHON_DOWNLOADS := never
TEST_DB ?= postgresql+asyncpg://postgres@127.0.0.1:5432/coderunhub_test
TEST_REDIS ?= redis://127.0.0.1:6379/15
TEST_LOCK ?= /tmp/coderunhub-test.lock

.PHONY: bench-tools help setup venv node services docker compose images service-images nginx database migrate run ts-client ts-sdk ts-sdk-types api-types compat-clients web web-api-types chromium test unit lint bench clean-sandboxes

help:
	@echo "make run     set up what is missing and start gateway (:8000), auth (:8001) and executor"
	@echo "make test    set up what is missing and run lint, type checks and the whole test suite"
	@echo "make unit    the pure-logic tests (tests/unit) in seconds: no Docker, PostgreSQL or Redis"
	@echo "make bench   measure submit-to-result latency against bare-process and docker-run baselines"

venv: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock deploy/scripts/ensure-python.sh
	@bash deploy/scripts/ensure-python.sh
	@touch $@

# Node.js and npm, new enough for the web build: the host's, the distribution's or the registry's.
node:
	@bash deploy/scripts/ensure-node.sh

docker:
	@bash deploy/scripts/ensure-docker.sh

# PostgreSQL and Redis on 127.0.0.1, installed and started when missing or down.
services:
	@bash deploy/scripts/ensure-services.sh

images: docker venv
	@bash deploy/scripts/build-images.sh

# The platform's own images (docker compose, Kubernetes); not needed by `make run` or `make test`.
service-images: images
	@bash deploy/scripts/build-service-images.sh

# docker compose (v2) and every image docker-compose.yml runs; without a registry, PostgreSQL,
# Redis, nginx and the socket proxy are built locally under the same names (deploy/compose-images).
compose: service-images
	@bash deploy/scripts/ensure-compose.sh
	@bash deploy/scripts/build-compose-images.sh

# Debian's nginx, for the load-balancing tests and the load bench.
nginx:
	@bash deploy/scripts/ensure-nginx.sh

database: venv services
	@$(PY) -m shared.db.bootstrap

migrate: database
	@$(VENV)/bin/alembic upgrade head

setup: venv images migrate

run: setup web
	@echo "==> starting the suite (Ctrl-C stops it): gateway http://127.0.0.1:8000  auth http://127.0.0.1:8001"
	@$(VENV)/bin/honcho start -f Procfile

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

# The TypeScript client smoke test's packages (tests/product/test_openapi_clients.py): `npm ci`
# only when package.json or the lock file changed since the last install.
TS_CLIENT := tests/clients/typescript

$(TS_CLIENT)/node_modules/.installed: $(TS_CLIENT)/package.json $(TS_CLIENT)/package-lock.json | node
	cd $(TS_CLIENT) && npm ci --no-audit --no-fund
	@touch $@

ts-client: $(TS_CLIENT)/node_modules/.installed

# The TypeScript SDK (clients/typescript, @coderunhub/client): `npm ci` when package.json or the lock
# changed, `tsc` into dist/ when a source changed; nothing when dist/ is up to date (tests/sdk_ts).
TS_SDK := clients/typescript
TS_SDK_SOURCES := $(shell find $(TS_SDK)/src -type f 2>/dev/null) $(TS_SDK)/tsconfig.json

$(TS_SDK)/node_modules/.installed: $(TS_SDK)/package.json $(TS_SDK)/package-lock.json | node
	cd $(TS_SDK) && npm ci --no-audit --no-fund
	@touch $@

$(TS_SDK)/dist/.built: $(TS_SDK)/node_modules/.installed $(TS_SDK_SOURCES)
	cd $(TS_SDK) && npm run build
	@touch $@

ts-sdk: $(TS_SDK)/dist/.built

# The published clients of the APIs CodeRunHub also speaks (tests/compat): Judge0's Python SDK in a
# venv of its own (it pins httpx and pydantic ranges of its own) and piston-client from npm, both
# pinned, installed only when their pins changed.
PISTON_CLIENT := tests/clients/piston
JUDGE0_SDK := build/judge0-sdk
JUDGE0_SDK_VERSION := 0.0.8

$(PISTON_CLIENT)/node_modules/.installed: $(PISTON_CLIENT)/package.json $(PISTON_CLIENT)/package-lock.json | node
	cd $(PISTON_CLIENT) && npm ci --no-audit --no-fund
	@touch $@

$(JUDGE0_SDK)/.installed-$(JUDGE0_SDK_VERSION): | venv
	rm -rf $(JUDGE0_SDK)
	$(UV) venv --quiet --python $(VENV)/bin/python $(JUDGE0_SDK)
	$(UV) pip install --quiet --python $(JUDGE0_SDK)/bin/python "judge0==$(JUDGE0_SDK_VERSION)"
	@touch $@

compat-clients: $(PISTON_CLIENT)/node_modules/.installed $(JUDGE0_SDK)/.installed-$(JUDGE0_SDK_VERSION)

# The web app (web/, served at / by the gateway): `npm ci` when package.json or the lock changed,
# `vite build` when a source changed; nothing when web/dist is up to date.
# The SDK (clients/typescript/src) is built into the app from its sources; the build also copies
# Swagger UI's and ReDoc's bundles into web/dist/api-docs for /docs and /redoc (web/api-docs).
WEB_SOURCES := $(shell find web/src web/api-docs clients/typescript/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json

web/node_modules/.installed: web/package.json web/package-lock.json | node
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build

web: web/dist/index.html

# The web app's API types (web/src/api/schema.d.ts, committed) from the gateway's OpenAPI document;
# tests/web/test_api_types.py fails when they are stale.
web-api-types: web/node_modules/.installed venv
	@mkdir -p build
	$(PY) -m services.gateway.openapi > build/openapi.json
	cd web && npm run generate

# The SDKs' API types from the same document, with the web app's: `make api-types` regenerates
# all three (clients/typescript/src/schema.d.ts, clients/python's models.py, committed); tests/sdk_ts
# and tests/sdk fail when they are stale.
ts-sdk-types: web-api-types $(TS_SDK)/node_modules/.installed
	cd $(TS_SDK) && npm run generate

api-types: ts-sdk-types
	$(PY) clients/python/src/coderunhub/_codegen.py build/openapi.json clients/python/src/coderunhub/models.py

# Debian's chromium for the browser tests (tests/web).
chromium:
	@bash deploy/scripts/ensure-chromium.sh

# One test run at a time per machine: runs share the test database and Redis database. Tests that
# stop or restart a server start their own (tests/deploy/servers.py).
test: venv services images nginx lint ts-client ts-sdk compat-clients web chromium
	CRH_TEST_DATABASE_URL=$(TEST_DB) CRH_TEST_REDIS_URL=$(TEST_REDIS) flock $(TEST_LOCK) $(VENV)/bin/pytest -q $(PYTEST_ARGS)

# The fast layer: pure logic only (tests/unit/conftest.py refuses tests that need a real component).
unit: venv
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/unit

# wrk drives the closed-loop throughput bench (Debian's package).
bench-tools:
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)

bench: setup nginx bench-tools web chromium
	$(PY) -m bench.latency
	$(PY) -m bench.stream
	$(PY) -m bench.throughput
	$(PY) -m bench.analytics
	$(PY) -m bench.load
	$(PY) -m bench.compat
	$(PY) -m bench.collab
	$(PY) -m bench.webrtc
	$(PY) -m bench.analyses

clean-sandboxes: docker
	@docker ps -aq --filter label=coderunhub.role=sandbox | xargs -r docker rm -f
