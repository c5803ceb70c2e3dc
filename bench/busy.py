#!/usr/bin/python3
"""Threads on a busy machine and on a quiet one: whole-process pat commands.

    /usr/bin/python3 bench/busy.py [--build build] [--reps 3] [--out FILE]

(`make bench` runs it after the main table; `make bench-busy` runs it alone.)

Busy: while a busy loop holds CPU 0, each job runs with pat's default thread count
(every online CPU; no -t, no OMP_NUM_THREADS) and with -t 1, alternately, --reps
times each; the ratio is median(default) / median(-t 1). Target: <= 1.25 for every
job (pretrain, finetune, embed and predict at batch 1 and 16).

Quiet: PAT-S pretraining with -t 1 and -t 2 after waiting for an idle machine;
target: two threads >= 1.7x one.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

PY = "/usr/bin/python3"


def cpu_sample():
    f = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    return sum(f), sum(f) - f[1] - f[3] - f[4]


def busy_fraction(interval=0.5):
    t0, b0 = cpu_sample()
    time.sleep(interval)
    t1, b1 = cpu_sample()
    return (b1 - b0) / max(t1 - t0, 1)


def write_inputs(tmp, pat):
    """Day-long training rows (64, labels from the amplitude), week-long inference
    rows (48), an S model with a head and one without."""
    rows, labels = [], []
    for i in range(64):
        a, ph = 0.5 + (i * 0.37) % 1.0, (i * 1.7) % 6.28
        rows.append(",".join(f"{a * ((t * 7 + i * 13) % 90 - 45) / 45 + 0.1 * ((t * 31) % 7 - 3) + ph / 10:.4f}"
                             for t in range(1440)))
        labels.append("1" if a > 1.0 else "0")
    with open(os.path.join(tmp, "days.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    with open(os.path.join(tmp, "labels.csv"), "w") as f:
        f.write("\n".join(labels) + "\n")
    with open(os.path.join(tmp, "weeks.csv"), "w") as f:
        for i in range(48):
            f.write(",".join(f"{((t * 37 + i * 11) % 101) / 10.0:.1f}" for t in range(10080)) + "\n")
    for name, extra in (("s.safetensors", []), ("s-enc.safetensors", ["--no-head"])):
        subprocess.run([pat, "init", "--arch", "S", "-o", os.path.join(tmp, name), "--seed", "3"]
                       + extra, check=True, capture_output=True)


def jobs(tmp, pat):
    j = lambda *a: [pat] + list(a)
    d, y, w = (os.path.join(tmp, n) for n in ("days.csv", "labels.csv", "weeks.csv"))
    out = os.path.join(tmp, "out")
    return {
        "pretrain S days b32": j("pretrain", "--arch", "S", "--train", d, "-o", out + ".st",
                                 "--epochs", "3", "--batch-size", "32", "-q"),
        "finetune S days b16": j("finetune", "-m", os.path.join(tmp, "s-enc.safetensors"),
                                 "-o", out + ".ft", "--train", d, "--train-labels", y,
                                 "--val", d, "--val-labels", y, "--epochs", "3",
                                 "--batch-size", "16", "-q"),
        "embed S week b1": j("embed", "-m", os.path.join(tmp, "s.safetensors"), "-i", w,
                             "-o", out + ".e1", "-b", "1", "-q"),
        "embed S week b16": j("embed", "-m", os.path.join(tmp, "s.safetensors"), "-i", w,
                              "-o", out + ".e16", "-b", "16", "-q"),
        "predict S week b1": j("predict", "-m", os.path.join(tmp, "s.safetensors"), "-i", w,
                               "-o", out + ".p1", "-b", "1", "-q"),
        "predict S week b16": j("predict", "-m", os.path.join(tmp, "s.safetensors"), "-i", w,
                                "-o", out + ".p16", "-b", "16", "-q"),
    }


def timed(cmd, env):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


def start_busy_loop():
    """A process spinning on CPU 0 (a core held by someone else)."""
    return subprocess.Popen([PY, "-c", "import os\nos.sched_setaffinity(0, {0})\nwhile True: pass"])


def run_busy(tmp, pat, reps, log):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMP_")}
    res = {}
    loop = start_busy_loop()
    try:
        time.sleep(0.5)
        for name, cmd in jobs(tmp, pat).items():
            one, dflt = [], []
            for _ in range(reps):
                one.append(timed(cmd + ["-t", "1"], env))
                dflt.append(timed(cmd, env))
            res[name] = (statistics.median(dflt), statistics.median(one))
            log(f"  busy, {name}: default {res[name][0]:.2f} s, -t 1 {res[name][1]:.2f} s: "
                f"{res[name][0] / res[name][1]:.2f}")
    finally:
        loop.kill()
        loop.wait()
    return res


def training_rate(results):
    """Training sequences per second of the epochs (validation and start-up excluded)."""
    with open(results) as f:
        h = json.load(f)["history"]
    return sum(e["seq_per_s"] * e["seconds"] for e in h) / sum(e["seconds"] for e in h)


def run_quiet(tmp, pat, reps, log, max_wait=60):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMP_")}
    cmd = jobs(tmp, pat)["pretrain S days b32"]
    cmd[cmd.index("--epochs") + 1] = "10"
    results = os.path.join(tmp, "quiet.json")
    cmd += ["--results", results]
    t = {1: [], 2: []}
    rate = {1: [], 2: []}
    others = []
    for _ in range(reps):
        for n in (1, 2):
            t0 = time.time()
            while busy_fraction() > 0.1 and time.time() - t0 < max_wait:
                time.sleep(1.0)
            c0, s0 = os.times(), cpu_sample()
            t[n].append(timed(cmd + ["-t", str(n)], env))
            rate[n].append(training_rate(results))
            c1, s1 = os.times(), cpu_sample()
            mine = c1.children_user + c1.children_system - c0.children_user - c0.children_system
            hz = os.sysconf("SC_CLK_TCK")
            others.append(max(0.0, ((s1[1] - s0[1]) / hz - mine) / max((s1[0] - s0[0]) / hz, 1e-9)))
    one, two = statistics.median(t[1]), statistics.median(t[2])
    r1, r2 = statistics.median(rate[1]), statistics.median(rate[2])
    log(f"  quiet, pretrain S: -t 1 {one:.2f} s, -t 2 {two:.2f} s: {one / two:.2f}x; "
        f"training {r1:.1f} and {r2:.1f} seq/s: {r2 / r1:.2f}x")
    return one, two, r1, r2, max(others)


def report(busy, quiet):
    lines = ["Busy machine (a busy loop on CPU 0; default threads = "
             f"{os.cpu_count()}, median of runs):", "",
             "| job (whole process) | default threads s | -t 1 s | ratio | target <= 1.25 |",
             "|---|---:|---:|---:|---|"]
    targets = []
    for name, (d, o) in busy.items():
        r = d / o
        lines.append(f"| {name} | {d:.2f} | {o:.2f} | {r:.2f} | {'met' if r <= 1.25 else 'NOT MET'} |")
        targets.append((f"busy machine, {name}: default / -t 1 <= 1.25", f"{r:.2f}", r <= 1.25))
    one, two, r1, r2, others = quiet
    s = r2 / r1
    lines += ["", f"- quiet machine, PAT-S pretraining (days, batch 32, 10 epochs): training "
              f"{r1:.1f} seq/s with -t 1, {r2:.1f} with -t 2: {s:.2f}x (target >= 1.7x); whole "
              f"process {one:.2f} s and {two:.2f} s: {one / two:.2f}x (start-up and reading are "
              f"serial); other processes used up to {others * 100:.0f}% of the CPUs meanwhile"]
    targets.append(("quiet machine, pretraining 2 threads >= 1.7x 1 thread (training seq/s)",
                    f"{s:.2f}x", s >= 1.7))
    return lines, targets


def run_all(build, reps, log):
    """Both checks; returns (report lines, targets as (what, value, met))."""
    pat = os.path.join(build, "pat")
    tmp = os.path.join(build, "bench", "busy")
    os.makedirs(tmp, exist_ok=True)
    write_inputs(tmp, pat)
    busy = run_busy(tmp, pat, reps, log)
    quiet = run_quiet(tmp, pat, reps, log)
    return report(busy, quiet)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    log = lambda m: print(m, file=sys.stderr, flush=True)
    lines, targets = run_all(args.build, args.reps, log)
    lines += ["", "Targets:", ""] + [f"- [{'met' if m else 'NOT MET'}] {w}: {v}" for w, v, m in targets]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.out or os.path.join(args.build, "bench", "busy", "report.md"), "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
