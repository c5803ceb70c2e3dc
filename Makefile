# pat - Pretrained Actigraphy Transformer in C.
#   make            build build/pat and build/libpat.a
#   make test       build and run every test; ends with "N passed, N failed"
#   make WERROR=1   warnings are errors (CI)
#   make NO_OMP=1   build without OpenMP
#   make NO_HDF5=1  build without Keras HDF5 import
#   make NO_READSTAT=1  build without NHANES SAS XPORT input (libreadstat)
#   make asan       run the tests under AddressSanitizer + UBSan

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

# OpenMP: used when the compiler accepts -fopenmp.
ifneq ($(NO_OMP),1)
  ifeq ($(shell echo | $(CC) -fopenmp -x c -E - >/dev/null 2>&1 && echo yes),yes)
    CFLAGS += -fopenmp -DPAT_OMP
    LDFLAGS += -fopenmp
    $(info ✓ OpenMP)
  else
    CFLAGS += -Wno-unknown-pragmas
    $(info ✗ OpenMP not found: single-threaded build)
  endif
else
  CFLAGS += -Wno-unknown-pragmas
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

# libreadstat (NHANES SAS XPORT, confined to src/io/xpt.c). Debian's
# libreadstat-dev has no pkg-config file, so probe for the header.
HASH := \#
ifneq ($(NO_READSTAT),1)
  ifeq ($(shell echo '$(HASH)include <readstat.h>' | $(CC) -E -x c - >/dev/null 2>&1 && echo yes),yes)
    READSTAT_CFLAGS := -DPAT_HAVE_READSTAT
    LDLIBS := -lreadstat $(LDLIBS)
    $(info ✓ libreadstat (NHANES XPT))
  else
    $(info ✗ libreadstat not found: NHANES .XPT input disabled (apt-get install libreadstat-dev))
  endif
endif

LIB_SRC := $(wildcard src/*.c src/io/*.c src/data/*.c src/report/*.c src/baseline/*.c)
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
	    $(if $(filter src/io/xpt.c,$<),$(READSTAT_CFLAGS)) -c $< -o $@

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

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer" \
	        EXTRA_LDFLAGS="-fsanitize=address,undefined" test

clean:
	rm -rf build build-asan

# The main job on generated data: import weights, embed, predict, explain.
.PHONY: demo
demo: all fixtures
	sh scripts/demo.sh $(BUILD)

# Keep objects between runs (they are intermediates of the test binaries).
.SECONDARY:
