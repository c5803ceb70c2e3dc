#!/usr/bin/python3
"""make_baseline_fixtures.py - reference values for src/baseline/.

Writes tests/fixtures/baseline/ (described in its README.md):

  series.csv.gz   synthetic minute series, header "series,value" (NaN = nan)
  features.csv    per case: the series, its start minute-of-day, the
                  parameters, and the features computed here by a direct
                  numpy implementation of the definitions of
                  src/baseline/features.h (pyActigraphy's documented formulas;
                  pyActigraphy itself is not available), plus is_pyact_code /
                  iv_pyact_code: the same data through pyActigraphy's code
                  path (clock-hour sums, pandas var with ddof=1, partial
                  hours kept, NaN minutes summed as 0), emulated in numpy.
  logreg_x.csv    60 rows: features f0..f4, dup0 (= f0), const (= 3.25),
                  label y, train (1 for the 45 training rows)
  logreg_expected.csv  per case: C, class weighting, the columns used,
                  sklearn StandardScaler mean/scale on the training rows,
                  sklearn LogisticRegression(penalty='l2', solver='lbfgs')
                  intercept and coefficients (its lbfgs stops at a relative
                  objective change of 64 eps, so they are up to ~4e-6 off
                  the optimum), the exact optimum (numpy Newton to a 1e-13
                  gradient, checked against sklearn within 1e-5), and the
                  Youden-J threshold on the exact fit's training predictions
  logreg_proba.csv     per case two columns: sklearn predict_proba[:, 1]
                  (skK) and the exact optimum's probability (exactK) of
                  every row

Usage: /usr/bin/python3 tools/reference/make_baseline_fixtures.py [OUTDIR]
Needs Debian's python3-numpy and python3-sklearn. Seeded: reruns reproduce
the files byte for byte.
"""
import gzip
import os
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_curve
from sklearn.preprocessing import StandardScaler

DAY = 1440

# ---------------------------------------------------------------- series


def rhythm_series(rng, days, start_min, extra=0):
    """Poisson counts: ~2/min at night, ~150-250/min by day, onsets
    jittered by day so IS < 1."""
    n = days * DAY + extra
    tod = (start_min + np.arange(n)) % DAY
    day = (start_min + np.arange(n)) // DAY
    wake = 7 * 60 + rng.integers(-40, 41, size=day.max() + 1)[day]
    sleep = 23 * 60 + rng.integers(-40, 41, size=day.max() + 1)[day]
    awake = (tod >= wake) & (tod < sleep)
    lam = np.where(awake, 200 + 50 * np.sin(2 * np.pi * tod / DAY), 2.0)
    return rng.poisson(lam).astype(float)


def make_series():
    rng = np.random.default_rng(20240601)
    s = {}
    s[0] = (rhythm_series(rng, 4, 540), 540)            # 4 whole days from 09:00
    s[1] = (rhythm_series(rng, 3, 815, 250), 815)       # 13:35 start, partial hours
    x = rhythm_series(rng, 4, 540)
    x[1440 + 300:1440 + 500] = np.nan                   # 200-min non-wear block
    x[rng.choice(x.size, 50, replace=False)] = np.nan   # scattered missing minutes
    s[2] = (x, 540)
    s[3] = (np.full(2 * DAY, 5.0), 0)                   # constant
    return s


# Cases: (series, binarize, threshold, min_valid_per_hour)
CASES = [
    (0, 0, 4.0, 60),
    (1, 0, 4.0, 60),
    (2, 0, 4.0, 60),
    (2, 0, 4.0, 30),
    (3, 0, 4.0, 60),
    (0, 1, 4.0, 60),
    (2, 1, 4.0, 60),
]

# ---------------------------------------------------------------- features


def hourly_means(v, start_min, min_valid):
    """Clock-hour means of v (NaN = missing); NaN for bins with fewer than
    min_valid valid minutes. Returns (bins, hour-of-day of each bin)."""
    off = start_min % 60
    padded = np.concatenate([np.full(off, np.nan), v])
    nb = -(-padded.size // 60)
    padded = np.concatenate([padded, np.full(nb * 60 - padded.size, np.nan)])
    blocks = padded.reshape(nb, 60)
    cnt = (~np.isnan(blocks)).sum(axis=1)
    sums = np.nansum(blocks, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        bins = np.where(cnt >= min_valid, sums / np.maximum(cnt, 1), np.nan)
    hours = (start_min // 60 + np.arange(nb)) % 24
    return bins, hours


def is_iv(bins, hours):
    ok = ~np.isnan(bins)
    xv = bins[ok]
    xbar = xv.mean()
    var = ((xv - xbar) ** 2).mean()
    prof = np.array([bins[ok & (hours == h)].mean() for h in range(24)
                     if (ok & (hours == h)).any()])
    d = np.diff(bins)
    d = d[~np.isnan(d)]
    if var <= (64 * np.finfo(float).eps * abs(xbar)) ** 2:
        return 0.0, 0.0
    return ((prof - xbar) ** 2).mean() / var, (d ** 2).mean() / var


def extreme_window(prof, seen, w, lowest):
    """First start of the min/max circular w-minute window mean. Each window
    is summed sequentially (np.cumsum) from its start, the order the C code
    uses, so windows whose exact sums tie (e.g. profile values in thirds)
    also tie in floating point and the first one wins in both."""
    ext = np.concatenate([prof, prof[:w - 1]])
    sext = np.concatenate([seen, seen[:w - 1]])
    sums = np.array([np.cumsum(ext[s:s + w])[-1] for s in range(DAY)])
    full = np.array([sext[s:s + w].all() for s in range(DAY)])
    cand = np.where(full, sums, np.inf if lowest else -np.inf)
    s = int(np.argmin(cand) if lowest else np.argmax(cand))
    near = full & (np.abs(sums - sums[s]) <= 1e-9 * max(1.0, abs(sums[s])))
    NEAR_TIES.append(int(near.sum()) - 1)
    return sums[s] / w, s


NEAR_TIES = []  # per window search: other starts within 1e-9 of the optimum


def features(x, start_min, binarize, thr, min_valid):
    valid = ~np.isnan(x)
    xv = x[valid]
    f = {"mean": xv.mean(), "sd": xv.std(ddof=1), "zero_frac": (xv == 0).mean()}
    v = np.where(valid, (x > thr).astype(float), np.nan) if binarize else x
    bins, hours = hourly_means(v, start_min, min_valid)
    f["is"], f["iv"] = is_iv(bins, hours)
    tod = (start_min + np.arange(x.size)) % DAY
    prof = np.zeros(DAY)
    seen = np.zeros(DAY, bool)
    for t in range(DAY):
        sel = v[(tod == t) & valid]
        seen[t] = sel.size > 0
        prof[t] = sel.mean() if sel.size else 0.0
    f["l5"], f["l5_onset"] = extreme_window(prof, seen, 300, True)
    f["m10"], f["m10_onset"] = extreme_window(prof, seen, 600, False)
    den = f["m10"] + f["l5"]
    f["ra"] = (f["m10"] - f["l5"]) / den if den != 0 else 0.0
    f["valid_minutes"] = int(valid.sum())
    f["valid_hours"] = int((~np.isnan(bins)).sum())
    f["is_pyact_code"], f["iv_pyact_code"] = pyact_code(x, start_min, binarize, thr)
    return f


def pyact_code(x, start_min, binarize, thr):
    """IS, IV as pyActigraphy's code computes them without a mask:
    binarize (NaN -> 0), resample('1H').sum() (NaN skipped, partial hours
    kept), IS = var_ddof1(groupby-hour means) / var_ddof1(hourly),
    IV = mean(diff^2) / var_ddof1(hourly)."""
    v = np.where(x > thr, 1.0, 0.0) if binarize else x
    off = start_min % 60
    idx = (off + np.arange(x.size)) // 60
    sums = np.bincount(idx, weights=np.nan_to_num(v, nan=0.0))
    hours = (start_min // 60 + np.arange(sums.size)) % 24
    prof = np.array([sums[hours == h].mean() for h in range(24) if (hours == h).any()])
    var = sums.var(ddof=1)
    if var == 0:
        return 0.0, 0.0
    return prof.var(ddof=1) / var, (np.diff(sums) ** 2).mean() / var


FEATURE_COLS = ["mean", "sd", "zero_frac", "is", "iv", "ra", "l5", "l5_onset", "m10",
                "m10_onset", "valid_minutes", "valid_hours", "is_pyact_code",
                "iv_pyact_code"]

# ---------------------------------------------------------------- logreg

LR_CASES = [  # (C, balanced, columns)
    (1.0, 0, ["f0", "f1", "f2", "f3", "f4"]),
    (0.1, 1, ["f0", "f1", "f2", "f3", "f4"]),
    (1.0, 0, ["f0", "dup0", "const", "f1"]),
]
N_LR, N_TRAIN = 60, 45


def make_lr_data():
    rng = np.random.default_rng(7)
    f0 = rng.normal(200, 60, N_LR)            # like mean counts
    f1 = rng.normal(0.30, 0.10, N_LR)         # like zero_frac
    f2 = rng.normal(0.55, 0.15, N_LR)         # like IS
    f3 = rng.normal(1.00, 0.30, N_LR)         # like IV
    f4 = rng.normal(600, 200, N_LR)           # like an onset minute
    u = -0.8 * (f0 - 200) / 60 + 1.2 * (f1 - 0.3) / 0.1 - 0.5 * (f2 - 0.55) / 0.15 + 0.3
    y = (rng.random(N_LR) < 1 / (1 + np.exp(-u))).astype(int)
    cols = {"f0": f0, "f1": f1, "f2": f2, "f3": f3, "f4": f4, "dup0": f0.copy(),
            "const": np.full(N_LR, 3.25)}
    train = np.zeros(N_LR, int)
    train[:N_TRAIN] = 1
    return cols, y, train


def newton_reference(z, y, C, sw):
    """Independent check of sklearn: Newton on 0.5|w|^2 + C sum sw*logloss."""
    k = z.shape[1] + 1
    zt = np.hstack([np.ones((z.shape[0], 1)), z])
    beta = np.zeros(k)
    pen = np.eye(k)
    pen[0, 0] = 0
    for _ in range(100):
        p = 1 / (1 + np.exp(-zt @ beta))
        g = C * zt.T @ (sw * (p - y)) + pen @ beta
        h = C * (zt.T * (sw * p * (1 - p))) @ zt + pen
        beta -= np.linalg.solve(h, g)
        if np.abs(g).max() < 1e-13:
            break
    return beta


def youden(p, y):
    """Largest distinct score maximising tp*N - fp*P (score >= t positive)."""
    fpr, tpr, thr = roc_curve(y, p, drop_intermediate=False)
    npos, nneg = int(y.sum()), int((1 - y).sum())
    tp = np.round(tpr * npos).astype(np.int64)[1:]
    fp = np.round(fpr * nneg).astype(np.int64)[1:]
    jn = tp * nneg - fp * npos
    b = int(np.argmax(jn))
    return thr[1:][b], tp[b] / npos - fp[b] / nneg


def fit_case(cols, y, train, C, balanced, names):
    """sklearn's fit and the exact optimum (numpy Newton) on the training
    rows; probabilities of every row from both; Youden on the exact ones."""
    x = np.column_stack([cols[c] for c in names])
    tr = train == 1
    sc = StandardScaler().fit(x[tr])
    z = sc.transform(x[tr])
    cw = "balanced" if balanced else None
    lr = LogisticRegression(C=C, penalty="l2", solver="lbfgs", tol=1e-12,
                            max_iter=100000, class_weight=cw).fit(z, y[tr])
    ytr = y[tr]
    sw = np.ones(tr.sum())
    if balanced:
        sw = np.where(ytr == 1, tr.sum() / (2 * ytr.sum()), tr.sum() / (2 * (1 - ytr).sum()))
    ref = newton_reference(z, ytr, C, sw)
    diff = max(abs(lr.intercept_[0] - ref[0]), np.abs(lr.coef_[0] - ref[1:]).max())
    print("logreg C=%g balanced=%d: max |sklearn - exact| coefficient %.2e"
          % (C, balanced, diff))
    assert diff < 1e-5
    proba = lr.predict_proba(sc.transform(x))[:, 1]
    exact = 1 / (1 + np.exp(-(ref[0] + sc.transform(x) @ ref[1:])))
    thr, j = youden(exact[tr], ytr)
    assert abs(youden(proba[tr], ytr)[1] - j) < 1e-12, "Youden differs on sklearn's fit"
    return sc, lr, ref, proba, exact, thr, j

# ---------------------------------------------------------------- output


def fmt(v):
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return "%.17g" % v


def write_series(out, series):
    lines = ["series,value"]
    for k, (x, _) in series.items():
        lines += ["%d,%s" % (k, "nan" if np.isnan(v) else "%d" % v) for v in x]
    raw = ("\n".join(lines) + "\n").encode()
    with open(os.path.join(out, "series.csv.gz"), "wb") as fh:
        with gzip.GzipFile(filename="series.csv", fileobj=fh, mode="wb", mtime=0) as gz:
            gz.write(raw)


def write_features(out, series):
    head = ["case", "series", "start_min", "binarize", "threshold", "min_valid"]
    rows = [",".join(head + FEATURE_COLS)]
    for c, (s, b, thr, mv) in enumerate(CASES):
        x, start = series[s]
        f = features(x, start, b, thr, mv)
        rows.append(",".join([fmt(v) for v in (c, s, start, b, thr, mv)] +
                             [fmt(f[k]) for k in FEATURE_COLS]))
        print("features case %d: near-ties L5 %d, M10 %d" % (c, NEAR_TIES[-2], NEAR_TIES[-1]))
    with open(os.path.join(out, "features.csv"), "w") as fh:
        fh.write("\n".join(rows) + "\n")


def write_logreg(out):
    cols, y, train = make_lr_data()
    names = ["f0", "f1", "f2", "f3", "f4", "dup0", "const"]
    with open(os.path.join(out, "logreg_x.csv"), "w") as fh:
        fh.write(",".join(names + ["y", "train"]) + "\n")
        for i in range(N_LR):
            fh.write(",".join(["%.17g" % cols[c][i] for c in names] +
                              ["%d" % y[i], "%d" % train[i]]) + "\n")
    head = ["case", "C", "balanced", "d"] + ["col%d" % j for j in range(5)]
    head += ["mean%d" % j for j in range(5)] + ["scale%d" % j for j in range(5)]
    head += ["intercept"] + ["coef%d" % j for j in range(5)]
    head += ["exact_intercept"] + ["exact_coef%d" % j for j in range(5)]
    head += ["youden_t", "youden_j"]
    rows, probas = [",".join(head)], []
    for c, (C, bal, use) in enumerate(LR_CASES):
        sc, lr, ref, proba, exact, thr, j = fit_case(cols, y, train, C, bal, use)
        pad = 5 - len(use)
        colidx = [names.index(u) for u in use] + [-1] * pad
        vals = [c, C, bal, len(use)] + colidx
        vals += list(sc.mean_) + [0.0] * pad + list(sc.scale_) + [0.0] * pad
        vals += [lr.intercept_[0]] + list(lr.coef_[0]) + [0.0] * pad
        vals += list(ref) + [0.0] * pad + [thr, j]
        rows.append(",".join(fmt(v) for v in vals))
        probas += [proba, exact]
    with open(os.path.join(out, "logreg_expected.csv"), "w") as fh:
        fh.write("\n".join(rows) + "\n")
    with open(os.path.join(out, "logreg_proba.csv"), "w") as fh:
        fh.write(",".join("%s%d" % (k, c) for c in range(len(LR_CASES))
                          for k in ("sk", "exact")) + "\n")
        for i in range(N_LR):
            fh.write(",".join("%.17g" % p[i] for p in probas) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "..", "tests", "fixtures", "baseline")
    os.makedirs(out, exist_ok=True)
    series = make_series()
    write_series(out, series)
    write_features(out, series)
    write_logreg(out)
    print("wrote", os.path.normpath(out))


if __name__ == "__main__":
    main()
