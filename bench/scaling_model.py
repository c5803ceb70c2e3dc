#!/usr/bin/env python3
"""scaling_model.py - bytes per step and a step-time model for data-parallel
pat over N nodes (docs/scaling.md).

    python3 bench/scaling_model.py --seq-s 0.43 --val-seq-s 0.05

--seq-s: measured seconds of one PAT-M pretraining sequence (forward and
backward, one core, the optimizer step included); --val-seq-s: one
validation sequence (forward only). Prints (1) the bytes each rank sends per
step for S, M, L under pat's fixed-order sum (dist/tree_sum.h) next to a ring
allreduce, (2) the modelled epoch time and efficiency of PAT-M pretraining
over 100,000 weeks for N nodes on 10/25/100 Gb/s links, and (3) the N at
which efficiency first falls below 80 %.

The subtree counts follow src/dist/tree_sum.c: a rank holding sequences
[lo, hi) of a batch ends with the aligned dyadic blocks its leaves merge
into. Communication per step (N ranks, P floats, S = 4 P bytes):
  pat:  all-to-all of n_r slices of S/N to every rank, then an allgather of
        the finished slices: per rank (n_r + 1) (N - 1)/N S bytes each way;
        time = 2 (N - 1) alpha + (N - 1)/N S (max_r n_r + 1) / beta
  ring: 2 (N - 1) alpha + 2 (N - 1)/N S / beta   (Rabenseifner / Thakur et al.)
"""
import argparse
import math

PARAMS = {  # (MAE for pretraining, classifier for fine-tuning): pat init / pat pretrain
    "S": (549458, 287265),
    "M": (1491090, 1005985),
    "L": (2480969, 1996737),
}
LINKS = {"10 Gb/s Ethernet": (10e9, 20e-6), "25 Gb/s Ethernet": (25e9, 10e-6),
         "100 Gb/s InfiniBand": (100e9, 2e-6)}


def siblings(ls, lz, s, z):
    return lz == z and ls + z == s and ls % (2 * z) == 0


def subtrees(lo, hi):
    st = []
    for i in range(lo, hi):
        s, z = i, 1
        while st and siblings(st[-1][0], st[-1][1], s, z):
            s = st.pop()[0]
            z *= 2
        st.append((s, z))
    return len(st)


def share(n, N, r):
    return n * r // N, n * (r + 1) // N


def counts(B, N):
    return [subtrees(*share(B, N, r)) for r in range(N)]


def bytes_sent(P, B, N):
    """Max over ranks of the bytes one rank sends in one step."""
    if N == 1:
        return 0
    S = 4 * P
    return max((n + 1) * (N - 1) / N * S for n in counts(B, N))


def comm_time(P, B, N, beta_bits, alpha, ring=False):
    if N == 1:
        return 0.0
    beta = beta_bits / 8
    S = 4 * P
    if ring:
        return 2 * (N - 1) * alpha + 2 * (N - 1) / N * S / beta
    return 2 * (N - 1) * alpha + (N - 1) / N * S * (max(counts(B, N)) + 1) / beta


def epoch_time(N, a, link, ring=False):
    rows = 100_000
    n_val = rows - math.floor(rows * 0.9)          # Keras validation_split 0.1
    n_train = rows - n_val
    B, P = a.batch, PARAMS["M"][0]
    steps = math.ceil(n_train / B)
    t = 0.0
    for s in range(steps):
        b = min(B, n_train - s * B)
        t += math.ceil(b / N) * a.seq_s
        t += comm_time(P, b, N, *LINKS[link], ring=ring) if link else 0.0
    t += math.ceil(n_val / N) * a.val_seq_s
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seq-s", type=float, required=True)
    ap.add_argument("--val-seq-s", type=float, required=True)
    ap.add_argument("--batch", type=int, default=128, help="pretraining batch (default 128)")
    a = ap.parse_args()

    print("## Bytes each rank sends per step (MB; pretraining batch %d, fine-tuning 64)\n" % a.batch)
    Ns = [2, 3, 4, 8, 16, 32, 64]
    print("| model | P (floats) | " + " | ".join("N=%d" % n for n in Ns) + " | ring allreduce N=64 |")
    print("|---|---|" + "---|" * len(Ns) + "---|")
    for k, (pm, pf) in PARAMS.items():
        row = ["%.1f" % (bytes_sent(pm, a.batch, n) / 1e6) for n in Ns]
        print("| PAT-%s pretrain | %d | %s | %.1f |" % (k, pm, " | ".join(row), 2 * 63 / 64 * 4 * pm / 1e6))
    for k, (pm, pf) in PARAMS.items():
        row = ["%.1f" % (bytes_sent(pf, 64, n) / 1e6) for n in Ns]
        print("| PAT-%s fine-tune | %d | %s | %.1f |" % (k, pf, " | ".join(row), 2 * 63 / 64 * 4 * pf / 1e6))
    print("\nsubtrees per rank (max over ranks), batch %d: " % a.batch +
          ", ".join("N=%d: %d" % (n, max(counts(a.batch, n))) for n in Ns))

    print("\n## PAT-M pretraining epoch over 100,000 weeks (90,000 train, 10,000 validation)\n")
    t1 = epoch_time(1, a, None)
    print("one node: %.0f s (%.1f h)\n" % (t1, t1 / 3600))
    Nsm = [1, 2, 4, 8, 16, 32, 43, 64, 96, 128]
    print("| link | " + " | ".join("N=%d" % n for n in Nsm) + " |")
    print("|---|" + "---|" * len(Nsm))
    for link in LINKS:
        cells = []
        for n in Nsm:
            t = epoch_time(n, a, link)
            cells.append("%.0f s, %.0f %%" % (t, 100 * t1 / (n * t)))
        print("| %s | %s |" % (link, " | ".join(cells)))
    print("\n## Rank counts that divide the batch (no uneven shares)\n")
    for link in LINKS:
        cells = []
        n = 2
        while n <= a.batch:
            t = epoch_time(n, a, link)
            cells.append("N=%d: %.0f %%" % (n, 100 * t1 / (n * t)))
            n *= 2
        print("- %s: %s" % (link, ", ".join(cells)))
    print("\n## First N with efficiency below 80 %\n")
    for link in LINKS:
        first = {False: None, True: None}
        for ring in (False, True):
            for n in range(2, 4 * a.batch + 1):
                t = epoch_time(n, a, link, ring)
                if t1 / (n * t) < 0.8:
                    first[ring] = n
                    break
        print("- %s: N = %s (a ring allreduce instead: N = %s)" % (link, first[False], first[True]))


if __name__ == "__main__":
    main()
