"""bf16_compare.py OUT - the errors of bf16 against float32 in the CSVs that
bench/bf16_accuracy.sh writes into OUT (id,start,values... per day window)."""
import csv
import math
import statistics
import sys


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    return [r[0] for r in rows], [[float(v) for v in r[2:]] for r in rows]


def rel_errors(a, b):
    out = []
    for x, y in zip(a, b):
        num = math.sqrt(sum((p - q) ** 2 for p, q in zip(x, y)))
        den = math.sqrt(sum(p * p for p in x))
        out.append(num / den)
    return out


def auc(scores, labels):
    """Mann-Whitney ROC-AUC, ties counted half."""
    pos = [s for s, l in zip(scores, labels) if l == 1]
    neg = [s for s, l in zip(scores, labels) if l == 0]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def participant_auc(ids, probs):
    by = {}
    for i, p in zip(ids, probs):
        by.setdefault(i, []).append(p[0])
    names = sorted(by)
    means = [sum(by[n]) / len(by[n]) for n in names]
    labels = [1 if n.startswith("condition") else 0 for n in names]
    return auc(means, labels), len(names)


def main(out):
    for tag, what in (("s", "PAT-S demo model"), ("m", "PAT-M init"), ("l", "PAT-L init")):
        _, e32 = read(f"{out}/{tag}-embed-fp32.csv")
        _, e16 = read(f"{out}/{tag}-embed-bf16.csv")
        r = rel_errors(e32, e16)
        print(f"{what}: embeddings relative error (L2, per window, {len(r)} windows): "
              f"median {statistics.median(r):.2e}, max {max(r):.2e}")
    ids, p32 = read(f"{out}/s-predict-fp32.csv")
    _, p16 = read(f"{out}/s-predict-bf16.csv")
    d = [abs(a[0] - b[0]) for a, b in zip(p32, p16)]
    print(f"PAT-S demo model: day probabilities |bf16 - fp32|: median {statistics.median(d):.2e}, "
          f"max {max(d):.2e}")
    _, x32 = read(f"{out}/s-explain-fp32.csv")
    _, x16 = read(f"{out}/s-explain-bf16.csv")
    xr = [max(abs(p - q) for p, q in zip(a, b)) / max(a) for a, b in zip(x32, x16)]
    print(f"PAT-S demo model: explanations, max |bf16 - fp32| / max fp32 per window: "
          f"median {statistics.median(xr):.2e}, max {max(xr):.2e}")
    a32, n = participant_auc(ids, p32)
    a16, _ = participant_auc(ids, p16)
    same = "identical" if round(a32, 3) == round(a16, 3) else "DIFFERENT"
    print(f"PAT-S demo model: participant ROC-AUC ({n} participants, mean day probability): "
          f"fp32 {a32:.6f}, bf16 {a16:.6f} ({same} to 3 decimals)")


if __name__ == "__main__":
    main(sys.argv[1])
