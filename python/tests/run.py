"""Run the pat Python tests: python3 python/tests/run.py [BUILD] [-k NAME].

Every function test_* of the test_*.py files beside this one is a test; it
prints PASS name / FAIL name: why / SKIP name: why (tests/check.h's format,
so tests/run.sh totals them). The exit status is 1 when a test failed.
Environment: PAT_BUILD (default build) the build folder with the pat CLI,
PAT_FIXTURES (default BUILD/fixtures).
"""
import importlib
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    args = [a for a in argv if not a.startswith("-")]
    only = argv[argv.index("-k") + 1] if "-k" in argv else None
    if args:
        os.environ["PAT_BUILD"] = args[0]
    sys.path.insert(0, HERE)
    from common import Skip
    failed = 0
    for name in sorted(f[:-3] for f in os.listdir(HERE)
                       if f.startswith("test_") and f.endswith(".py")):
        module = importlib.import_module(name)
        for fname in sorted(n for n in dir(module) if n.startswith("test_")):
            if only and only not in fname:
                continue
            short = fname[len("test_"):]
            try:
                getattr(module, fname)()
                print(f"PASS {short}", flush=True)
            except Skip as e:
                print(f"SKIP {short}: {e}", flush=True)
            except Exception as e:  # a failing test, whatever it raised
                failed += 1
                where = traceback.extract_tb(e.__traceback__)[-1]
                why = f"{type(e).__name__}: {e}".replace("\n", " ")[:300]
                print(f"FAIL {short}: {why} (line {where.lineno})", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
