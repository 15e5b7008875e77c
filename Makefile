# make run  : set up, prepare the body model once, serve on http://127.0.0.1:8000
# make test : set up (with test extras), prepare, run the whole test suite
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
EGL_PACKAGES := libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 libopengl0 libgl1
# The widget's end-to-end tests drive Debian's Chromium (Playwright downloads no browser here).
BROWSER_PACKAGES := chromium fonts-liberation fonts-dejavu-core

.PHONY: run test setup setup-test system-packages browser-packages prepare bench

run: setup prepare
	$(BIN)/tryon serve --host 127.0.0.1 --port 8000

test: setup-test prepare
	$(BIN)/python -m pytest

bench: setup-test prepare
	$(BIN)/pip install -e '.[smplx,test,bench]'  # newton, for the VBD comparison only
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

prepare:
	$(BIN)/tryon prepare

setup: system-packages $(VENV)/.installed
setup-test: system-packages browser-packages $(VENV)/.installed-test

# Headless rendering needs EGL (Mesa's llvmpipe on a CPU).
system-packages:
	@if ! ldconfig -p | grep -q 'libEGL.so.1' || ! ldconfig -p | grep -q 'libgbm.so.1' \
	    || ! ls /usr/lib/*/dri/swrast_dri.so >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(EGL_PACKAGES); \
	  else \
	    echo "tryon renders with EGL. Install the system libraries first, then run make again:"; \
	    echo "  sudo apt-get install -y $(EGL_PACKAGES)"; exit 1; \
	  fi; \
	fi

# Tests only: the widget's end-to-end tests run in headless Chromium.
browser-packages:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(BROWSER_PACKAGES); \
	  else \
	    echo "The widget's browser tests need Chromium. Install it first, then run make again:"; \
	    echo "  sudo apt-get install -y $(BROWSER_PACKAGES)"; exit 1; \
	  fi; \
	fi

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first, so nothing pulls a multi-GB CUDA build.
	$(BIN)/pip install torch==2.13.0
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.created
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.created
	$(BIN)/pip install -e '.[smplx,test]'
	touch $@
