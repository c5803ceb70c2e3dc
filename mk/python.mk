# Python bindings (python/, docs/python.md; issue 17).
#   make python         build the extension pat._pat in place against build/libpat.so,
#                       so that PYTHONPATH=python python3 -c 'import pat' works
#   make test-python    the Python tests (python/tests/run.py), parity with the CLI
#   make python-venv-check  pip install ./python in a fresh venv (offline), then import
#   make bench-python   embedding 1,000 weeks through the binding vs the CLI (bench/)
# Needs Debian's python3-dev and python3-numpy (PYTHON, default /usr/bin/python3).

PYTHON ?= $(if $(wildcard /usr/bin/python3),/usr/bin/python3,python3)
PY_EXT_CFLAGS := $(if $(filter 1,$(WERROR)),-Werror)

.PHONY: python test-python python-venv-check bench-python
python: shared
	@echo "PY python/pat/_pat.c"
	@cd python && CFLAGS="$(PY_EXT_CFLAGS)" PAT_BUILD="$(abspath $(BUILD))" \
	    $(PYTHON) setup.py -q build_ext --inplace

test-python: python all fixtures
	PAT_BUILD=$(BUILD) PAT_FIXTURES=$(BUILD)/fixtures $(PYTHON) python/tests/run.py

python-venv-check: shared
	sh python/tests/venv_check.sh $(PYTHON)

bench-python: python all $(BUILD)/bench/bench_job
	$(PYTHON) bench/bench_python.py --build $(BUILD) --threads $(or $(THREADS),2) \
	    $(if $(WEEKS),--weeks $(WEEKS)) $(if $(REPS),--reps $(REPS))
