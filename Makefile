# CodeRunHub: `make run` starts the whole suite, `make test` runs every test. Both set up what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
VENV := .venv
PY := $(VENV)/bin/python
TEST_DB ?= postgresql+asyncpg://postgres@127.0.0.1:5432/coderunhub_test
TEST_REDIS ?= redis://127.0.0.1:6379/15

.PHONY: help setup venv docker images database migrate run test test-only lint bench clean-sandboxes

help:
	@echo "make run     set up what is missing and start gateway (:8000), auth (:8001) and executor"
	@echo "make test    set up what is missing and run lint, type checks and the whole test suite"
	@echo "make bench   measure submit-to-result latency against bare-process and docker-run baselines"

venv: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	python3 -m uv sync --frozen --python 3.11
	@touch $@

docker:
	@bash deploy/scripts/ensure-docker.sh

images: docker venv
	@bash deploy/scripts/build-images.sh
	@bash deploy/scripts/build-seccomp.sh

database: venv
	@$(PY) -m shared.db.bootstrap

migrate: database
	@$(VENV)/bin/alembic upgrade head

setup: venv images migrate

run: setup
	@echo "==> starting the suite (Ctrl-C stops it): gateway http://127.0.0.1:8000  auth http://127.0.0.1:8001"
	@$(VENV)/bin/honcho start -f Procfile

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

test: venv images lint
	CRH_DATABASE_URL=$(TEST_DB) CRH_REDIS_URL=$(TEST_REDIS) $(VENV)/bin/pytest -q $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench.latency
	$(PY) -m bench.stream
	$(PY) -m bench.throughput

clean-sandboxes: docker
	@docker ps -aq --filter label=coderunhub.role=sandbox | xargs -r docker rm -f
