# xmpp.encryption: one entry point for users, developers and CI.
#   make demo   bring the lab up and show what the collection does with it
#   make test   every check: lint, sanity, unit tests, the demo and Molecule against the lab
# Each target installs what it needs (Debian packages, the Docker engine, a pinned venv)
# and skips what is done already.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
BUILD := $(CURDIR)/.build
COLLECTION_LINK := $(BUILD)/collections/ansible_collections/xmpp/encryption

export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(BUILD)/collections
export XMPP_LAB_DIR ?= $(CURDIR)/.lab
export ANSIBLE_FORCE_COLOR ?= 0
export PY_COLORS ?= 0

.PHONY: help deps host-deps engine venv sslyze-venv demo test lint sanity unit integration molecule \
	bench lab-up lab-down lab-build build clean

help:
	@echo "make demo      the lab taken from its legacy state through the rollout"
	@echo "make test      lint, sanity, unit and integration tests, the demo, Molecule"
	@echo "make lint      ruff, yamllint, ansible-lint (production profile), the layer check"
	@echo "make sanity    ansible-test sanity on a clean copy of the collection"
	@echo "make unit      pytest tests/unit"
	@echo "make integration   the prober against sslyze on the lab"
	@echo "make molecule  molecule test --all"
	@echo "make bench     this prober beside sslyze and testssl.sh on the lab"
	@echo "make lab-up | lab-down | lab-build    start, remove or only build the lab"
	@echo "make build     the collection tarball"

# --- what everything else stands on -------------------------------------------------------
host-deps: $(BUILD)/host-deps.stamp
$(BUILD)/host-deps.stamp: scripts/host-deps.sh
	@mkdir -p $(BUILD)
	scripts/host-deps.sh
	@touch $@

# The engine is checked on every run: a stamp cannot know whether dockerd still runs.
engine: host-deps
	scripts/docker-engine.sh

# venv.sh compares a hash of the requirements, so calling it every time is cheap.
venv: $(COLLECTION_LINK)
	scripts/venv.sh $(VENV) requirements-dev.txt

# Ansible, Molecule and pytest all find the collection through this one link.
$(COLLECTION_LINK):
	@mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

deps: host-deps engine venv

# --- the lab ------------------------------------------------------------------------------
lab-up: deps
	lab/lab.sh up

lab-down: host-deps
	lab/lab.sh down

lab-build: deps
	lab/lab.sh build

# --- checks -------------------------------------------------------------------------------
lint: venv
	ruff check .
	ruff format --check .
	yamllint --strict .
	ansible-lint --profile production
	python scripts/check_layers.py

sanity: venv
	scripts/sanity.sh

unit: venv
	pytest tests/unit

# sslyze lives in a venv of its own: it pins its own cryptography.
sslyze-venv: venv
	scripts/venv.sh $(CURDIR)/.venv-sslyze requirements-bench.txt

integration: deps sslyze-venv
	lab/lab.sh up
	pytest tests/integration

# reset: Molecule keeps "created"/"prepared" state across runs and would skip the lab's
# reset after an interrupted run. With shared_state every scenario uses the default
# scenario's folder, so resetting that one resets them all (reset --all trips over it).
molecule: deps
	molecule reset -s default
	molecule test --all

test: lint sanity unit integration demo molecule

# --- the rest -----------------------------------------------------------------------------
demo: deps
	lab/lab.sh up
	ansible-playbook playbooks/demo.yml -i lab/inventory.yml

bench: deps sslyze-venv
	lab/lab.sh up
	python benchmarks/bench.py

build: venv
	@mkdir -p $(BUILD)/dist
	ansible-galaxy collection build --force --output-path $(BUILD)/dist .

clean:
	rm -rf $(BUILD) .pytest_cache .ruff_cache
