# ARM64: the NEON path (src/nn/gemm.c, attention.c), cross-compiled with
# Debian's gcc-aarch64-linux-gnu and tested under qemu-user: every C test
# binary, with day-long reference inputs (PAT_TEST_QUICK=1); the shell tests
# drive build/pat through the shell and are left out. Speed on ARM cannot be
# measured under emulation.
#   make arm64-test   (apt-get install gcc-aarch64-linux-gnu qemu-user)
ARM64_CC ?= aarch64-linux-gnu-gcc
ARM64_QEMU ?= qemu-aarch64
ARM64_SYSROOT ?= /usr/aarch64-linux-gnu
ARM64_BUILD ?= build-arm64

.PHONY: arm64-test test-bin
test-bin: $(TEST_BIN) fixtures

arm64-test:
	@command -v $(ARM64_CC) >/dev/null 2>&1 && command -v $(ARM64_QEMU) >/dev/null 2>&1 || \
	  { echo "✗ arm64-test needs $(ARM64_CC) and $(ARM64_QEMU) (apt-get install gcc-aarch64-linux-gnu qemu-user)"; exit 1; }
	$(MAKE) CC=$(ARM64_CC) BUILD=$(ARM64_BUILD) NO_HDF5=1 NO_READSTAT=1 NO_BLAS=1 test-bin
	QEMU_LD_PREFIX=$(ARM64_SYSROOT) PAT_TEST_RUNNER=$(ARM64_QEMU) PAT_NO_SCRIPTS=1 \
	  PAT_TEST_QUICK=1 PAT_FIXTURES=$(ARM64_BUILD)/fixtures sh tests/run.sh $(ARM64_BUILD)
