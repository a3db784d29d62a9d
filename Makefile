# The two commands of the quick start: `make run` and `make test`.
# Each installs missing Debian packages, configures CMake + Ninja into build/, builds, then runs.
BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)

# ccache hits across checkouts in different folders (a CI clone, a second work tree), and
# Verilator's generated makefiles compile through it too.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
export OBJCACHE := $(shell command -v ccache 2>/dev/null)

.PHONY: all deps configure build run test clean bench fuzz test-sanitize

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@./scripts/run-example.sh $(BUILD)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) --timeout 900

clean:
	rm -rf $(BUILD)

# libFuzzer targets (fuzz/): a clang build in build-fuzz, each target run FUZZ_SECONDS with
# seed corpora from ../shared/testdata and examples/; fails if any target crashed.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

fuzz:
	@./scripts/install-deps.sh --fuzz
	./fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer (gcc) in build-asan.
# The Verilator models (sim/, RTL unit testbenches) are left out unless SANITIZE_VERILATOR=ON:
# instrumenting generated models costs much build time and finds nothing in our code.
ASAN_BUILD ?= build-asan
SANITIZE_VERILATOR ?= OFF
SANITIZE_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SANITIZE_CMAKE_FLAGS = -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS="$(SANITIZE_FLAGS)" \
	-DCMAKE_CXX_FLAGS="$(SANITIZE_FLAGS)" \
	$(if $(filter ON,$(SANITIZE_VERILATOR)),,-DCMAKE_DISABLE_FIND_PACKAGE_verilator=ON)

test-sanitize: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja $(SANITIZE_CMAKE_FLAGS) $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) --timeout 1800

# Benchmarks and distribution quality (bench/): an optimized build of its own, then
# bench/run_bench.sh writes docs/bench/results.md and the plots. Never part of `make test`.
BENCH_BUILD ?= build-bench
bench:
	@./scripts/install-deps.sh --bench
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BENCH_BUILD) -j $(JOBS) --target bench_all broker-replay broker-gen-traffic brokerd
	./bench/run_bench.sh $(BENCH_BUILD)
