# instrid: two commands do all the set-up on a fresh machine.
#   make study   environment + default offline dataset + the whole study
#   make test    environment + the test suite (what CI runs, via .ci/run)
# Both create .venv when it is missing and reinstall only when pyproject.toml changes.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.instrid-installed
# Where the default offline dataset (synthetic MusicNet) is built; ignored by git.
DATA_ROOT ?= data/synth
# Offline copies of the small downloads (tests, CI): used only where the folder exists.
SEED_DIR ?= $(abspath ../shared/data)
export INSTRID_SEED_DIR ?= $(if $(wildcard $(SEED_DIR)/SHA256SUMS),$(SEED_DIR),)
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

.PHONY: env data study test bench clean-env

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# tinysoundfont declares a dependency on pyaudio, which needs portaudio headers to
	@# build and which we never use (we render offline, nothing is played): skip it.
	$(BIN)/python -m pip install --quiet --no-deps tinysoundfont==0.3.7
	@# The notebooks run on a kernel of this environment, named "instrid".
	$(BIN)/python -m ipykernel install --sys-prefix --name instrid --display-name "instrid (.venv)" >/dev/null
	@touch $(STAMP)

env: $(STAMP)

data: env
	$(BIN)/instrid data synth --root $(DATA_ROOT)

study: data
	$(BIN)/instrid data info --root $(DATA_ROOT)
	@for nb in $(NOTEBOOKS); do \
		echo "papermill $$nb"; \
		$(BIN)/papermill --kernel instrid -p data_root "$(abspath $(DATA_ROOT))" "$$nb" "$$nb"; \
	done

test: env
	$(BIN)/python -m pytest

bench: env
	@for bench in benchmarks/bench_*.py; do echo "$$bench"; $(BIN)/python "$$bench"; done

clean-env:
	rm -rf $(VENV)
