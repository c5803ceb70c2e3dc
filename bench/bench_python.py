"""make bench-python: the cost of the Python binding (docs/benchmarks.md).

Embeds WEEKS one-week sequences (default 1,000) in one call through the
binding (pat.Model.predict and .embed on a float32 (WEEKS, 10080) array) and
compares the rate with the library called from C in its own process
(bench/bench_job infer: pat_predict on the same number of weeks, same
architecture, same threads). The two alternate, REPS times each, so a busy
machine slows both alike. The ratios printed are binding / C of the median
rates and C / binding of the median CPU seconds per week (1.00 = no
overhead; the target is within 5 %, i.e. >= 0.95). On a shared machine the
CPU-time ratio is the steadier of the two.

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
    """pat_predict in bench_job (one warm-up call, then one timed): weeks per
    second and CPU seconds (all threads) per week."""
    out = subprocess.run([os.path.join(build, "bench", "bench_job"), "infer", arch, str(weeks),
                          "1", str(threads)], check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"seq_per_s=([0-9.]+)", out).group(1))
    cpu = float(re.search(r"cpu_s=([0-9.]+)", out).group(1))
    return rate, cpu / weeks


def py_rate(fn, x, threads):
    t0, c0 = time.perf_counter(), time.process_time()
    fn(x, threads=threads)
    return x.shape[0] / (time.perf_counter() - t0), (time.process_time() - c0) / x.shape[0]


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
    runs = {"c_predict": [], "py_predict": [], "py_embed": []}
    for rep in range(args.reps):
        runs["c_predict"].append(c_rate(args.build, args.arch, args.weeks, args.threads))
        runs["py_predict"].append(py_rate(model.predict, x, args.threads))
        runs["py_embed"].append(py_rate(model.embed, x, args.threads))
        print(f"rep {rep + 1}: " + ", ".join(f"{k} {v[-1][0]:.2f} weeks/s {1e3 * v[-1][1]:.1f} cpu-ms/week"
                                             for k, v in runs.items()), flush=True)
    rate = {k: statistics.median(r for r, _ in v) for k, v in runs.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    print(f"PAT-{args.arch}, {args.weeks} weeks per call, {args.threads} threads, median of "
          f"{args.reps} (ratios: binding / C; wall rate, and CPU time per week C / binding):")
    for key, label in (("c_predict", "C (bench_job, pat_predict)"),
                       ("py_predict", "Python Model.predict"), ("py_embed", "Python Model.embed")):
        line = f"  {label:28s} {rate[key]:8.2f} weeks/s {1e3 * cpu[key]:7.1f} cpu-ms/week"
        if key != "c_predict":
            line += (f"  rate ratio {rate[key] / rate['c_predict']:.3f}"
                     f"  cpu ratio {cpu['c_predict'] / cpu[key]:.3f}")
        print(line)
    model.close()


if __name__ == "__main__":
    main()
