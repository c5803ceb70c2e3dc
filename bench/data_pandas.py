#!/usr/bin/python3
"""Independent pandas/numpy reading of a PAXMIN_H.XPT into weeks, for bench/data_build.sh.

    data_pandas.py PAXMIN_H.XPT OUT.npy

Rules (docs/data.md "NHANES", "Windows"), restricted to what the benchmark
build uses (--min-day-minutes 0 --scaler none --test 0 --val 0
--split-unlabeled): minute index PAXSSNMP // 4800 within SEQN; the first
minute of PAXDAYM 2 is a midnight; a minute is valid when PAXMTSM >= 0,
PAXQFM is not > 0 and PAXPREDM is 1 or 2; invalid and absent minutes are 0;
every whole 10,080-minute window from the first midnight is a row. Rows are
ordered by SEQN then time, as pat writes them. Prints key=value timings.
"""

import resource
import sys
import time

import numpy as np
import pandas as pd

T = 10080
DAY = 1440


def weeks_of(g):
    m = (g["PAXSSNMP"].to_numpy() // 4800).astype(np.int64)
    r = m - m[0]
    day2 = np.flatnonzero(g["PAXDAYM"].to_numpy() == 2)
    start = DAY - r[day2[0]] if len(day2) else 0
    mts = g["PAXMTSM"].to_numpy()
    qf = g["PAXQFM"].to_numpy()
    pred = g["PAXPREDM"].to_numpy()
    valid = (mts >= 0) & ~(qf > 0) & ((pred == 1) | (pred == 2))
    span = np.zeros(r[-1] + 1, dtype=np.float32)
    span[r[valid]] = mts[valid].astype(np.float32)
    first = (-start) % DAY  # offset of the first midnight from the first row
    rows = []
    off = first
    while off + T <= len(span):
        rows.append(span[off:off + T])
        off += T
    return rows


def main():
    path, out = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    df = pd.read_sas(path, format="xport")
    # pandas decodes some IBM-float zeros as 5.397605e-79 (the smallest IBM
    # float; pandas-dev/pandas#50670): without this, PAXQFM = 0 would read as
    # "> 0" and flag every minute.
    df = df.mask(df.abs() < 1e-70, 0.0)
    t1 = time.perf_counter()
    rows = []
    for _, g in df.groupby("SEQN", sort=True):
        rows.extend(weeks_of(g))
    x = np.stack(rows) if rows else np.zeros((0, T), np.float32)
    t2 = time.perf_counter()
    np.save(out, x)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"pandas_read_s={t1 - t0:.3f} pandas_weeks_s={t2 - t1:.3f} rows={len(x)} "
          f"table_rows={len(df)} maxrss_kb={peak}")


if __name__ == "__main__":
    main()
