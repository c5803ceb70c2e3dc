# pat - Pretrained Actigraphy Transformer in C.
#   make            build build/pat and build/libpat.a
#   make test       build and run every test; ends with "N passed, N failed"
#   make WERROR=1   warnings are errors (CI)
#   make NO_THREADS=1  build without threads (single-threaded library)
#   make NO_HDF5=1  build without Keras HDF5 import
#   make NO_READSTAT=1  build without libreadstat (no XPT writing or v8 input)
#   make NO_MHD=1   build without libmicrohttpd (no pat serve; mk/serve.mk)
#   make asan       run the tests under AddressSanitizer + UBSan (+ LeakSanitizer)
#   make fuzz-smoke 30 s of each libFuzzer harness (clang-14; tests/fuzz/README.md)
#   make fuzz FUZZ_TIME=600  fuzz each harness longer, keeping found inputs
#   make bench      speed against the PyTorch reference and OpenBLAS (QUICK=1: ~2 min)
#   make bench-busy thread ratios with a busy loop on one core (bench/busy.py)
#   make bench-data pat data build against pandas.read_sas on a 1 GB PAXMIN_H
#   make bench-serve  pat serve under load on loopback (bench/serve_load.py)
#   make NO_BLAS=1  build the benchmarks without OpenBLAS (no sgemm reference rate)

CC ?= cc
OPT ?= -O2
CFLAGS += $(OPT) -g -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
          -Wmissing-prototypes -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc
LDLIBS += -lm
LDFLAGS += $(EXTRA_LDFLAGS)
BUILD ?= build

ifeq ($(WERROR),1)
  CFLAGS += -Werror
endif

# Threads: the library's own pool of POSIX threads (src/nn/pool.c).
# NO_THREADS=1 (or the older NO_OMP=1) builds a single-threaded library.
ifeq ($(NO_OMP),1)
  NO_THREADS := 1
endif
ifneq ($(NO_THREADS),1)
  CFLAGS += -pthread
  LDFLAGS += -pthread
  $(info ✓ threads (POSIX))
else
  CFLAGS += -DPAT_NO_THREADS
  $(info ✗ threads disabled: single-threaded build)
endif

# HDF5 (Keras .h5 import only, confined to src/io/keras_h5.c).
ifneq ($(NO_HDF5),1)
  ifeq ($(shell pkg-config --exists hdf5 && echo yes),yes)
    HDF5_CFLAGS := $(shell pkg-config --cflags hdf5) -DPAT_HAVE_HDF5
    HDF5_LIBS := $(shell pkg-config --libs hdf5)
    LDLIBS := $(HDF5_LIBS) $(LDLIBS)
    $(info ✓ HDF5 (Keras import))
  else
    $(info ✗ HDF5 not found: pat convert --from-keras disabled (apt-get install libhdf5-dev))
  endif
endif

# libreadstat (XPT writing, XPORT v8, the XPT reader's test oracle; confined
# to src/io/xpt.c; pat reads NHANES XPORT v5 itself). Debian's
# libreadstat-dev has no pkg-config file, so probe for the header.
HASH := \#
ifneq ($(NO_READSTAT),1)
  ifeq ($(shell echo '$(HASH)include <readstat.h>' | $(CC) -E -x c - >/dev/null 2>&1 && echo yes),yes)
    READSTAT_CFLAGS := -DPAT_HAVE_READSTAT
    LDLIBS := -lreadstat $(LDLIBS)
    $(info ✓ libreadstat (XPT writing, XPORT v8))
  else
    $(info ✗ libreadstat not found: no XPT writing (pat data synth --kind nhanes) or XPORT v8 input (apt-get install libreadstat-dev))
  endif
endif

# OpenBLAS: only bench/ links it, for the machine's sgemm rate (pat's own
# tiles beat it on the model's shapes: docs/benchmarks.md).
ifneq ($(NO_BLAS),1)
  ifeq ($(shell pkg-config --exists openblas && echo yes),yes)
    BLAS_CFLAGS := $(shell pkg-config --cflags openblas) -DPAT_HAVE_BLAS
    BLAS_LIBS := $(shell pkg-config --libs openblas)
    $(info ✓ OpenBLAS (benchmarks' sgemm reference))
  else
    $(info ✗ OpenBLAS not found: make bench has no sgemm reference (apt-get install libopenblas-dev))
  endif
endif

LIB_SRC := $(wildcard src/*.c src/*/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_COMMON := $(BUILD)/tests/check.o

.PHONY: all test fixtures clean asan
all: $(BUILD)/pat $(BUILD)/libpat.a

$(BUILD)/%.o: %.c $(wildcard include/*.h src/*.h src/*/*.h cli/*.h tests/*.h)
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS) $(if $(findstring keras_h5,$<),$(HDF5_CFLAGS)) \
	    $(if $(filter src/io/xpt.c,$<),$(READSTAT_CFLAGS)) \
	    $(if $(filter bench/%,$<),$(BLAS_CFLAGS)) -c $< -o $@

$(BUILD)/libpat.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/pat: $(CLI_OBJ) $(BUILD)/libpat.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libpat.a $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_COMMON) $(BUILD)/libpat.a
	$(CC) $(LDFLAGS) -o $@ $< $(TEST_COMMON) $(BUILD)/libpat.a $(LDLIBS)

# Fixtures are laid out in the build tree: .gz files unpacked, others copied.
FIXTURE_GZ := $(wildcard tests/fixtures/*/*.gz)
FIXTURE_PLAIN := $(filter-out %.gz %.md,$(wildcard tests/fixtures/*/*))
FIXTURES := $(FIXTURE_GZ:tests/fixtures/%.gz=$(BUILD)/fixtures/%) \
            $(FIXTURE_PLAIN:tests/fixtures/%=$(BUILD)/fixtures/%)
$(BUILD)/fixtures/%: tests/fixtures/%.gz
	@mkdir -p $(dir $@)
	@gzip -dc $< > $@.tmp && mv $@.tmp $@
$(BUILD)/fixtures/%: tests/fixtures/%
	@mkdir -p $(dir $@)
	@cp $< $@
fixtures: $(FIXTURES)

test: all $(TEST_BIN) fixtures
	@PAT_FIXTURES=$(BUILD)/fixtures sh tests/run.sh $(BUILD)

# UBSan findings are fatal (halt_on_error); LeakSanitizer is on (ASan's
# default on Linux): a leak fails the test binary or the pat command run.
# Crash-safety trials are fewer here (PAT_CRASH_TRIALS, default 20 in make
# test) and test_reference uses day-long inputs only (PAT_TEST_QUICK=1).
asan:
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	PAT_CRASH_TRIALS=$${PAT_CRASH_TRIALS:-4} PAT_TEST_QUICK=$${PAT_TEST_QUICK:-1} \
	$(MAKE) BUILD=build-asan OPT="-O2 -fsanitize=address,undefined -fno-omit-frame-pointer" \
	        EXTRA_LDFLAGS="-fsanitize=address,undefined" test

# libFuzzer harnesses (tests/fuzz/README.md): clang-14 and libclang-rt-14-dev.
# The library is rebuilt in build-fuzz with ASan + UBSan (UBSan fatal) and
# fuzzer coverage; each harness runs on a scratch copy of its seed corpus.
FUZZ_CC ?= clang-14
FUZZ_NAMES := safetensors keras_h5 csv xpt dataset readers_csv actilife awd fitbit agd apple_health \
              serve_body
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_TIME ?= 30
FUZZ_ARGS ?=
# libhdf5 (not instrumented) sizes its metadata-cache buffers from the file;
# an absurd size must fail as malloc returning NULL does outside ASan, and
# its own bugs are suppressed (tests/fuzz/hdf5.*.supp, docs/security.md).
FUZZ_ENV_keras_h5 := ASAN_OPTIONS=allocator_may_return_null=1:suppressions=tests/fuzz/hdf5.asan.supp \
    LSAN_OPTIONS=suppressions=tests/fuzz/hdf5.lsan.supp
# -runs caps it at a prefix of the seed-1 sequence known to stay clear of
# libhdf5's own crashes (a 30 s smoke run must not fail at random).
FUZZ_ARGS_keras_h5 := -malloc_limit_mb=16384 -runs=20000
FUZZ_SEED ?= 1
.PHONY: fuzz fuzz-build fuzz-bins fuzz-smoke $(FUZZ_NAMES:%=fuzz-run-%)
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h tests/fuzz/fuzz_reader.h $(BUILD)/libpat.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(HDF5_CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libpat.a $(LDLIBS)
fuzz-bins: $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
fuzz-build:
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) NO_THREADS=1 \
	        OPT="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	        EXTRA_LDFLAGS="$(FUZZ_SAN)" fuzz-bins
$(FUZZ_NAMES:%=fuzz-run-%): fuzz-run-%: fuzz-build
	@rm -rf build-fuzz/corpus/$* && mkdir -p build-fuzz/corpus/$* build-fuzz/artifacts/$*
	@$(FUZZ_ENV_$*) build-fuzz/fuzz/fuzz_$* -max_total_time=$(FUZZ_TIME) -timeout=20 -rss_limit_mb=2048 \
	    -print_final_stats=1 -seed=$(FUZZ_SEED) -artifact_prefix=build-fuzz/artifacts/$*/ \
	    $(FUZZ_ARGS_$*) $(FUZZ_ARGS) \
	    build-fuzz/corpus/$* tests/fuzz/corpus/$* 2>build-fuzz/fuzz-$*.log \
	    || { tail -n 60 build-fuzz/fuzz-$*.log; exit 1; }
	@printf 'fuzz %s: ' $*; grep -E '^Done' build-fuzz/fuzz-$*.log
fuzz-smoke: $(FUZZ_NAMES:%=fuzz-run-%)
fuzz: fuzz-smoke

clean:
	rm -rf build build-asan build-fuzz

# Benchmarks (bench/, docs/benchmarks.md); the reference side needs
# Debian's python3-torch at /usr/bin/python3.
$(BUILD)/bench/bench_job: $(BUILD)/bench/bench_job.o $(BUILD)/libpat.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libpat.a $(LDLIBS) $(BLAS_LIBS)

.PHONY: bench
bench: $(BUILD)/pat $(BUILD)/bench/bench_job
	/usr/bin/python3 bench/bench.py --build $(BUILD) --threads $(or $(THREADS),2) \
	    $(if $(filter 1,$(QUICK)),--quick)

# bf16 inference against float32 only (PAT-M and -L, batch 1 and 16; also part
# of make bench), and its accuracy on the Depresjon days (bench/bf16_accuracy.sh).
.PHONY: bench-bf16 bench-bf16-accuracy
bench-bf16: $(BUILD)/bench/bench_job
	/usr/bin/python3 bench/bench.py --build $(BUILD) --threads $(or $(THREADS),2) --bf16-only \
	    --out $(BUILD)/bench/report-bf16.md
bench-bf16-accuracy: $(BUILD)/pat
	sh bench/bf16_accuracy.sh $(BUILD)

# Threads on a busy machine (a busy loop on CPU 0) and a quiet one (bench/busy.py;
# also part of make bench).
.PHONY: bench-busy
bench-busy: $(BUILD)/pat
	/usr/bin/python3 bench/busy.py --build $(BUILD)


# Data pipeline: pat data build against pandas.read_sas on a 1 GB synthetic
# PAXMIN_H (bench/data_build.sh; N participants, default 1300).
.PHONY: bench-data
bench-data: $(BUILD)/pat
	sh bench/data_build.sh $(BUILD) $(or $(N),1300)

# Real data end to end: raw Depresjon CSVs -> pat cv tables (about an hour on
# 2 cores; LOPO_METHODS=features,probe CV_METHODS=features,probe: minutes).
.PHONY: bench-depresjon
bench-depresjon: all
	sh bench/depresjon/run.sh $(BUILD)

# The main job: the shipped Depresjon demo model on a generated week
# (and on a real participant when ../shared/data/depresjon exists).
.PHONY: demo
demo: all
	sh scripts/demo.sh $(BUILD)

# Source-tree dependency rule (DEVELOPING.md): which folder may include which,
# and no two files that call each other.
.PHONY: check-deps
check-deps: $(BUILD)/libpat.a
	@sh tools/check_deps.sh src $(BUILD)/src

# Optional subsystems keep their probes and targets in mk/<name>.mk.
include $(sort $(wildcard mk/*.mk))

# Keep objects between runs (they are intermediates of the test binaries).
.SECONDARY:
