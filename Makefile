# MIA — two commands for a fresh Debian/Ubuntu machine:
#   make run    set up (.venv, system packages, Python deps) then start MIA on the embedded default
#   make test   same set-up, plus the natural test voices and the audio fixtures, then the whole test suite
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV       := .venv
PY         := $(VENV)/bin/python
PIP        := $(VENV)/bin/pip
PYTHON     ?= $(shell command -v python3.11 || command -v python3)
# Debian packages MIA needs at run time and in tests (speech out, audio devices, browser tests).
SYSTEM_PKGS := espeak-ng libespeak-ng1 sox libsox-fmt-all flac libportaudio2 pulseaudio pulseaudio-utils \
               alsa-utils libasound2-plugins chromium chromium-driver
STAMP      := $(VENV)/.mia-installed
PYTEST_ARGS ?=
# `make test` runs the suite on this many processes, one test file per process at a time (pytest-xdist),
# in collection order: tests/conftest.py puts the files with `slow` tests first, so that the long files do
# not come last and leave one process working alone (xdist's default order is by number of tests, which
# put them last); the files that share the session's grammar-constrained Whisper go to one process as one
# unit (tests/conftest.py, SAME_PROCESS); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

.PHONY: help run test setup system-deps compiled-parser test-voices fixtures bench clean

help:
	@echo "make run   - set up and start MIA (paper trading on the simulated market, voice or typed input)"
	@echo "make test  - set up and run the whole test suite"
	@echo "make bench - run the benchmarks (prints figures)"
	@echo "make fixtures - synthesise the labelled audio fixture set (audio_fixtures/generated/) for mia harness"
	@echo "make test-voices - install the natural test voices (non-free pico2wave/MBROLA; tests only)"

system-deps:
	@missing=""; for p in $(SYSTEM_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "MIA needs these system packages:$$missing"; \
	    echo "Install them with:  sudo apt-get install$$missing"; \
	    echo "(continuing: features that need them will say so at start-up)"; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2]==(3,11) else "MIA needs Python 3.11 (found %d.%d)" % sys.version_info[:2])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# torch first, pinned: any looser spec pulls several GB of CUDA packages
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[test,bench]'
	@touch $(STAMP)

setup: system-deps $(STAMP) compiled-parser

# The parser's modules compiled with mypyc (1.3-1.4x its pure-Python throughput; assistant/nlu/native.py), kept in
# .mypyc/: compiled when a C compiler and the Python headers are present and the build is missing or one of its
# sources changed (2.5-3 min on 2 cores). One line says what happened; on any failure the parser runs in pure
# Python and nothing else changes. A stale build is never loaded. MIA_PURE_PYTHON=1 skips it (and runs pure Python).
compiled-parser: $(STAMP)
	@$(PY) -m assistant.nlu build || echo "parser: not compiled (the build step failed); it runs in pure Python"

# Natural-sounding voices for the tests (Debian contrib/non-free): installed by `make test` only.
test-voices:
	@bash audio_fixtures/install_voices.sh

# The labelled audio fixture set (only missing or stale files are made).
fixtures: $(STAMP)
	$(PY) -m audio_fixtures.generate

run: setup
	$(VENV)/bin/mia run --paper --market ES

test: setup test-voices fixtures
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

bench: setup fixtures
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypyc
