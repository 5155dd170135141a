# Berth's front door. Run as root on Linux (Debian 12).
#
#   make demo        install what is missing, build, and show each chapter at work
#   make test        install what is missing, build, and run every check: the
#                    chapters' tests under ASan+UBSan, a short fuzz of every
#                    target, then the whole suite (format and tidy included)
#   make book        build the book (static site in book/.vitepress/dist)
#   make bench       time berth-runtime against runc and crun, layer extraction
#                    against GNU tar and umoci, the image store at scale
#                    (bench/README.md)
#   make lab N=01    write the starter tree for lab 01 (also: make lab 01)
#   make grade N=01  grade a lab tree (TREE=path, default: the last starter)
#   make build       configure and build only
#   make format      format every C++ file (clang-format)
#   make tidy        clang-tidy over src/ and chapters/
#   make test-asan   the chapters' tests and fuzz corpora built with ASan+UBSan
#   make fuzz        fuzz every target for FUZZ_SECONDS (default 600) each
#
# BUILD_DIR (default build) and JOBS (default: number of cores) can be set.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 10
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

# `make lab 01` is friendlier than `make lab N=01`: take a bare number that
# follows lab or grade as N, and do nothing for the number itself.
ifneq ($(filter lab grade,$(firstword $(MAKECMDGOALS))),)
  N ?= $(word 2,$(MAKECMDGOALS))
  $(eval $(word 2,$(MAKECMDGOALS)):;@:)
endif

.PHONY: all deps configure build demo test test-asan fuzz format tidy book bench lab grade clean

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

# The suite runs last, so that its summary closes the output.
test: build test-asan
	@scripts/fuzz.sh $(FUZZ_SMOKE_SECONDS)
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# What cannot run under the sanitizers is left out: the book and the labs
# (no C++ of ours) and berth-chroot-escape (static, see its CMakeLists.txt).
test-asan: deps
	@cmake -S . -B build-asan -G Ninja -DBERTH_WERROR=ON -DBERTH_SANITIZE=ON \
	    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && ctest --output-on-failure -j $(JOBS) -L '^(ch[0-9]+|fuzz)$$'

fuzz: deps
	@scripts/fuzz.sh $(FUZZ_SECONDS)

format:
	@scripts/check-format.sh --fix

tidy: configure
	@scripts/tidy.sh $(BUILD_DIR)

# Not part of `make test`: a benchmark's numbers are not pass or fail.
bench: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target berth-runtime berth-ch07 berth-ch08
	@bench/run.sh $(BUILD_DIR)
	@bench/images.sh $(BUILD_DIR)

book: deps
	@scripts/build-book.sh

lab: deps
	@labs/generate $(N)

grade: deps
	@labs/grade $(N) $(TREE)

clean:
	rm -rf $(BUILD_DIR) build-asan build-fuzz build-grade
