# ARM64: the NEON path (src/nn/gemm.c, attention.c), cross-compiled with
# Debian's gcc-aarch64-linux-gnu and tested under qemu-user. Emulation runs
# the float kernels about 100 times slower, so the subset is the tests of the
# numerics: every kernel path against its oracle (test_speed_paths, with
# the NEON path), the six architectures against the PyTorch reference's
# fixtures on day-long inputs (test_reference, PAT_TEST_QUICK=1), gradients
# and the masked autoencoder against theirs (test_grad, test_mae), the pool,
# the float parser and the kernels; about 2.5 CPU minutes. Speed on ARM
# cannot be measured under emulation.
#   make arm64-test   (apt-get install gcc-aarch64-linux-gnu qemu-user)
ARM64_CC ?= aarch64-linux-gnu-gcc
ARM64_QEMU ?= qemu-aarch64
ARM64_SYSROOT ?= /usr/aarch64-linux-gnu
ARM64_BUILD ?= build-arm64
ARM64_TESTS := test_kernels test_speed_paths test_pool test_decimal test_reference test_grad \
               test_mae test_tile_choice

# GCC 12's ARM64 vectorizer stops with an internal compiler error on some
# fmax reductions in the tests; the tests need no vectorizing (the library
# keeps it: that is the NEON path).
ifneq ($(findstring aarch64,$(CC)),)
$(BUILD)/tests/%.o: CFLAGS += -fno-tree-vectorize
endif

.PHONY: arm64-test test-bin
test-bin: $(addprefix $(BUILD)/tests/,$(or $(TESTS),$(notdir $(TEST_BIN)))) fixtures

arm64-test:
	@command -v $(ARM64_CC) >/dev/null 2>&1 && command -v $(ARM64_QEMU) >/dev/null 2>&1 || \
	  { echo "✗ arm64-test needs $(ARM64_CC) and $(ARM64_QEMU) (apt-get install gcc-aarch64-linux-gnu qemu-user)"; exit 1; }
	$(MAKE) CC=$(ARM64_CC) BUILD=$(ARM64_BUILD) NO_HDF5=1 NO_READSTAT=1 NO_BLAS=1 \
	  NO_LIBCSV=1 NO_SQLITE=1 NO_EXPAT=1 NO_LIBZIP=1 NO_MHD=1 TESTS="$(ARM64_TESTS)" test-bin
	QEMU_LD_PREFIX=$(ARM64_SYSROOT) PAT_TEST_RUNNER=$(ARM64_QEMU) PAT_TESTS="$(ARM64_TESTS)" \
	  PAT_TEST_QUICK=1 PAT_FIXTURES=$(ARM64_BUILD)/fixtures sh tests/run.sh $(ARM64_BUILD)
