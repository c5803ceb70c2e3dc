# libcsv (Debian libcsv-dev): the CSV grammar of the activity-file readers,
# confined to src/readers/table.c. No pkg-config file: probe the header.
# make NO_LIBCSV=1 builds without it (the CSV-based --input formats then
# report that they are not built in).
ifneq ($(NO_LIBCSV),1)
  ifeq ($(shell echo '$(HASH)include <csv.h>' | $(CC) -E -x c - >/dev/null 2>&1 && echo yes),yes)
    $(BUILD)/src/readers/table.o: CFLAGS += -DPAT_HAVE_LIBCSV
    LDLIBS := -lcsv $(LDLIBS)
    $(info ✓ libcsv (CSV activity files))
  else
    $(info ✗ libcsv not found: no CSV-based --input formats (apt-get install libcsv-dev))
  endif
endif
