#!/usr/bin/python3
"""make_metric_fixtures.py - reference values for src/eval/metrics.c.

Writes tests/fixtures/metrics/case_K.csv (header "score,label"; scores as
float32 printed with %.9g, so parsing them back as float32 is exact) and
tests/fixtures/metrics/expected.csv with, per case, sklearn's values and
three numpy versions of the Keras AUC of pat-spec §4.4:

  keras_auc       Keras >= 2.6 bucket rule (what tf.keras.metrics.AUC() runs
                  for its evenly spaced default thresholds): bucket =
                  max(ceil(float32(p * 199)) - 1, 0), positive at threshold i
                  iff bucket >= i; rates and trapezoid in float64.
                  This is what pat_keras_auc must reproduce (1e-12).
  keras_auc_f32   the same counts with rates, heights and the sum in float32
                  as Keras does (summation order differs from TensorFlow).
  keras_auc_gt    the literal reading "p > float32(threshold_i)" (the older
                  Keras code path); differs only for scores within an ulp of
                  a threshold (case 6 is built to show it).

Usage: /usr/bin/python3 tools/reference/make_metric_fixtures.py [OUTDIR]
Needs Debian's python3-numpy and python3-sklearn (/usr/bin/python3).
"""
import os
import sys

import numpy as np
from sklearn import metrics as skm

KERAS_STEPS = 199  # num_thresholds - 1


def keras_thresholds():
    """The 200 thresholds as Keras builds them (Python doubles -> float32)."""
    eps = 1e-7  # keras.backend.epsilon()
    inner = [(i + 1) * 1.0 / KERAS_STEPS for i in range(KERAS_STEPS - 1)]
    return np.array([0.0 - eps] + inner + [1.0 + eps]).astype(np.float32)


def keras_counts_bucket(p, y):
    """tp, fp per threshold (200) by the bucket rule, in float32 like TF."""
    p = np.clip(p.astype(np.float32), np.float32(0), np.float32(1))
    prod = (p * np.float32(KERAS_STEPS)).astype(np.float32)
    bucket = np.maximum(np.ceil(prod) - np.float32(1), np.float32(0)).astype(np.int64)
    pos_b = np.bincount(bucket[y == 1], minlength=KERAS_STEPS + 1)
    neg_b = np.bincount(bucket[y == 0], minlength=KERAS_STEPS + 1)
    tp = np.cumsum(pos_b[::-1])[::-1]
    fp = np.cumsum(neg_b[::-1])[::-1]
    return tp.astype(np.int64), fp.astype(np.int64)


def keras_counts_gt(p, y):
    """tp, fp per threshold by direct comparison p > float32 threshold."""
    p = p.astype(np.float32)
    th = keras_thresholds()
    pred = p[None, :] > th[:, None]
    tp = (pred & (y == 1)[None, :]).sum(axis=1)
    fp = (pred & (y == 0)[None, :]).sum(axis=1)
    return tp, fp


def trapezoid(tp, fp, npos, nneg, dtype):
    """pat-spec §4.4: sum_i (FPR_i - FPR_{i+1}) (TPR_i + TPR_{i+1}) / 2."""
    tp = tp.astype(dtype)
    fp = fp.astype(dtype)
    tpr = tp / dtype(npos) if npos else np.zeros_like(tp)
    fpr = fp / dtype(nneg) if nneg else np.zeros_like(fp)
    heights = (tpr[:-1] + tpr[1:]) / dtype(2)
    terms = (fpr[:-1] - fpr[1:]) * heights
    total = dtype(0)
    for t in terms:  # a plain left-to-right sum, as the C code does
        total = dtype(total + t)
    return float(total)


def keras_aucs(p, y):
    npos = int((y == 1).sum())
    nneg = len(y) - npos
    tp, fp = keras_counts_bucket(p, y)
    exact = trapezoid(tp, fp, npos, nneg, np.float64)
    f32 = trapezoid(tp, fp, npos, nneg, np.float32)
    tp2, fp2 = keras_counts_gt(p, y)
    gt = trapezoid(tp2, fp2, npos, nneg, np.float64)
    return exact, f32, gt


def threshold_scores(rng):
    """Scores on, just below and just above every float32 Keras threshold."""
    th = np.clip(keras_thresholds(), 0, 1).astype(np.float32)
    below = np.nextafter(th, np.float32(-1))
    above = np.nextafter(th, np.float32(2))
    s = np.concatenate([th, below, above, np.float32([0.5, 1 / 199, 0, 1])])
    s = np.clip(s, 0, 1).astype(np.float32)
    y = (rng.random(len(s)) < 0.5).astype(np.int64)
    y[:2] = [0, 1]
    return s, y


def make_cases():
    rng = np.random.default_rng(20240517)
    cases = []
    # 0: small, with ties across classes
    cases.append((np.float32([0.2, 0.5, 0.5, 0.7, 0.1, 0.5, 0.9, 0.2, 0.3, 0.7]),
                  np.array([0, 1, 0, 1, 0, 0, 1, 1, 0, 0])))
    # 1: all scores equal
    cases.append((np.full(50, 0.5, np.float32), (np.arange(50) % 3 == 0).astype(np.int64)))
    # 2: perfectly separated
    y = (rng.random(100) < 0.4).astype(np.int64)
    s = np.where(y == 1, 0.6 + 0.4 * rng.random(100), 0.55 * rng.random(100))
    cases.append((s.astype(np.float32), y))
    # 3: n = 1000, random with signal
    y = (rng.random(1000) < 0.3).astype(np.int64)
    s = 1 / (1 + np.exp(-(rng.normal(size=1000) + 0.8 * y)))
    cases.append((s.astype(np.float32), y))
    # 4: heavy ties: scores rounded to 0.1
    y = (rng.random(500) < 0.5).astype(np.int64)
    s = np.round(np.clip(0.5 + 0.2 * rng.normal(size=500) + 0.1 * y, 0, 1), 1)
    cases.append((s.astype(np.float32), y))
    # 5: imbalanced, 5 % positives
    y = np.zeros(1000, np.int64)
    y[rng.choice(1000, 50, replace=False)] = 1
    s = rng.beta(2 + 1.5 * y, 5)
    cases.append((s.astype(np.float32), y))
    # 6: scores exactly on (and one ulp around) the Keras thresholds
    cases.append(threshold_scores(rng))
    # 7: the hand case of the C tests
    cases.append((np.float32([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])))
    # 8: extremes: 0, 1, tiny and near-1 values
    s = np.float32([0, 0, 1e-30, 1e-8, 1e-7, 0.004, 0.00502513, 0.99, 1 - 2**-24, 1, 1, 0.5])
    cases.append((s, np.array([0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1])))
    return cases


COLUMNS = ["case", "n", "roc_auc", "average_precision", "keras_auc", "keras_auc_f32",
           "keras_auc_gt", "tp", "fp", "tn", "fn", "accuracy", "sensitivity",
           "specificity", "precision", "f1", "mcc", "balanced_accuracy"]


def expected_row(k, s, y):
    pred = (s.astype(np.float64) >= 0.5).astype(np.int64)
    (tn, fp), (fn, tp) = skm.confusion_matrix(y, pred, labels=[0, 1])
    kx, kf, kg = keras_aucs(s, y)
    vals = [k, len(y), skm.roc_auc_score(y, s.astype(np.float64)),
            skm.average_precision_score(y, s.astype(np.float64)), kx, kf, kg,
            tp, fp, tn, fn, skm.accuracy_score(y, pred),
            skm.recall_score(y, pred, zero_division=0),
            skm.recall_score(y, pred, pos_label=0, zero_division=0),
            skm.precision_score(y, pred, zero_division=0),
            skm.f1_score(y, pred, zero_division=0),
            skm.matthews_corrcoef(y, pred), skm.balanced_accuracy_score(y, pred)]
    return ",".join(str(int(v)) if isinstance(v, (int, np.integer)) else "%.17g" % v
                    for v in vals)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "..", "tests", "fixtures", "metrics")
    os.makedirs(out, exist_ok=True)
    rows = []
    for k, (s, y) in enumerate(make_cases()):
        s = s.astype(np.float32)
        with open(os.path.join(out, "case_%d.csv" % k), "w") as f:
            f.write("score,label\n")
            for a, b in zip(s, y):
                f.write("%.9g,%d\n" % (a, b))
        rows.append(expected_row(k, s, y))
    with open(os.path.join(out, "expected.csv"), "w") as f:
        f.write(",".join(COLUMNS) + "\n")
        f.write("\n".join(rows) + "\n")
    print("wrote %d cases to %s" % (len(rows), os.path.normpath(out)))


if __name__ == "__main__":
    main()
