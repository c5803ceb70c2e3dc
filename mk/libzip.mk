# libzip (Debian libzip-dev): Apple Health export.zip read in place,
# confined to src/readers/zip_member.c. make NO_LIBZIP=1 builds without it
# (unzip the export and give export.xml instead).
ifneq ($(NO_LIBZIP),1)
  ifeq ($(shell pkg-config --exists libzip && echo yes),yes)
    $(BUILD)/src/readers/zip_member.o: CFLAGS += $(shell pkg-config --cflags libzip) -DPAT_HAVE_LIBZIP
    $(BUILD)/tests/test_readers.o: CFLAGS += -DPAT_HAVE_LIBZIP
    LDLIBS := $(shell pkg-config --libs libzip) $(LDLIBS)
    $(info ✓ libzip (Apple Health export.zip))
  else
    $(info ✗ libzip not found: no export.zip input (apt-get install libzip-dev))
  endif
endif
