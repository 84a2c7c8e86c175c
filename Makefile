# Everything a newcomer needs: `make run` and `make test` install what they need by themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 3000
# The repository, also when `sam build` runs a build-<LogicalId> target from a copy of functions/.
ROOT   := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
# The artifact's runtime (template.yaml's PythonRuntime default unless set) and, if not on the PATH
# as that name, the interpreter of that version that compiles its bytecode.
BUILD_ARGS = $(if $(PYTHON_RUNTIME),--runtime $(PYTHON_RUNTIME)) $(if $(RUNTIME_PYTHON),--python $(RUNTIME_PYTHON))

.PHONY: run test lint imports typecheck template unit build bench openapi lock clean

$(STAMP): requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Pforte needs Python 3.11 or newer as '$(PYTHON)' (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@touch $@

run: $(STAMP)  ## the local API on moto, with a demo tenant (PORT=3000)
	PORT=$(PORT) $(BIN)/python -m infra.local

test: lint imports typecheck template unit  ## everything CI checks

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

imports: $(STAMP)  ## the import contracts of pyproject.toml (import-linter)
	PYTHONPATH=functions $(BIN)/lint-imports --no-cache

typecheck: $(STAMP)  ## the functions and the tests (fakes are checked against their ports)
	$(BIN)/mypy functions tests

template: $(STAMP)
	$(BIN)/cfn-lint template.yaml

unit: $(STAMP)
	$(BIN)/pytest

build: $(STAMP)  ## the functions' artifact with bytecode: .aws-sam/build/ (PYTHON_RUNTIME=python3.13 ...)
	$(BIN)/python -m infra.build $(BUILD_ARGS)

# `sam build` runs build-<LogicalId> for each function (BuildMethod: makefile in template.yaml) in a
# copy of functions/, with ARTIFACTS_DIR set: the same build, left unzipped for SAM to package.
build-%Function:
	@$(MAKE) -C $(ROOT) --no-print-directory $(STAMP)
	cd $(ROOT) && $(BIN)/python -m infra.build $(BUILD_ARGS) --dir "$(ARTIFACTS_DIR)"

bench: $(STAMP)  ## benchmarks (not part of make test)
	$(BIN)/python benchmarks/cold_start.py
	$(BIN)/python benchmarks/artifact.py
	$(BIN)/python benchmarks/import.py
	$(BIN)/python benchmarks/backup.py

openapi: $(STAMP)  ## write docs/openapi.json from the handlers' routes
	$(BIN)/python -m infra.openapi > docs/openapi.json

lock: $(STAMP)  ## re-pin every dependency after editing pyproject.toml
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -q -o requirements-dev.lock
	$(BIN)/uv pip compile pyproject.toml --extra tracing --python-version 3.11 -q --no-header --no-annotate \
		-c requirements-dev.lock -o functions/requirements.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
