#!/usr/bin/python3
"""make_cv_fixtures.py - reference values for pat cv (src/baseline/logreg_cv.c,
src/eval/delong.c), computed independently with Debian's python3-sklearn,
python3-numpy and python3-scipy.

Writes tests/fixtures/cv/ (described in its README.md):

  logreg_rows.csv      embedding-like rows: group, f0..f15 (180 rows, 36 groups)
  logreg_groups.csv    per group: label, inner fold (0..3; -1 = an outer test
                       group that no fit may use)
  logreg_expected.csv  per C of the grid: the inner-CV criterion (mean over used
                       groups of the mean row log-loss, out of fold), and which
                       C was chosen
  logreg_proba.csv     per row: the probability of the model refitted on every
                       used group with the chosen C; per group (oof_*.csv): the
                       out-of-fold score (mean probability) at the chosen C
  delong.csv           score_a, score_b, label of 46 cases (with ties)
  delong_expected.csv  AUCs, DeLong variances, covariance, z and two-sided p,
                       from the O(m k) definition (psi matrix), not from ranks

Every logistic fit is sklearn's StandardScaler (fitted on the fit's rows) and
LogisticRegression(penalty='l2', C, solver='newton-cg', tol=1e-9,
max_iter=10000): the optimum of the objective documented in
src/baseline/logreg.h.

Usage: /usr/bin/python3 tools/reference/make_cv_fixtures.py [OUTDIR]
Seeded: reruns reproduce the files byte for byte.
"""
import os
import sys
import warnings

import numpy as np
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

GRID = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]


def fit(x, y, c):
    sc = StandardScaler().fit(x)
    lr = LogisticRegression(penalty="l2", C=c, solver="newton-cg", tol=1e-9, max_iter=10000)
    lr.fit(sc.transform(x), y)
    return lambda z: lr.predict_proba(sc.transform(z))[:, 1]


def logreg_case(rng, out):
    groups, d = 36, 16
    glabel = np.array([1 if g % 5 < 2 else 0 for g in range(groups)])  # 15 positive
    rows, owner = [], []
    center = rng.normal(0, 1, (groups, d))
    effect = np.zeros(d)
    effect[:4] = [0.9, -0.6, 0.4, 0.3]
    for g in range(groups):
        for _ in range(int(rng.integers(2, 9))):
            rows.append(center[g] * 0.5 + effect * glabel[g] + rng.normal(0, 1, d))
            owner.append(g)
    x, owner = np.array(rows), np.array(owner)
    # 6 outer test groups (unused), the others dealt to 4 inner folds by label
    test = set(range(0, groups, 6))
    gfold = -np.ones(groups, dtype=int)
    for lab in (0, 1):
        members = [g for g in range(groups) if glabel[g] == lab and g not in test]
        rng.shuffle(members)
        for i, g in enumerate(members):
            gfold[g] = i % 4
    used = gfold[owner] >= 0
    loss, oofs = [], []
    for c in GRID:
        prob = np.full(len(x), np.nan)
        for f in range(4):
            tr, va = used & (gfold[owner] != f), gfold[owner] == f
            prob[va] = fit(x[tr], glabel[owner[tr]], c)(x[va])
        p = np.clip(prob, 1e-15, 1 - 1e-15)
        rl = np.where(glabel[owner] == 1, -np.log(p), -np.log1p(-p))
        gl = [rl[owner == g].mean() for g in range(groups) if gfold[g] >= 0]
        loss.append(float(np.mean(gl)))
        oofs.append([prob[owner == g].mean() if gfold[g] >= 0 else np.nan for g in range(groups)])
    best = int(np.argmin(loss))
    final = fit(x[used], glabel[owner[used]], GRID[best])(x)
    with open(os.path.join(out, "logreg_rows.csv"), "w") as fh:
        fh.write("group," + ",".join(f"f{j}" for j in range(d)) + "\n")
        for i in range(len(x)):
            fh.write(f"{owner[i]}," + ",".join(f"{v:.17g}" for v in x[i]) + "\n")
    with open(os.path.join(out, "logreg_groups.csv"), "w") as fh:
        fh.write("label,inner_fold\n")
        for g in range(groups):
            fh.write(f"{glabel[g]},{gfold[g]}\n")
    with open(os.path.join(out, "logreg_expected.csv"), "w") as fh:
        fh.write("C,criterion,chosen\n")
        for i, c in enumerate(GRID):
            fh.write(f"{c:.17g},{loss[i]:.17g},{int(i == best)}\n")
    with open(os.path.join(out, "logreg_proba.csv"), "w") as fh:
        fh.write("prob\n")
        for v in final:
            fh.write(f"{v:.17g}\n")
    with open(os.path.join(out, "logreg_oof.csv"), "w") as fh:
        fh.write("oof\n")
        for v in oofs[best]:
            fh.write("nan\n" if np.isnan(v) else f"{v:.17g}\n")


def delong_case(rng, out):
    n = 46
    label = np.array([1] * 19 + [0] * 27)
    rng.shuffle(label)
    a = np.round(label * 0.8 + rng.normal(0, 1, n), 1)  # rounded: ties
    b = np.round(label * 0.4 + 0.5 * a + rng.normal(0, 1, n), 1)
    pos, neg = label == 1, label == 0
    res = {}
    v10, v01 = [], []
    for s in (a, b):
        x, y = s[pos], s[neg]
        psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
        v10.append(psi.mean(axis=1))
        v01.append(psi.mean(axis=0))
    m, k = pos.sum(), neg.sum()
    s10 = np.cov(np.vstack(v10))  # ddof 1
    s01 = np.cov(np.vstack(v01))
    S = s10 / m + s01 / k
    auc = [roc_auc_score(label, a), roc_auc_score(label, b)]
    diff = auc[0] - auc[1]
    z = diff / np.sqrt(S[0, 0] + S[1, 1] - 2 * S[0, 1])
    res = dict(auc_a=auc[0], auc_b=auc[1], var_a=S[0, 0], var_b=S[1, 1], cov=S[0, 1],
               z=z, p=2 * norm.sf(abs(z)))
    with open(os.path.join(out, "delong.csv"), "w") as fh:
        fh.write("score_a,score_b,label\n")
        for i in range(n):
            fh.write(f"{a[i]:.1f},{b[i]:.1f},{label[i]}\n")
    with open(os.path.join(out, "delong_expected.csv"), "w") as fh:
        fh.write(",".join(res) + "\n")
        fh.write(",".join(f"{v:.17g}" for v in res.values()) + "\n")


def main():
    # newton-cg warns when its line search cannot improve at rounding level, i.e.
    # at the optimum: the values equal those of tol=1e-12 to the last digit.
    warnings.simplefilter("ignore")
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..", "tests", "fixtures", "cv")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240607)
    logreg_case(rng, out)
    delong_case(rng, out)


if __name__ == "__main__":
    main()
