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
# Where the default offline dataset (synthetic MusicNet: two SoundFonts, performance and room varied per
# recording) is built; ignored by git.
DATA_ROOT ?= data/synth
# Its test recordings rendered with one font each (`instrid data fonts`: the package owns the fonts and
# the trees' layout), for the notebooks that test on timbres a model never heard.
FONT_TREES ?= data/fonts
# Offline copies of the small downloads (tests, CI): used only where the folder exists.
SEED_DIR ?= $(abspath ../shared/data)
export INSTRID_SEED_DIR ?= $(if $(wildcard $(SEED_DIR)/SHA256SUMS),$(SEED_DIR),)
# (A failed run leaves <name>.failed.ipynb beside the notebook, to read; it is not a notebook of the study.)
NOTEBOOKS := $(sort $(filter-out %.failed.ipynb,$(wildcard notebooks/[0-9][0-9]_*.ipynb)))
# CI's tiny configuration: these recordings (one per split and font, several ensembles) and
# notebooks/ci.yaml; everything goes under build/ci, not figures/ or results/. CI's offline copies hold one
# held-out font's download, Freepats.
CI_DIR := build/ci
CI_RECORDINGS := 2238 2506 2232 2203 2191 2382
CI_HELD_OUT := Freepats
# Every notebook run, in place or as a copy, is this one command: papermill with only the parameters the
# notebook declares (a parameters file serves them all), the result written whole, then tidied for git.
RUN_NOTEBOOK := $(BIN)/instrid run-notebook
# $(call run_copies,PARAMETER_FILE,DATA_ROOT,FONT_TREES,OUT): every notebook with those parameters into
# OUT/notebooks, its figures and results into OUT/figures and OUT/results (the committed ones stay untouched).
define run_copies
	@rm -rf $(4)/notebooks $(4)/figures $(4)/results
	@for nb in $(NOTEBOOKS); do \
		$(RUN_NOTEBOOK) "$$nb" --out "$(4)/$$nb" -f $(1) -p data_root "$(abspath $(2))" \
			-p font_trees "$(abspath $(3))" -p figures_dir "$(abspath $(4)/figures)" \
			-p results_dir "$(abspath $(4)/results)"; \
	done
endef
.PHONY: env data study study-full model study-musicnet test lint test-unit test-notebooks bench clean-env

# Packages installed without their declared dependencies: tinysoundfont declares pyaudio, which needs portaudio
# headers to build and which we never use (we render offline, nothing is played); musicnn declares TensorFlow 1
# and a numpy of 2019, and instrid reads its weights (the checkpoints inside the wheel) without either.
NO_DEPS := tinysoundfont==0.3.7 musicnn==0.1.0
# Named after the pins, so that changing one reinstalls them.
NO_DEPS_STAMP := $(VENV)/.instrid-no-deps-$(shell echo '$(NO_DEPS)' | cksum | cut -d' ' -f1)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# The notebooks run on a kernel of this environment, named "instrid".
	$(BIN)/python -m ipykernel install --sys-prefix --name instrid --display-name "instrid (.venv)" >/dev/null
	@touch $(STAMP)

$(NO_DEPS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps $(NO_DEPS)
	@touch $(NO_DEPS_STAMP)

env: $(STAMP) $(NO_DEPS_STAMP)

data: env
	$(BIN)/instrid data synth --root $(DATA_ROOT)
	$(BIN)/instrid data fonts --root $(FONT_TREES) --like $(DATA_ROOT)

# The notebooks' own default is ../data/synth; another DATA_ROOT is passed as a parameter (so the
# committed notebooks carry no machine path).
DATA_PARAMETER := $(if $(filter data/synth,$(DATA_ROOT)),,-p data_root "$(abspath $(DATA_ROOT))") \
	$(if $(filter data/fonts,$(FONT_TREES)),,-p font_trees "$(abspath $(FONT_TREES))")
# Run one notebook in place (its figures and results too), then clean it for git; $$nb names it.
RUN_IN_PLACE = $(RUN_NOTEBOOK) "$$nb" $(DATA_PARAMETER)
NOTEBOOK_NAMES := $(notdir $(basename $(NOTEBOOKS)))

# Runs every notebook in place, so the committed notebooks hold this run's outputs, and rewrites
# figures/, results/ and the README's findings. A notebook reads no other's results, only the embedding
# cache, which locks each entry while one notebook computes it; so STUDY_JOBS of them run side by side,
# and any order gives the same bytes. The numbers follow the study's reading order; the four that compute
# the shared embeddings start first, so that the two running never wait on each other with an empty cache:
# 07 (the report's, the corrected and the listening pipelines' embeddings, read by 03-06 and 09-13) beside
# 08 (its own), then 09 (frames) and 10 (fonts); then the rest in number order, reading the cache.
STUDY_JOBS ?= 2
# Each notebook gets its share of the cores for torch, OpenMP and BLAS threads: threads beyond the cores
# wait busily on the other notebook's core (on 2 cores with 2 notebooks, a warm study took 5 min 53 s with
# the libraries' default of 2 threads each, 4 min 9 s with 1, with the same numbers to the last bit).
# The backbone's outputs depend in their last bits on torch's thread count (up to 9e-6 between 1 and 2
# threads: enough to change float16 values, and through BatchNorm's batch statistics notebook 08's numbers
# in the third decimal), so a notebook run alone (make 08_protocol_audit) gets the same count as in a study.
CORES := $(shell nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
STUDY_THREADS ?= $(shell echo $$(( $(CORES) / $(STUDY_JOBS) > 1 ? $(CORES) / $(STUDY_JOBS) : 1 )))
STUDY_ENV := OMP_NUM_THREADS=$(STUDY_THREADS) OPENBLAS_NUM_THREADS=$(STUDY_THREADS) MKL_NUM_THREADS=$(STUDY_THREADS)
STUDY_FIRST := 07_final_test 08_protocol_audit 09_decision_rules 10_generalization
# Notebooks too long for the hour `make study` is given on 2 cores: `make study-full` adds them (14 trains
# three backbones, about 45-53 min each); their committed outputs come from such a run.
FULL_ONLY := notebooks/14_trained_backbone.ipynb
STUDY_NOTEBOOKS := $(filter-out $(FULL_ONLY),$(NOTEBOOKS))
STUDY_ORDER := $(foreach name,$(STUDY_FIRST),$(filter %/$(name).ipynb,$(STUDY_NOTEBOOKS))) \
	$(filter-out $(foreach name,$(STUDY_FIRST),%/$(name).ipynb),$(STUDY_NOTEBOOKS))
study: data
	$(BIN)/instrid data info --root $(DATA_ROOT)
	@printf '%s\n' $(STUDY_ORDER) | $(STUDY_ENV) xargs -P $(STUDY_JOBS) -I{} sh -c 'nb="$$1"; $(RUN_IN_PLACE)' _ {}
	$(BIN)/instrid results-table --results results --readme README.md --findings FINDINGS.md
	$(TRAIN_MODEL)

study-full: study
	@for nb in $(FULL_ONLY); do $(STUDY_ENV) $(RUN_IN_PLACE) || exit 1; done
	$(BIN)/instrid results-table --results results --readme README.md --findings FINDINGS.md

# The study's final model (instrid train's default: the corrected recipe on the listening model, seed 0,
# trained on the default dataset: both fonts, varied), where `instrid predict` looks for it, outside the
# repository. Retrained by every `make study` (seconds: the study's cache holds its embeddings, notebook
# 06's), so it always matches the dataset; from a built dataset alone, minutes (a progress bar says).
TRAIN_MODEL = $(BIN)/instrid train --root $(DATA_ROOT)
model: data
	$(TRAIN_MODEL)

# One notebook after editing it: `make 06_top_n` (and the README's findings from all results).
.PHONY: $(NOTEBOOK_NAMES)
$(NOTEBOOK_NAMES): data
	@nb=notebooks/$@.ipynb; $(STUDY_ENV) $(RUN_IN_PLACE)
	$(BIN)/instrid results-table --results results --readme README.md --findings FINDINGS.md

# The same notebooks on real MusicNet at full scale (instrid data musicnet --root DIR first).
# Writes figures and results under build/musicnet, leaving the committed default run alone.
MUSICNET_ROOT ?= data/musicnet
MUSICNET_OUT := build/musicnet
study-musicnet: env
	$(BIN)/instrid data info --root $(MUSICNET_ROOT)
	$(call run_copies,notebooks/musicnet.yaml,$(MUSICNET_ROOT),$(FONT_TREES),$(MUSICNET_OUT))
	$(BIN)/instrid results-table --results $(MUSICNET_OUT)/results

test: lint test-unit test-notebooks

# Style: ruff (pinned in the test extra, configured in pyproject.toml) over the package, tests, benchmarks
# and the notebooks' code.
lint: env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-unit: env
	$(BIN)/python -m pytest

# Every notebook on a tiny configuration (papermill), then nbval re-executes those copies and
# compares the cells marked NBVAL_CHECK_OUTPUT (--nbval-lax).
test-notebooks: env
	$(BIN)/instrid data synth --root $(CI_DIR)/data --recordings $(CI_RECORDINGS) --quiet
	$(BIN)/instrid data fonts --root $(CI_DIR)/fonts --like $(CI_DIR)/data --held-out $(CI_HELD_OUT) --quiet
	$(call run_copies,notebooks/ci.yaml,$(CI_DIR)/data,$(CI_DIR)/fonts,$(CI_DIR))
	$(BIN)/python -m pytest -p no:cacheprovider --nbval-lax --nbval-kernel-name instrid $(CI_DIR)/notebooks

bench: env
	@for bench in benchmarks/bench_*.py; do echo "$$bench"; $(BIN)/python "$$bench"; done

clean-env:
	rm -rf $(VENV)
