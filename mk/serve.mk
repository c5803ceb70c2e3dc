# pat serve (src/serve/, docs/serve.md): an HTTP server on libmicrohttpd,
# confined to src/serve/http.c. Without it (or with NO_MHD=1) pat builds
# and `pat serve` says how to get it.
#   make bench-serve   load test on loopback (bench/serve_load.py)
ifneq ($(NO_MHD),1)
  ifeq ($(shell pkg-config --exists libmicrohttpd && echo yes),yes)
    MHD_CFLAGS := $(shell pkg-config --cflags libmicrohttpd) -DPAT_HAVE_MHD
    LDLIBS := $(shell pkg-config --libs libmicrohttpd) $(LDLIBS)
    $(info ✓ libmicrohttpd (pat serve))
  else
    $(info ✗ libmicrohttpd not found: no pat serve (apt-get install libmicrohttpd-dev))
  endif
endif
$(BUILD)/src/serve/http.o: CFLAGS += $(MHD_CFLAGS)

# The page at / is src/serve/page.html, embedded as a C array; the generated
# file is checked in (building needs no generator) and remade when the page
# changes (tests/test_serve.sh checks that they agree).
src/serve/page_html.c: src/serve/page.html tools/embed_file.sh
	sh tools/embed_file.sh $< serve_page_html > $@.tmp && mv $@.tmp $@

.PHONY: bench-serve
bench-serve: $(BUILD)/pat
	/usr/bin/python3 bench/serve_load.py --build $(BUILD) $(if $(SERVE_ARGS),--serve-args "$(SERVE_ARGS)")
