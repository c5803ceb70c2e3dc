# R package (r/, docs/r.md; issue 17). The package links the installed
# libpat.so: its configure script finds it with PAT_PREFIX or pkg-config pat.
#   make r-install   make install into $(BUILD)/stage, R CMD INSTALL r into $(BUILD)/rlib
#   make test-r      the testthat tests against that library (CLI parity on the fixtures)
#   make r-check     R CMD build r, then R CMD check --no-manual on the tarball
# Needs Debian's r-base-dev and r-cran-testthat.

R_STAGE := $(abspath $(BUILD))/stage
R_LIB := $(abspath $(BUILD))/rlib
R_ENV := PAT_PREFIX=$(R_STAGE) PAT_FIXTURES=$(abspath $(BUILD))/fixtures \
         PAT_CLI=$(abspath $(BUILD))/pat

.PHONY: r-stage r-install test-r r-check
r-stage: all shared
	@$(MAKE) --no-print-directory -s install PREFIX=$(R_STAGE) >/dev/null

r-install: r-stage
	@mkdir -p $(R_LIB)
	$(R_ENV) R CMD INSTALL --no-multiarch -l $(R_LIB) r
	@cd r && sh ./cleanup

test-r: r-install fixtures
	cd r/tests && $(R_ENV) R_LIBS=$(R_LIB) Rscript -e \
	    'library(testthat); library(pat); test_dir("testthat", reporter = "summary", stop_on_failure = TRUE)'

r-check: r-stage fixtures
	@rm -rf $(BUILD)/rcheck && mkdir -p $(BUILD)/rcheck
	cd $(BUILD)/rcheck && $(R_ENV) R CMD build $(CURDIR)/r && \
	    $(R_ENV) R CMD check --no-manual pat_*.tar.gz
	@! grep -E '^Status: .*(ERROR|WARNING)' $(BUILD)/rcheck/pat.Rcheck/00check.log
