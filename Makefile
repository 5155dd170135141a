# Berth's front door. Run as root on Linux (Debian 12).
#
#   make demo        install what is missing, build, and show each chapter at work
#   make test        install what is missing, build, and run the whole test suite
#   make book        build the book (static site in book/.vitepress/dist)
#   make lab N=01    write the starter tree for lab 01 (also: make lab 01)
#   make grade N=01  grade a lab tree (TREE=path, default: the last starter)
#   make build       configure and build only
#
# BUILD_DIR (default build) and JOBS (default: number of cores) can be set.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

# `make lab 01` is friendlier than `make lab N=01`: take a bare number that
# follows lab or grade as N, and do nothing for the number itself.
ifneq ($(filter lab grade,$(firstword $(MAKECMDGOALS))),)
  N ?= $(word 2,$(MAKECMDGOALS))
  $(eval $(word 2,$(MAKECMDGOALS)):;@:)
endif

.PHONY: all deps configure build demo test book lab grade clean

all: build

deps:
	@scripts/check-host.sh
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DBERTH_WERROR=ON \
	    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD_DIR)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

book: deps
	@scripts/build-book.sh

lab: deps
	@labs/generate $(N)

grade: deps
	@labs/grade $(N) $(TREE)

clean:
	rm -rf $(BUILD_DIR)
