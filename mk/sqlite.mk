# libsqlite3 (Debian libsqlite3-dev): ActiGraph .agd files, confined to
# src/readers/agd.c (opened read-only, extensions off). make NO_SQLITE=1
# builds without it.
ifneq ($(NO_SQLITE),1)
  ifeq ($(shell pkg-config --exists sqlite3 && echo yes),yes)
    $(BUILD)/src/readers/agd.o: CFLAGS += $(shell pkg-config --cflags sqlite3) -DPAT_HAVE_SQLITE
    $(BUILD)/tests/test_readers.o: CFLAGS += -DPAT_HAVE_SQLITE
    LDLIBS := $(shell pkg-config --libs sqlite3) $(LDLIBS)
    $(info ✓ SQLite (ActiGraph .agd))
  else
    $(info ✗ SQLite not found: no .agd input (apt-get install libsqlite3-dev))
  endif
endif
