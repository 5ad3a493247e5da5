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
# The default offline dataset (synthetic MusicNet: two SoundFonts, performance and room varied per
# recording), and its test recordings rendered with one font each (`instrid data fonts`: the package owns
# the fonts and the trees' layout); both ignored by git.
DATA_ROOT ?= data/synth
FONT_TREES ?= data/fonts
# Offline copies of the small downloads (tests, CI): used only where the folder exists.
SEED_DIR ?= $(abspath ../shared/data)
export INSTRID_SEED_DIR ?= $(if $(wildcard $(SEED_DIR)/SHA256SUMS),$(SEED_DIR),)
# The study's notebooks (a failed run leaves <name>.failed.ipynb beside the notebook, to read).
NOTEBOOKS := $(sort $(notdir $(basename $(filter-out %.failed.ipynb,$(wildcard notebooks/[0-9][0-9]_*.ipynb)))))
# Beyond the report's claims and too long for the hour `make study` is given on 2 cores: the protocol audit,
# generalization across fonts, the literature's frame protocol and three backbones trained on the task.
# `make study-full` adds them; their committed outputs come from such a run.
FULL_ONLY := 08_protocol_audit 10_generalization 13_literature 14_trained_backbone
# A notebook reads no other's results, only the embedding cache, which locks each entry while one
# notebook computes it (a seed another is computing is taken last); any order gives the same bytes. The
# longest start first, so that no long notebook runs alone at the end: the final test (which computes most
# of the embeddings the others read) beside notes and their instruments (which reads none), then the
# decision rules.
STUDY_FIRST := 07_final_test 15_notes 09_decision_rules
STUDY_ORDER := $(STUDY_FIRST) $(filter-out $(STUDY_FIRST) $(FULL_ONLY),$(NOTEBOOKS))
STUDY_JOBS ?= 2
# Each notebook gets its share of the cores for torch, OpenMP and BLAS (threads beyond the cores wait
# busily on the other notebook's core). The backbone's last bits depend on the thread count, so a notebook
# run alone gets the same count as in a study.
CORES := $(shell nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
STUDY_THREADS ?= $(shell echo $$(( $(CORES) / $(STUDY_JOBS) > 1 ? $(CORES) / $(STUDY_JOBS) : 1 )))
STUDY_ENV := OMP_NUM_THREADS=$(STUDY_THREADS) OPENBLAS_NUM_THREADS=$(STUDY_THREADS) MKL_NUM_THREADS=$(STUDY_THREADS)
# Every notebook run is this one command: papermill with only the parameters the notebook declares (a
# parameters file serves them all), the result written whole, then tidied for git. The committed notebooks
# default to ../data/synth and ../data/fonts; other trees are passed, so they carry no machine path.
RUN_NOTEBOOK := $(BIN)/instrid run-notebook
TREES := $(if $(filter data/synth,$(DATA_ROOT)),,-p data_root "$(abspath $(DATA_ROOT))") \
	$(if $(filter data/fonts,$(FONT_TREES)),,-p font_trees "$(abspath $(FONT_TREES))")
RESULTS_TABLE := $(BIN)/instrid results-table --results results --readme README.md --findings FINDINGS.md
# The study's final model (instrid train's default), where `instrid predict` looks for it, outside the
# repository; seconds after a study (its embeddings are cached), minutes from a built dataset alone.
TRAIN_MODEL := $(BIN)/instrid train --root $(DATA_ROOT)
# The network that names each note's instrument (`instrid transcribe` looks for it there too): read from
# the cache after notebook 15, which trains it with the same settings.
TRAIN_NOTES := $(BIN)/instrid train-notes --root $(DATA_ROOT)
# CI's tiny configuration (notebooks/ci.yaml): one recording per split and font, several ensembles, and
# the one held-out font CI's offline copies hold; everything under build/ci.
CI_DIR := build/ci
CI_RECORDINGS := 2238 2506 2232 2203 2191 2382
CI_HELD_OUT := Freepats
# Real MusicNet at full scale (`instrid data musicnet --root DIR` first), under build/musicnet.
MUSICNET_ROOT ?= data/musicnet
MUSICNET_OUT := build/musicnet
# Installed without their declared dependencies: tinysoundfont's pyaudio (needs portaudio headers; nothing
# is played), musicnn's TensorFlow 1 and numpy of 2019 (instrid reads its checkpoints without either),
# basic-pitch's TensorFlow (instrid runs its ONNX network with onnxruntime).
NO_DEPS := tinysoundfont==0.3.7 musicnn==0.1.0 basic-pitch==0.4.0
NO_DEPS_STAMP := $(VENV)/.instrid-no-deps-$(shell echo '$(NO_DEPS)' | cksum | cut -d' ' -f1)

.PHONY: env data study study-full model study-musicnet test lint test-unit test-notebooks bench clean-env \
	$(NOTEBOOKS)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name instrid --display-name "instrid (.venv)" >/dev/null
	@touch $(STAMP)

$(NO_DEPS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps $(NO_DEPS)
	@touch $(NO_DEPS_STAMP)

env: $(STAMP) $(NO_DEPS_STAMP)

data: env
	$(BIN)/instrid data synth --root $(DATA_ROOT)
	$(BIN)/instrid data fonts --root $(FONT_TREES) --like $(DATA_ROOT)

# One notebook, in place (its figures and results too): `make run-06_top_n`.
run-%:
	$(STUDY_ENV) $(RUN_NOTEBOOK) notebooks/$*.ipynb $(TREES)

# One notebook, as a copy under $(OUT) with the parameters file $(PARAMETERS) (CI, real MusicNet); CI runs
# two side by side, each on its share of the cores ($(COPY_ENV)).
copy-%:
	$(COPY_ENV) $(RUN_NOTEBOOK) notebooks/$*.ipynb --out $(OUT)/notebooks/$*.ipynb -f $(PARAMETERS) \
		-p data_root "$(abspath $(COPY_DATA))" -p font_trees "$(abspath $(COPY_FONTS))" \
		-p figures_dir "$(abspath $(OUT)/figures)" -p results_dir "$(abspath $(OUT)/results)"

# Every notebook in place, the README's table and FINDINGS.md, then the models.
study: data
	$(BIN)/instrid data info --root $(DATA_ROOT)
	$(MAKE) --no-print-directory -j $(STUDY_JOBS) $(addprefix run-,$(STUDY_ORDER))
	$(RESULTS_TABLE)
	$(TRAIN_MODEL)
	$(TRAIN_NOTES)

study-full: study
	$(MAKE) --no-print-directory -j $(STUDY_JOBS) $(addprefix run-,$(FULL_ONLY))
	$(RESULTS_TABLE)

model: data
	$(TRAIN_MODEL)
	$(TRAIN_NOTES)

# One notebook after editing it, and the findings: `make 06_top_n`.
$(NOTEBOOKS): data
	$(MAKE) --no-print-directory run-$@
	$(RESULTS_TABLE)

study-musicnet: env
	$(BIN)/instrid data info --root $(MUSICNET_ROOT)
	@rm -rf $(MUSICNET_OUT)/notebooks $(MUSICNET_OUT)/figures $(MUSICNET_OUT)/results
	$(MAKE) --no-print-directory $(addprefix copy-,$(NOTEBOOKS)) PARAMETERS=notebooks/musicnet.yaml \
		COPY_DATA=$(MUSICNET_ROOT) COPY_FONTS=$(FONT_TREES) OUT=$(MUSICNET_OUT)
	$(BIN)/instrid results-table --results $(MUSICNET_OUT)/results

test: lint test-unit test-notebooks

# ruff (pinned in the test extra, configured in pyproject.toml): the package, tests, benchmarks, notebooks.
lint: env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-unit: env
	$(BIN)/python -m pytest

# Every notebook on CI's tiny configuration, then nbval re-executes the copies and compares the cells
# marked NBVAL_CHECK_OUTPUT (--nbval-lax).
test-notebooks: env
	$(BIN)/instrid data synth --root $(CI_DIR)/data --recordings $(CI_RECORDINGS) --quiet
	$(BIN)/instrid data fonts --root $(CI_DIR)/fonts --like $(CI_DIR)/data --held-out $(CI_HELD_OUT) --quiet
	@rm -rf $(CI_DIR)/notebooks $(CI_DIR)/figures $(CI_DIR)/results
	$(MAKE) --no-print-directory -j $(STUDY_JOBS) $(addprefix copy-,$(NOTEBOOKS)) PARAMETERS=notebooks/ci.yaml \
		COPY_DATA=$(CI_DIR)/data COPY_FONTS=$(CI_DIR)/fonts OUT=$(CI_DIR) COPY_ENV="$(STUDY_ENV)"
	$(BIN)/python -m pytest -p no:cacheprovider --nbval-lax --nbval-kernel-name instrid $(CI_DIR)/notebooks

bench: env
	@for bench in benchmarks/bench_*.py; do echo "$$bench"; $(BIN)/python "$$bench"; done

clean-env:
	rm -rf $(VENV)
