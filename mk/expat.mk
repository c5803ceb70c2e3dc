# expat (Debian libexpat1-dev): the streaming Apple Health export.xml
# reader, confined to src/readers/apple_health.c. make NO_EXPAT=1 builds
# without it.
ifneq ($(NO_EXPAT),1)
  ifeq ($(shell pkg-config --exists expat && echo yes),yes)
    $(BUILD)/src/readers/apple_health.o: CFLAGS += $(shell pkg-config --cflags expat) -DPAT_HAVE_EXPAT
    $(BUILD)/tests/test_readers.o: CFLAGS += -DPAT_HAVE_EXPAT
    LDLIBS := $(shell pkg-config --libs expat) $(LDLIBS)
    $(info ✓ expat (Apple Health export.xml))
  else
    $(info ✗ expat not found: no Apple Health input (apt-get install libexpat1-dev))
  endif
endif

# Apple Health reader against Python's iterparse on a generated >= 500 MB
# export.xml (bench/readers/apple_health.py; MB=520 by default).
.PHONY: bench-readers
bench-readers: $(BUILD)/pat
	/usr/bin/python3 bench/readers/apple_health.py $(BUILD) $(or $(MB),520)
