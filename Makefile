# zoo developer entry points. `make demo` and `make test` install whatever is missing by themselves
# (Debian packages as root via apt-get, a Python venv under ~/.cache/zoo-dev), so a fresh machine needs
# only Swift, Python 3 and make.
#   make demo      the main job end to end on the bundled bert-tiny checkpoint (scripts/demo.sh)
#   make test      the whole test suite (scripts/test.sh); ARGS="--filter X" narrows it
#   make bench     the benchmark, release build (scripts/bench.sh)
#   make fuzz      libFuzzer targets, 20 s each (scripts/fuzz.sh; fuzz/README.md); ARGS="300 FuzzGGUF"
#   make setup     install what is missing, nothing else (scripts/setup.sh)
#   make build     debug build of everything
#   make fixtures  safetensors interop fixtures into $ZOO_CACHE/fixtures (scripts/make_fixtures.py)
#   make bert-tiny rewrite zoo/checkpoints/bert-tiny (scripts/make_bert_tiny.py; byte-identical output)
#   make clean     remove .build and the generated fixtures (the venv stays)
# ZOO_CACHE (default ~/.cache/zoo-dev) holds the venv and fixtures; ZOO_LARGE_FIXTURES=0 skips the
# ~300 MB fixture.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# Swift lives at /opt/swift on the project's machines; a swift already on PATH comes first.
export PATH := $(PATH):/opt/swift/usr/bin

ARGS ?=
ENV := source scripts/env.sh

.PHONY: all setup build demo test bench fuzz fixtures bert-tiny clean
all: build

setup:
	bash scripts/setup.sh

build: setup
	swift build

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh $(ARGS)

bench:
	bash scripts/bench.sh $(ARGS)

fuzz: setup
	bash scripts/fuzz.sh $(ARGS)

fixtures: setup
	$(ENV) && "$$ZOO_PYTHON" scripts/make_fixtures.py "$$ZOO_TEST_FIXTURES"

bert-tiny: setup
	$(ENV) && "$$ZOO_PYTHON" scripts/make_bert_tiny.py zoo/checkpoints/bert-tiny

clean:
	rm -rf .build
	$(ENV) && rm -rf -- "$$ZOO_TEST_FIXTURES"
