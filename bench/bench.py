#!/usr/bin/python3
"""Benchmarks of pat against the PyTorch reference and the machine's GEMM rate.

    /usr/bin/python3 bench/bench.py [--build build] [--threads 2] [--quick] [--out FILE]
                                    [--bf16-only]

(`make bench` and `make bench QUICK=1` run it.) Every job runs in its own process, so
that its peak resident memory (getrusage maxrss) is its own: bench/bench_job (pat, C)
or bench/ref_job.py (tools/reference/pat_reference.py in float32 under Debian's
python3-torch, torch.set_num_threads to the same thread count). The pat job and the
reference job of each row run back to back, and an OpenBLAS sgemm 2048^3 runs between
the architectures, so every ratio compares numbers taken minutes apart on the same
machine; the sgemm rate is the median of its runs.

Effective GFLOP/s counts the model's matrix-product FLOPs per sequence (2·m·n·k for
every product: projections, q·k, a·v, feed-forward, patch embedding) times sequences
per second; a training step counts three forward passes (forward, and backward at
twice the forward). The table, the machine description and every target (met or not)
go to standard output and to --out (default BUILD/bench/report.md).
"""

import argparse
import os

import busy
import platform
import statistics
import subprocess
import sys
import time

ARCHS = {  # P, H, L, embedding
    "S": (18, 6, 1, "dense"), "M": (18, 12, 2, "dense"), "L": (9, 12, 4, "dense"),
    "conv-S": (18, 6, 1, "conv"), "conv-M": (18, 12, 2, "conv"), "conv-L": (9, 12, 4, "conv"),
}
T, E, K, F = 10080, 96, 96, 256
PY = "/usr/bin/python3"  # Debian's interpreter: the one with python3-torch
REF = [PY, "bench/ref_job.py"]


def forward_gflop(arch):
    """Matrix-product GFLOP of one forward pass over one week (T = 10080 minutes)."""
    P, H, L, emb = ARCHS[arch]
    N, HK = T // P, H * K
    embed = 2 * N * P * E if emb == "dense" else 2 * 3 * T * E
    block = 3 * 2 * N * E * HK + 2 * 2 * N * N * HK + 2 * N * HK * E + 2 * 2 * N * E * F
    return (embed + L * block) * 1e-9


class Plan:
    """Which jobs run, with how many repetitions (sized for a 2-core machine)."""

    def __init__(self, quick):
        self.archs = ["S", "M"] if quick else list(ARCHS)
        self.batches = [1, 16] if quick else [1, 16, 64]
        self.quick = quick

    def infer_reps(self, arch, batch, ref):
        """Timed calls after one warm-up call."""
        size = arch[-1]
        if ref:
            return {1: {"S": 15, "M": 8, "L": 2}[size]}.get(batch, 1)
        per = {"S": 100, "M": 30, "L": 8}[size]   # at least ~0.3 s timed: the VM is noisy
        return max(1, per // batch) if batch > 1 else per

    def ref_skipped(self, arch, batch):
        """The reference holds (B, H, N, N) attention: PAT-L at batch 64 needs ~17 GB."""
        return arch.endswith("L") and batch >= 64

    def train_batch(self, arch):
        """Batch 16, but 4 for PAT-L, whose reference step at 16 needs ~9 GB and ~45 s."""
        return 4 if arch.endswith("L") else 16

    def train_steps(self, arch, ref):
        return 1 if ref or arch.endswith("L") else 2


def cpu_sample():
    """(total, busy) jiffies of the whole machine so far, from /proc/stat. Niced work
    (fuzzers, batch jobs) does not count as busy: at nice 10 or more it gets a tenth
    of a core or less beside a job at normal priority."""
    f = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    return sum(f), sum(f) - f[1] - f[3] - f[4]     # nice, idle and iowait


def busy_fraction(interval=0.5):
    """Share of the machine's CPU time spent by anything over `interval` seconds."""
    t0, b0 = cpu_sample()
    time.sleep(interval)
    t1, b1 = cpu_sample()
    return (b1 - b0) / max(t1 - t0, 1)


def run_job(cmd, env):
    """Run one job; returns its key=value line as a dict (empty on failure)."""
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith("job=")), None)
    if res.returncode != 0 or line is None:
        print(f"  ! {' '.join(cmd)} failed: {res.stderr.strip()[-300:]}", file=sys.stderr)
        return {}
    return dict(kv.split("=", 1) for kv in line.split())


class Bench:
    def __init__(self, args):
        self.args = args
        self.plan = Plan(args.quick)
        self.job = os.path.join(args.build, "bench", "bench_job")
        # OpenBLAS threads only for the sgemm job: idle BLAS threads would spin
        # beside pat's and torch's own. torch uses libgomp; passive waiting keeps
        # a thread that waits at a barrier from spinning on a core that its
        # preempted partner needs when other processes share the machine. pat's
        # own pool never spins (src/nn/pool.c) and ignores the variable.
        self.env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS="1",
                        OMP_WAIT_POLICY="passive")
        self.busy = []      # share of the CPUs other processes used during each job
        self.wait_left = args.wait_budget
        self.sgemm = []
        self.rows = []      # (label, kind, arch, batch, pat dict, ref dict or None, note)
        self.extra = {}

    def log(self, msg):
        print(msg, file=sys.stderr, flush=True)

    def quiet(self):
        """Wait (up to --max-wait s, and --wait-budget s over the whole run) until other
        processes leave the machine idle, so that pat and the reference are both
        measured on a quiet machine."""
        t0 = time.time()
        limit = min(self.args.max_wait, self.wait_left)
        while busy_fraction() > 0.1 and time.time() - t0 < limit:
            time.sleep(1.0)
        self.wait_left -= time.time() - t0

    def measure(self, cmd, env=None):
        """Run one job on a quiet machine; r["others"] is the share of the machine that
        other processes used while it ran (its busy time minus the job's CPU time)."""
        self.quiet()
        t0, b0 = cpu_sample()
        c0 = os.times()
        r = run_job(cmd, env or self.env)
        c1 = os.times()
        t1, b1 = cpu_sample()
        mine = (c1.children_user + c1.children_system - c0.children_user - c0.children_system)
        hz = os.sysconf("SC_CLK_TCK")
        others = max(0.0, ((b1 - b0) / hz - mine) / max((t1 - t0) / hz, 1e-9))
        self.busy.append(others)
        if r:
            r["others"] = others
        return r

    def pat(self, kind, arch, batch, reps, threads=None):
        t = str(threads or self.args.threads)
        return self.measure([self.job, kind, arch, str(batch), str(reps), t])

    def ref(self, kind, arch, batch, reps):
        return self.measure(REF + [kind, arch, str(batch), str(reps), str(self.args.threads)])

    def run_sgemm(self):
        r = self.measure([self.job, "sgemm", "2048", "5", str(self.args.threads)],
                         dict(self.env, OPENBLAS_NUM_THREADS=str(self.args.threads)))
        if r.get("gflop_s"):
            self.sgemm.append(float(r["gflop_s"]))
            self.log(f"  sgemm 2048^3: {float(r['gflop_s']):.1f} GFLOP/s")

    def run_arch(self, arch):
        for batch in self.plan.batches:
            p = self.pat("infer", arch, batch, self.plan.infer_reps(arch, batch, False))
            r, note = None, ""
            if self.plan.ref_skipped(arch, batch):
                note = "reference not run (needs ~17 GB)"
            else:
                r = self.ref("infer", arch, batch, self.plan.infer_reps(arch, batch, True))
            self.rows.append((f"{arch} infer b{batch}", "infer", arch, batch, p, r, note))
            self.log(f"  {arch} infer b{batch}: pat {p.get('seq_per_s', '?')} seq/s, "
                     f"reference {r.get('seq_per_s', '?') if r else '-'}")
        b = self.plan.train_batch(arch)
        p = self.pat("train", arch, b, self.plan.train_steps(arch, False))
        r = self.ref("train", arch, b, self.plan.train_steps(arch, True))
        self.rows.append((f"{arch} train b{b}", "train", arch, b, p, r, ""))
        self.log(f"  {arch} train b{b}: pat {p.get('seq_per_s', '?')} seq/s, "
                 f"reference {r.get('seq_per_s', '?')}")

    def run_threads(self):
        """PAT-M inference and training at batch 16 with 1 and with 2 threads."""
        for kind, reps in (("infer", 1), ("train", 1)):
            one = self.pat(kind, "M", 16, reps, threads=1)
            two = self.pat(kind, "M", 16, reps, threads=2)
            self.extra[f"threads_{kind}"] = (one, two)
            self.log(f"  M {kind} b16: 1 thread {one.get('seq_per_s')}, 2 threads "
                     f"{two.get('seq_per_s')}")

    def run_pretrain(self):
        """Masked-autoencoder pretraining, one-week rows, batch 16, PAT-S and -M: pat and the
        reference's MAE with 1 thread and with --threads."""
        rows = []
        for arch in ("S",) if self.plan.quick else ("S", "M"):
            for t in sorted({1, self.args.threads}):
                p = self.measure([self.job, "pretrain", arch, "16", "2", str(t)])
                r = self.measure(REF + ["pretrain", arch, "16", "1", str(t)])
                rows.append((arch, t, p, r))
                self.log(f"  {arch} pretrain b16, {t} thread(s): pat {p.get('seq_per_s', '?')} "
                         f"seq/s, reference {r.get('seq_per_s', '?')}")
        self.extra["pretrain"] = rows

    def run_cli(self):
        """One-week PAT-S prediction, whole process, pat CLI versus the reference script."""
        tmp = os.path.join(self.args.build, "bench")
        model, week = os.path.join(tmp, "pat-s.safetensors"), os.path.join(tmp, "week.csv")
        pat = os.path.join(self.args.build, "pat")
        subprocess.run([pat, "init", "--arch", "S", "-o", model, "--seed", "3"], check=True,
                       capture_output=True)
        with open(week, "w") as f:
            f.write(",".join(f"{(i * 37 % 101) / 10.0:.1f}" for i in range(T)) + "\n")
        cmds = {"pat": [pat, "predict", "-m", model, "-i", week, "-o",
                        os.path.join(tmp, "p_pat.csv"), "-q", "-t", str(self.args.threads)],
                "ref": [PY, "tools/reference/pat_reference.py", "predict", "--weights",
                                  model, "-i", week, "-o", os.path.join(tmp, "p_ref.csv"),
                                  "--dtype", "float32"]}
        times = {"pat": [], "ref": []}
        for _ in range(3):
            for who, cmd in cmds.items():
                self.quiet()
                t0 = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True, env=self.env)
                times[who].append(time.perf_counter() - t0)
        self.extra["cli"] = {w: statistics.median(v) for w, v in times.items()}
        with open(os.path.join(tmp, "p_pat.csv")) as a, open(os.path.join(tmp, "p_ref.csv")) as b:
            self.extra["cli_diff"] = abs(float(a.read()) - float(b.read()))
        self.log(f"  one-week PAT-S predict: pat {self.extra['cli']['pat']:.3f} s, "
                 f"reference {self.extra['cli']['ref']:.3f} s")
        self.run_csv(tmp, model, pat)

    def run_csv(self, tmp, model, pat):
        """CSV cost against PAT-S batch-16 inference: the CSV side alone (bench_job csv:
        read 16 weeks, write 96 values a row), the same batch's inference in process,
        and pat embed on the file start to end."""
        weeks = os.path.join(tmp, "weeks16.csv")
        with open(weeks, "w") as f:
            for i in range(16):
                f.write(",".join(f"{((t * 37 + i * 11) % 1001) / 10.0:.1f}" for t in range(T)) + "\n")
        csv = self.measure([self.job, "csv", weeks, "5"])
        inf = self.pat("infer", "S", 16, 2)
        self.quiet()
        whole = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run([pat, "embed", "-m", model, "-i", weeks, "-o",
                            os.path.join(tmp, "e16.csv"), "-q", "-t", str(self.args.threads)],
                           check=True, capture_output=True, env=self.env)
            whole.append(time.perf_counter() - t0)
        if csv and inf:
            self.extra["csv"] = {"csv_s": float(csv["seconds"]), "strtod_s": float(csv["strtod_s"]),
                                 "fast_s": float(csv["fast_s"]),
                                 "infer_s": 16 / float(inf["seq_per_s"]),
                                 "whole_s": statistics.median(whole)}
            self.log(f"  CSV of 16 weeks: {float(csv['seconds']) * 1e3:.1f} ms; inference "
                     f"{16e3 / float(inf['seq_per_s']):.0f} ms; pat embed whole "
                     f"{statistics.median(whole) * 1e3:.0f} ms")

    def run_bf16(self):
        """pat_predict_ex at bf16 against float32, PAT-M and PAT-L, batch 1 and 16: the
        two precisions alternate, twice each, and each keeps its best run."""
        rows = []
        for arch in ("M", "L"):
            for batch in (1, 16):
                # at least 3 timed calls: the second call of a process still
                # page-faults its workspace, which weighs more on the faster bf16
                reps = max(3, self.plan.infer_reps(arch, batch, False))
                best = {}
                for _ in range(2):
                    for prec in ("fp32", "bf16"):
                        r = self.measure([self.job, "infer", arch, str(batch), str(reps),
                                          str(self.args.threads), prec])
                        if r and float(r.get("seq_per_s", 0)) > float(best.get(prec, {}).get(
                                "seq_per_s", 0)):
                            best[prec] = r
                rows.append((arch, batch, best.get("fp32", {}), best.get("bf16", {})))
                self.log(f"  {arch} infer b{batch}: fp32 {best.get('fp32', {}).get('seq_per_s')}"
                         f" seq/s, bf16 {best.get('bf16', {}).get('seq_per_s')} seq/s")
        self.extra["bf16"] = rows

    def run_shapes(self):
        res = subprocess.run([self.job, "shapes", "3", "1"], capture_output=True, text=True,
                             env=dict(self.env, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1"))
        self.extra["shapes"] = [dict(kv.split("=", 1) for kv in ln.split())
                                for ln in res.stdout.splitlines() if ln.startswith("job=shape")]

    def run_tile(self):
        """The register tile pat_matmul uses here (PAT_TILE, the per-CPU cache, or measured)."""
        res = subprocess.run([self.job, "tile"], capture_output=True, text=True, env=self.env)
        line = next((ln for ln in res.stdout.splitlines() if ln.startswith("job=tile")), "")
        self.extra["tile"] = dict(kv.split("=", 1) for kv in line.split())
        t = self.extra["tile"]
        self.log(f"  tile: {t.get('isa', '?')} {t.get('tile', '?')} "
                 f"({t.get('how', '?').replace('_', ' ')}, {t.get('choose_ms', '?')} ms)")

    def run(self):
        t0 = time.time()
        if self.args.bf16_only:
            self.run_bf16()
            self.extra["minutes"] = (time.time() - t0) / 60
            return
        self.run_tile()
        self.run_sgemm()
        for arch in self.plan.archs:
            self.log(f"{arch}:")
            self.run_arch(arch)
            self.run_sgemm()
        self.run_threads()
        self.run_pretrain()
        self.run_sgemm()
        self.run_cli()
        self.run_bf16()
        if not self.args.quick:
            self.run_shapes()
        self.extra["busy"] = busy.run_all(self.args.build, 3, self.log)
        self.extra["minutes"] = (time.time() - t0) / 60


# ---- report -------------------------------------------------------------------------

def cpu_name():
    return next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                 if ln.startswith("model name")), platform.processor())


def machine():
    cpu = cpu_name()
    flags = next((ln for ln in open("/proc/cpuinfo") if ln.startswith("flags")), "")
    isa = "avx512f" if " avx512f" in flags else "avx2" if " avx2" in flags else "sse2"
    mem = next(int(ln.split()[1]) for ln in open("/proc/meminfo") if ln.startswith("MemTotal"))
    cc = subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    torch = subprocess.run([PY, "-c", "import torch; print(torch.__version__)"],
                           capture_output=True, text=True).stdout.strip()
    load = open("/proc/loadavg").read().split()[:3]
    return (f"{cpu}, {os.cpu_count()} cores (widest vectors: {isa}), "
            f"{mem / 2**20:.0f} GiB; {cc}; torch {torch}; load average at the end "
            f"{' '.join(load)}")


def fnum(x, digits=1):
    return "-" if x is None else f"{x:.{digits}f}"


class Report:
    def __init__(self, bench):
        self.b = bench
        self.sgemm = statistics.median(bench.sgemm) if bench.sgemm else None
        self.lines, self.targets = [], []

    def out(self, s=""):
        self.lines.append(s)

    def target(self, what, value, goal, met):
        self.targets.append((what, value, goal, met))

    def table(self):
        self.out("| job | pat seq/s | reference seq/s | ratio | pat GFLOP/s | of sgemm "
                 "| pat peak RSS MB | reference peak RSS MB |")
        self.out("|---|---:|---:|---:|---:|---:|---:|---:|")
        for label, kind, arch, batch, p, r, note in self.b.rows:
            ps = float(p["seq_per_s"]) if p.get("seq_per_s") else None
            rs = float(r["seq_per_s"]) if r and r.get("seq_per_s") else None
            g = ps * forward_gflop(arch) * (3 if kind == "train" else 1) if ps else None
            frac = g / self.sgemm if g and self.sgemm else None
            prss = int(p["maxrss_kb"]) / 1024 if p.get("maxrss_kb") else None
            rrss = int(r["maxrss_kb"]) / 1024 if r and r.get("maxrss_kb") else None
            ratio = ps / rs if ps and rs else None
            busy = max(p.get("others", 0), r.get("others", 0) if r else 0) > 0.1
            label = label + (" *" if busy else "")
            self.out(f"| {label} | {fnum(ps)} | {fnum(rs, 2)} | {fnum(ratio)}x | {fnum(g)} | "
                     f"{fnum(frac * 100 if frac else None, 0)}% | {fnum(prss, 0)} | "
                     f"{fnum(rrss, 0)} |" + (f" {note}" if note else ""))
            self.check_row(kind, arch, batch, ps, rs, frac, prss, rrss)

    def check_row(self, kind, arch, batch, ps, rs, frac, prss, rrss):
        if arch not in ("S", "M", "L"):
            return
        ratio = ps / rs if ps and rs else None
        if kind == "infer" and batch in (1, 16):
            self.target(f"inference PAT-{arch} batch {batch} >= 4x reference",
                        f"{fnum(ratio)}x", "4x", ratio is not None and ratio >= 4)
        if kind == "infer" and batch == 16 and arch in ("M", "L"):
            self.target(f"PAT-{arch} batch 16 effective GFLOP/s >= 60% of sgemm",
                        f"{fnum(frac * 100 if frac else None, 0)}%", "60%",
                        frac is not None and frac >= 0.6)
        if kind == "infer" and batch == 16 and arch == "L":
            q = rrss / prss if prss and rrss else None
            self.target("PAT-L batch 16 inference peak RSS <= 1/10 of reference",
                        f"1/{fnum(q)}", "1/10", q is not None and q >= 10)
        if kind == "train":
            self.target(f"training step PAT-{arch} >= 3x reference", f"{fnum(ratio)}x", "3x",
                        ratio is not None and ratio >= 3)

    def threads_and_cli(self):
        self.out()
        for kind in ("infer", "train"):
            one, two = self.b.extra.get(f"threads_{kind}", ({}, {}))
            s = float(two["seq_per_s"]) / float(one["seq_per_s"]) if one and two else None
            star = " *" if max(one.get("others", 0), two.get("others", 0)) > 0.1 else ""
            self.out(f"- PAT-M {kind} batch 16{star}: 1 thread {one.get('seq_per_s', '-')} seq/s, "
                     f"2 threads {two.get('seq_per_s', '-')} seq/s: {fnum(s, 2)}x")
            self.target(f"two threads >= 1.7x one thread (PAT-M {kind} b16)", f"{fnum(s, 2)}x",
                        "1.7x", s is not None and s >= 1.7)
        pre = self.b.extra.get("pretrain")
        if pre:
            self.out()
            self.out("Masked-autoencoder pretraining (one-week rows, mask 0.9, batch 16, "
                     "dropout 0; reference: MAEReference + torch.optim.Adam):")
            self.out()
            self.out("| arch | threads | pat seq/s | reference seq/s | ratio | pat peak RSS MB "
                     "| reference peak RSS MB |")
            self.out("|---|---:|---:|---:|---:|---:|---:|")
            rate = {}
            for arch, t, p, r in pre:
                ps = float(p["seq_per_s"]) if p.get("seq_per_s") else None
                rs = float(r["seq_per_s"]) if r.get("seq_per_s") else None
                rate[(arch, t)] = ps
                ratio = ps / rs if ps and rs else None
                prss = int(p["maxrss_kb"]) / 1024 if p.get("maxrss_kb") else None
                rrss = int(r["maxrss_kb"]) / 1024 if r.get("maxrss_kb") else None
                star = " *" if max(p.get("others", 0), r.get("others", 0)) > 0.1 else ""
                self.out(f"| {arch}{star} | {t} | {fnum(ps, 2)} | {fnum(rs, 2)} | {fnum(ratio)}x | "
                         f"{fnum(prss, 0)} | {fnum(rrss, 0)} |")
                if t == self.b.args.threads:
                    self.target(f"pretraining PAT-{arch} >= 3x reference ({t} threads)",
                                f"{fnum(ratio)}x", "3x", ratio is not None and ratio >= 3)
            for arch in dict.fromkeys(a for a, _, _, _ in pre):
                one, two = rate.get((arch, 1)), rate.get((arch, self.b.args.threads))
                if one and two and self.b.args.threads > 1:
                    self.out(f"- PAT-{arch} pretraining, {self.b.args.threads} threads / 1: "
                             f"{two / one:.2f}x")
            self.out()
        cli = self.b.extra.get("cli")
        if cli:
            s = cli["ref"] / cli["pat"]
            self.out(f"- one-week PAT-S prediction, whole process (median of 3): pat "
                     f"{cli['pat']:.3f} s, reference script {cli['ref']:.3f} s: {s:.0f}x "
                     f"(probabilities differ by {self.b.extra['cli_diff']:.1e})")
            self.target("one-week PAT-S prediction, whole process, >= 20x reference script",
                        f"{s:.0f}x", "20x", s >= 20)
        c = self.b.extra.get("csv")
        if c:
            share = c["csv_s"] / c["infer_s"]
            self.out(f"- CSV side of PAT-S batch-16 embedding (16 one-week rows read, 96 values a "
                     f"row written): {c['csv_s'] * 1e3:.1f} ms = {share * 100:.1f}% of the batch's "
                     f"in-process inference ({c['infer_s'] * 1e3:.0f} ms); decimal fields "
                     f"through strtod + cast {c['strtod_s'] * 1e3:.1f} ms, pat_parse_float "
                     f"{c['fast_s'] * 1e3:.1f} ms ({c['strtod_s'] / c['fast_s']:.0f}x). "
                     f"Whole process (pat embed on the file, load to output written) / "
                     f"in-process inference: {c['whole_s'] / c['infer_s']:.2f}")
            self.target("CSV parse + write <= 10% of PAT-S batch-16 inference",
                        f"{share * 100:.1f}%", "10%", share <= 0.10)

    def bf16(self):
        rows = self.b.extra.get("bf16")
        if not rows:
            return
        path = next((r[3].get("path") for r in rows if r[3].get("path")), "?")
        self.out()
        self.out(f"bf16 against float32 (pat_predict_ex, one-week rows, best of 2 alternating "
                 f"runs each; bf16 path: {path}; CPU: {cpu_name()}):")
        self.out()
        self.out("| arch | batch | fp32 seq/s | bf16 seq/s | bf16 / fp32 |")
        self.out("|---|---:|---:|---:|---:|")
        for arch, batch, f, h in rows:
            fs, hs = float(f.get("seq_per_s", 0)), float(h.get("seq_per_s", 0))
            ratio = hs / fs if fs > 0 else 0.0
            self.out(f"| PAT-{arch} | {batch} | {fnum(fs, 2)} | {fnum(hs, 2)} | {ratio:.2f}x |")
            if batch == 16:
                self.target(f"PAT-{arch} batch 16 inference, bf16 >= 1.7x float32",
                            f"{ratio:.2f}x", "1.7x", ratio >= 1.7)

    def shapes(self):
        rows = self.b.extra.get("shapes")
        if not rows:
            return
        paths = list(dict.fromkeys(r["path"] for r in rows))
        self.out()
        self.out("One thread, GFLOP/s of one product (best of 3); path:tile for a path with "
                 "several register tiles (all give the same bits); the last column is pat's "
                 "fastest tile of the widest path and its rate over OpenBLAS:")
        self.out()
        self.out("| product | m x n x k | " + " | ".join(paths) + " | fastest tile |")
        self.out("|---|---|" + "---:|" * len(paths) + "---|")
        widest = [p for p in paths if p.split(":")[0] == paths[-1].split(":")[0]]
        for name in dict.fromkeys(r["name"] for r in rows):
            rs = {r["path"]: r for r in rows if r["name"] == name}
            r0 = next(iter(rs.values()))
            best = max(widest, key=lambda p: float(rs[p]["gflop_s"]) if p in rs else 0.0)
            blas = float(rs["openblas"]["gflop_s"]) if "openblas" in rs else None
            ratio = f" ({float(rs[best]['gflop_s']) / blas:.2f}x)" if blas else ""
            self.out(f"| {name} | {r0['m']} x {r0['n']} x {r0['k']} | " +
                     " | ".join(rs[p]["gflop_s"] if p in rs else "-" for p in paths) +
                     f" | {best.split(':')[-1]}{ratio} |")

    def render(self):
        b = self.b
        if b.args.bf16_only:
            self.out(f"Machine: {machine()}. Threads: {b.args.threads}.")
            self.bf16()
            self.out()
            for what, value, goal, met in self.targets:
                self.out(f"- [{'met' if met else 'NOT MET'}] {what}: {value} (target {goal})")
            return "\n".join(self.lines) + "\n"
        self.out(f"Machine: {machine()}.")
        self.out(f"Threads: {b.args.threads} (pat's pool, torch.set_num_threads, OpenBLAS), "
                 f"OMP_WAIT_POLICY=passive for torch. "
                 f"OpenBLAS sgemm 2048^3: median {fnum(self.sgemm)} GFLOP/s over "
                 f"{len(b.sgemm)} runs ({', '.join(f'{g:.0f}' for g in b.sgemm)}). "
                 f"Run time {b.extra.get('minutes', 0):.1f} min"
                 f"{' (quick mode)' if b.args.quick else ''}. Each job waited (at most "
                 f"{b.args.max_wait:.0f} s, {b.args.wait_budget:.0f} s in all) for an idle "
                 f"machine; other processes used under "
                 f"10% of the CPUs during {sum(x <= 0.1 for x in b.busy)} of {len(b.busy)} jobs; "
                 f"rows marked * (pat's or the reference's job) ran beside more.")
        t = b.extra.get("tile", {})
        if t:
            self.out(f"Register tile of pat_matmul on the {t.get('isa', '?')} path: "
                     f"{t.get('tile', '?')} ({t.get('how', '?').replace('_', ' ')}; choosing took "
                     f"{t.get('choose_ms', '?')} ms in that process). PAT_TILE=<name> forces one, "
                     f"PAT_TILE=measure measures again.")
        self.out()
        self.table()
        self.threads_and_cli()
        self.bf16()
        self.shapes()
        lines, targets = b.extra.get("busy", ([], []))
        if lines:
            self.out()
            for ln in lines:
                self.out(ln)
            for what, value, met in targets:
                goal = "1.7x" if "quiet" in what else "1.25"
                self.target(what.split(":")[0], value, goal, met)
        self.out()
        self.out("Targets:")
        self.out()
        for what, value, goal, met in self.targets:
            self.out(f"- [{'met' if met else 'NOT MET'}] {what}: {value} (target {goal})")
        return "\n".join(self.lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="S and M, batch 1 and 16 only")
    ap.add_argument("--out", default=None)
    ap.add_argument("--bf16-only", action="store_true",
                    help="only bf16 against float32 (PAT-M and -L, batch 1 and 16)")
    ap.add_argument("--max-wait", type=float, default=60,
                    help="seconds to wait for an idle machine before each job (default 60)")
    ap.add_argument("--wait-budget", type=float, default=300,
                    help="seconds of such waiting over the whole run (default 300)")
    args = ap.parse_args()
    bench = Bench(args)
    bench.run()
    text = Report(bench).render()
    print(text)
    out = args.out or os.path.join(args.build, "bench", "report.md")
    with open(out, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
