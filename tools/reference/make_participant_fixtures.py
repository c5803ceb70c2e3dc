#!/usr/bin/python3
"""make_participant_fixtures.py - reference values for src/eval/participant.c.

Writes tests/fixtures/participant/windows.csv (header "id,label,prob"; one
row per window, participants interleaved, probabilities float32 printed with
%.9g so that reading them back as float32 is exact) and expected.csv with,
per aggregation rule (mean, median, max):

  participants     number of participants
  auc              sklearn roc_auc_score over the participant scores
  ci_lo, ci_hi     the percentile bootstrap over participants, 2000
                   resamples, seed 42, level 0.95, computed here from the
                   contract of pat_auc_bootstrap_ci (metrics.h): cases in
                   (score, label, position) order, n draws with replacement
                   by xoshiro256** seeded with splitmix64 and rejection
                   sampling below n, resamples missing a class redrawn; each
                   resample's AUC by sklearn on the expanded multiset; the
                   quantiles by numpy.quantile (linear).
  youden           the best "score >= t" threshold by an exhaustive search
                   (the highest of equal J)

and participants.csv (rule,id,label,score) with each participant's score:
mean and median in float64 of the float32 window values, rounded to
float32 as pat does.

Usage: /usr/bin/python3 tools/reference/make_participant_fixtures.py [OUTDIR]
Needs Debian's python3-numpy and python3-sklearn (/usr/bin/python3).
"""
import os
import sys

import numpy as np
from sklearn.metrics import roc_auc_score

MASK = (1 << 64) - 1
REPS, SEED, LEVEL = 2000, 42, 0.95


class Xoshiro:
    """xoshiro256** seeded by splitmix64 (src/rng.c's documented generator)."""

    def __init__(self, seed):
        self.s = []
        x = seed
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self):
        s = self.s
        result = (self.rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return result

    def below(self, n):
        reject = ((1 << 64) - n) % n
        while True:
            x = self.next()
            if x >= reject:
                return x % n


def bootstrap_ci(score, label):
    order = sorted(range(len(score)), key=lambda i: (score[i], label[i], i))
    s = np.array([score[i] for i in order], dtype=np.float64)
    y = np.array([label[i] for i in order], dtype=np.int64)
    n = len(s)
    rng = Xoshiro(SEED)
    aucs = []
    for _ in range(REPS):
        for _attempt in range(1000):
            idx = [rng.below(n) for _ in range(n)]
            npos = int(y[idx].sum())
            if 0 < npos < n:
                break
        else:
            raise RuntimeError("resamples kept missing a class")
        aucs.append(roc_auc_score(y[idx], s[idx]))
    lo, hi = np.quantile(np.array(aucs), [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return float(lo), float(hi)


def youden(score, label):
    best, best_t = None, None
    for t in sorted(set(score), reverse=True):
        pred = np.array(score) >= t
        y = np.array(label) != 0
        j = (pred & y).sum() / y.sum() - (pred & ~y).sum() / (~y).sum()
        if best is None or j > best + 1e-15:
            best, best_t = j, t
    return best_t


def cohort(rng):
    """60 participants, 1..20 windows each, interleaved; positives higher."""
    ids, labels, probs = [], [], []
    left = {f"p{k:02d}": int(rng.integers(1, 21)) for k in range(60)}
    lab = {p: float(k % 3 == 0) for k, p in enumerate(left)}
    shift = {p: float(rng.normal(0, 0.08)) for p in left}
    while any(left.values()):
        p = rng.choice([q for q, v in left.items() if v])
        left[p] -= 1
        v = 0.35 + 0.08 * lab[p] + shift[p] + 0.15 * rng.standard_normal()
        ids.append(p)
        labels.append(lab[p])
        probs.append(np.float32(min(max(v, 0.001), 0.999)))
    return ids, labels, probs


def aggregate(values, rule):
    v = np.array(values, dtype=np.float64)
    if rule == "mean":
        acc = 0.0
        for x in v:  # input order, as pat sums
            acc += x
        return np.float32(acc / len(v))
    if rule == "median":
        return np.float32(np.median(v))
    return np.float32(v.max())


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/participant"
    os.makedirs(out, exist_ok=True)
    ids, labels, probs = cohort(np.random.default_rng(20240607))
    with open(os.path.join(out, "windows.csv"), "w") as f:
        f.write("id,label,prob\n")
        for i, y, p in zip(ids, labels, probs):
            f.write(f"{i},{int(y)},{'%.9g' % p}\n")
    first = list(dict.fromkeys(ids))
    rows, parts = [], []
    for rule in ("mean", "median", "max"):
        score = [aggregate([p for i, p in zip(ids, probs) if i == q], rule) for q in first]
        label = [labels[ids.index(q)] for q in first]
        auc = roc_auc_score(np.array(label), np.array(score, dtype=np.float64))
        lo, hi = bootstrap_ci(score, label)
        rows.append(f"{rule},{len(first)},{auc:.17g},{lo:.17g},{hi:.17g},"
                    f"{'%.9g' % youden(score, label)}")
        parts += [f"{rule},{q},{int(y)},{'%.9g' % s}" for q, y, s in zip(first, label, score)]
    with open(os.path.join(out, "expected.csv"), "w") as f:
        f.write("rule,participants,auc,ci_lo,ci_hi,youden\n" + "\n".join(rows) + "\n")
    with open(os.path.join(out, "participants.csv"), "w") as f:
        f.write("rule,id,label,score\n" + "\n".join(parts) + "\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
