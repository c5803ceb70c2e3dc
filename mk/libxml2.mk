# libxml2 (Debian libxml2-dev): the streaming Apple Health export.xml reader,
# confined to src/readers/apple_health.c. make NO_LIBXML2=1 builds without it.
ifneq ($(NO_LIBXML2),1)
  ifeq ($(shell pkg-config --exists libxml-2.0 && echo yes),yes)
    $(BUILD)/src/readers/apple_health.o: CFLAGS += $(shell pkg-config --cflags libxml-2.0) -DPAT_HAVE_LIBXML2
    $(BUILD)/tests/test_readers.o: CFLAGS += -DPAT_HAVE_LIBXML2
    LDLIBS := $(shell pkg-config --libs libxml-2.0) $(LDLIBS)
    $(info ✓ libxml2 (Apple Health export.xml))
  else
    $(info ✗ libxml2 not found: no Apple Health input (apt-get install libxml2-dev))
  endif
endif
