# Shared library, installation and pkg-config file (issue 17).
#   make shared                 build/libpat.so: only the pat_* API of include/pat.h
#                               is exported (PAT_API; everything else is hidden)
#   make install PREFIX=DIR     header, libpat.a, libpat.so (+ links), the pat CLI
#                               and DIR/lib/pkgconfig/pat.pc (DESTDIR honoured)
# The library's objects are compiled again with -fPIC -fvisibility=hidden into
# $(BUILD)/pic/, so $(BUILD)/libpat.a and $(BUILD)/pat stay exactly as they are.
# The soname carries the API version: libpat.so.MAJOR, or libpat.so.0.MINOR
# while the major version is 0 (every 0.x release may change the ABI).

PREFIX ?= /usr/local
DESTDIR ?=
PAT_VERSION_STR := $(shell sed -n 's/^\#define PAT_VERSION "\(.*\)"/\1/p' include/pat.h)
PAT_VERSION_MAJOR := $(word 1,$(subst ., ,$(PAT_VERSION_STR)))
PAT_VERSION_MINOR := $(word 2,$(subst ., ,$(PAT_VERSION_STR)))
PAT_SOVERSION := $(if $(filter 0,$(PAT_VERSION_MAJOR)),0.$(PAT_VERSION_MINOR),$(PAT_VERSION_MAJOR))
SHARED_SONAME := libpat.so.$(PAT_SOVERSION)
SHARED_REAL := libpat.so.$(PAT_VERSION_STR)

# The PIC library is the ordinary one built again by the same rules (so every
# per-file flag of the Makefile and of mk/*.mk applies) in $(BUILD)/pic.
.PHONY: pic-always
$(BUILD)/pic/libpat.a: pic-always
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/pic OPT="$(OPT) -fPIC -fvisibility=hidden" \
	    $(BUILD)/pic/libpat.a

$(BUILD)/$(SHARED_REAL): $(BUILD)/pic/libpat.a mk/libpat.map
	$(CC) $(LDFLAGS) -shared -Wl,-soname,$(SHARED_SONAME) -Wl,--no-undefined \
	    -Wl,--version-script=mk/libpat.map -o $@ \
	    -Wl,--whole-archive $(BUILD)/pic/libpat.a -Wl,--no-whole-archive $(LDLIBS)

$(BUILD)/$(SHARED_SONAME) $(BUILD)/libpat.so: $(BUILD)/$(SHARED_REAL)
	@ln -sf $(SHARED_REAL) $@

# pat.pc for the prefix being installed to (written at install time).
PAT_PC_LINES = 'prefix=$(PREFIX)' 'exec_prefix=$${prefix}' 'libdir=$${prefix}/lib' \
    'includedir=$${prefix}/include' '' 'Name: pat' \
    'Description: Pretrained Actigraphy Transformer (PAT) inference and training' \
    'Version: $(PAT_VERSION_STR)' 'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lpat' \
    'Libs.private: $(strip $(filter-out -fopenmp,$(LDFLAGS)) $(LDLIBS) $(filter -fopenmp,$(LDFLAGS)))'

.PHONY: shared install
shared: $(BUILD)/libpat.so $(BUILD)/$(SHARED_SONAME)

install: all shared
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(BUILD)/pat $(DESTDIR)$(PREFIX)/bin/pat
	install -m 644 include/pat.h $(DESTDIR)$(PREFIX)/include/pat.h
	install -m 644 $(BUILD)/libpat.a $(DESTDIR)$(PREFIX)/lib/libpat.a
	install -m 755 $(BUILD)/$(SHARED_REAL) $(DESTDIR)$(PREFIX)/lib/$(SHARED_REAL)
	ln -sf $(SHARED_REAL) $(DESTDIR)$(PREFIX)/lib/$(SHARED_SONAME)
	ln -sf $(SHARED_SONAME) $(DESTDIR)$(PREFIX)/lib/libpat.so
	printf '%s\n' $(PAT_PC_LINES) > $(DESTDIR)$(PREFIX)/lib/pkgconfig/pat.pc
