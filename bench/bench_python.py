"""make bench-python: the cost of the Python binding (docs/benchmarks.md).

Embeds WEEKS one-week sequences (default 1,000) in one call through the
binding (pat.Model.predict and .embed on a float32 (WEEKS, 10080) array) and
compares it with the library called from C: Model.predict against
bench/bench_job infer (pat_predict of the static library in its own process:
the CLI's in-process rate; same architecture, weeks, threads), and
Model.embed against pat_embed of the same libpat.so called straight through
ctypes on the same model and array (the binding's own cost). The variants
alternate, REPS times each, so a busy machine slows all alike. The ratios printed are binding / C of the median
rates and C / binding of the median CPU seconds per week (1.00 = no
overhead; the target is within 5 %, i.e. >= 0.95). On a shared machine the
CPU-time ratio is the steadier of the two.

    python3 bench/bench_python.py --build build [--arch S] [--weeks 1000] [--threads 2] [--reps 3]
"""
import argparse
import ctypes
import ctypes.util
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


class Direct:
    """pat_embed of libpat.so called straight from ctypes on the same model
    file and the same array: the binding's own cost is what remains."""

    class Err(ctypes.Structure):
        _fields_ = [("status", ctypes.c_int), ("msg", ctypes.c_char * 512)]

    def __init__(self, build, path):
        self.lib = ctypes.CDLL(os.path.join(build, "libpat.so"))
        self.err = self.Err()
        self.model = ctypes.c_void_p()
        if self.lib.pat_model_load(path.encode(), ctypes.byref(self.model), ctypes.byref(self.err)):
            raise SystemExit(self.err.msg.decode())
        f = self.lib.pat_embed
        f.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t,
                      ctypes.c_void_p, ctypes.POINTER(self.Err)]

    def embed(self, x, threads):
        out = np.empty((x.shape[0], 96), np.float32)
        self.lib.pat_set_threads(ctypes.c_size_t(threads))
        if self.lib.pat_embed(self.model, x.ctypes.data, x.shape[0], x.shape[1], out.ctypes.data,
                              ctypes.byref(self.err)):
            raise SystemExit(self.err.msg.decode())
        return out


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
        direct = Direct(args.build, path)
    model.predict(x[:16], threads=args.threads)  # warm-up
    assert np.array_equal(direct.embed(x[:16], args.threads), model.embed(x[:16]))
    runs = {"c_predict": [], "py_predict": [], "direct_embed": [], "py_embed": []}
    for rep in range(args.reps):
        runs["c_predict"].append(c_rate(args.build, args.arch, args.weeks, args.threads))
        runs["py_predict"].append(py_rate(model.predict, x, args.threads))
        runs["direct_embed"].append(py_rate(direct.embed, x, args.threads))
        runs["py_embed"].append(py_rate(model.embed, x, args.threads))
        print(f"rep {rep + 1}: " + ", ".join(f"{k} {v[-1][0]:.2f} weeks/s {1e3 * v[-1][1]:.1f} cpu-ms/week"
                                             for k, v in runs.items()), flush=True)
    rate = {k: statistics.median(r for r, _ in v) for k, v in runs.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    print(f"PAT-{args.arch}, {args.weeks} weeks per call, {args.threads} threads, median of "
          f"{args.reps} (ratios: binding / C; wall rate, and CPU time per week C / binding):")
    for key, label, ref in (("c_predict", "C bench_job pat_predict", None),
                            ("py_predict", "Model.predict", "c_predict"),
                            ("direct_embed", "libpat.so pat_embed", None),
                            ("py_embed", "Model.embed", "direct_embed")):
        line = f"  {label:24s} {rate[key]:8.2f} weeks/s {1e3 * cpu[key]:7.1f} cpu-ms/week"
        if ref:
            line += (f"  vs {ref}: rate ratio {rate[key] / rate[ref]:.3f}"
                     f", cpu ratio {cpu[ref] / cpu[key]:.3f}")
        print(line)
    model.close()


if __name__ == "__main__":
    main()
