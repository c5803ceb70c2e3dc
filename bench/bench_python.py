"""make bench-python: the cost of the Python binding (docs/benchmarks.md).

Embeds WEEKS one-week sequences (default 1,000) in one call through the
binding (pat.Model.predict and .embed on a float32 (WEEKS, 10080) array) and
compares the rate with the library called from C in its own process
(bench/bench_job infer: pat_predict on the same number of weeks, same
architecture, same threads). The two alternate, REPS times each, so a busy
machine slows both alike; the ratio printed is binding / C of the median
rates (1.00 = no overhead; the target is within 5 %, i.e. >= 0.95).

    python3 bench/bench_python.py --build build [--arch S] [--weeks 1000] [--threads 2] [--reps 3]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

T = 10080


def c_rate(build, arch, weeks, threads):
    """pat_predict's rate in bench_job (one warm-up call, then one timed)."""
    out = subprocess.run([os.path.join(build, "bench", "bench_job"), "infer", arch, str(weeks),
                          "1", str(threads)], check=True, capture_output=True, text=True).stdout
    return float(re.search(r"seq_per_s=([0-9.]+)", out).group(1))


def py_rate(fn, x, threads):
    t0 = time.perf_counter()
    fn(x, threads=threads)
    return x.shape[0] / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--arch", default="S")
    ap.add_argument("--weeks", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    import pat

    x = np.random.default_rng(7).standard_normal((args.weeks, T), dtype=np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.safetensors")
        subprocess.run([os.path.join(args.build, "pat"), "init", "--arch", args.arch, "--seed", "1",
                        "-o", path], check=True, capture_output=True)
        model = pat.load(path)
    model.predict(x[:16], threads=args.threads)  # warm-up
    rates = {"c_predict": [], "py_predict": [], "py_embed": []}
    for rep in range(args.reps):
        rates["c_predict"].append(c_rate(args.build, args.arch, args.weeks, args.threads))
        rates["py_predict"].append(py_rate(model.predict, x, args.threads))
        rates["py_embed"].append(py_rate(model.embed, x, args.threads))
        print(f"rep {rep + 1}: " + ", ".join(f"{k} {v[-1]:.2f} weeks/s" for k, v in rates.items()),
              flush=True)
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(f"PAT-{args.arch}, {args.weeks} weeks per call, {args.threads} threads, "
          f"median of {args.reps}:")
    print(f"  C (bench_job, pat_predict)  {med['c_predict']:8.2f} weeks/s")
    print(f"  Python Model.predict        {med['py_predict']:8.2f} weeks/s  "
          f"ratio {med['py_predict'] / med['c_predict']:.3f}")
    print(f"  Python Model.embed          {med['py_embed']:8.2f} weeks/s  "
          f"ratio {med['py_embed'] / med['c_predict']:.3f}")
    model.close()


if __name__ == "__main__":
    main()
