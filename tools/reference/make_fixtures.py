#!/usr/bin/python3
"""Regenerate the model test fixtures in tests/fixtures/model/.

    /usr/bin/python3 tools/reference/make_fixtures.py [--out tests/fixtures/model]

Writes (see tests/fixtures/model/README.md for the description of every file):
  x_week.csv, x_day.csv                      inputs (3 rows x 10080, 3 rows x 1440)
  {arch}.h5.gz, {arch}.safetensors.gz        quantized random weights with head
  {arch}_{week,day}_{embed,prob,explain}.csv expected outputs, float64 reference
for arch in s m l conv-s conv-m conv-l.  Deterministic: running it twice gives
byte-identical files (gzip -9n stores no name or time stamp).
"""

import argparse
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pat_reference as ref  # noqa: E402

# One fixed seed per architecture for the weights; one for the inputs.
ARCH_SEEDS = {"s": 1001, "m": 1002, "l": 1003, "conv-s": 1004, "conv-m": 1005, "conv-l": 1006}
INPUT_SEED = 2024
SOURCE = "tools/reference/make_fixtures.py"
# String attributes of the H5 files: the dense models (the kind that was released) exactly
# as Keras 2.15 + h5py 3 writes them (variable-length strings, empty weight_names = empty
# float64 array); the conv models (never released) with fixed-length 'S' strings, so that
# the importer is tested on both representations.
H5_STRINGS = {"dense": "keras", "conv": "fixed"}


def make_inputs(seed=INPUT_SEED):
    """Three synthetic standardized-looking weeks (3 x 10080), values rounded to 4 decimals.

    row 0: daily rhythm (low at night, higher by day, peak ~13:00) + noise
    row 1: same kind of rhythm + occasional large spikes (up to 6)
    row 2: near-constant (-0.35 + tiny noise)
    """
    rng = np.random.default_rng(seed)
    T = 10080
    minute_of_day = np.arange(T) % 1440
    phase = 2 * np.pi * (minute_of_day / 1440.0 - 0.30)
    rhythm = 0.9 * np.sin(phase) - 0.1                            # ~ -1.0 at night, +0.8 by day
    day = (np.sin(phase) > -0.2).astype(np.float64)               # noisier while awake
    rows = []
    r0 = rhythm + (0.15 + 0.35 * day) * rng.standard_normal(T)
    rows.append(r0)
    r1 = 0.8 * rhythm + 0.1 + (0.1 + 0.3 * day) * rng.standard_normal(T)
    spikes = rng.random(T) < 0.004
    r1[spikes] += rng.uniform(2.0, 6.0, spikes.sum())
    rows.append(np.minimum(r1, 6.0))
    rows.append(-0.35 + 0.002 * rng.standard_normal(T))
    return np.round(np.stack(rows), 4)


def write_input_csv(path, x):
    with open(path, "w") as f:
        for row in x:
            f.write(",".join("%.4f" % v for v in row) + "\n")


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(repo, "tests", "fixtures", "model"))
    ap.add_argument("--archs", default=" ".join(ref.ARCHS), help="space-separated subset")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()

    # Inputs: the week, and its first day.  The reference computes from the values as
    # parsed back from the CSV into float32, exactly what the C tool sees.
    week = make_inputs()
    inputs = {"week": os.path.join(a.out, "x_week.csv"), "day": os.path.join(a.out, "x_day.csv")}
    write_input_csv(inputs["week"], week)
    write_input_csv(inputs["day"], week[:, :1440])
    xs = {k: ref.read_csv(p) for k, p in inputs.items()}
    assert xs["week"].shape == (3, 10080) and xs["day"].shape == (3, 1440)

    for arch in a.archs.split():
        cfg = ref.Config.from_arch(arch)
        weights = ref.random_weights(cfg, ARCH_SEEDS[arch], head=True)
        st = os.path.join(a.out, f"{arch}.safetensors")
        h5 = os.path.join(a.out, f"{arch}.h5")
        md = cfg.metadata()
        md["pat.source"] = SOURCE
        ref.write_safetensors(st, weights, md)
        ref.write_keras_h5(h5, weights, cfg, strings=H5_STRINGS[cfg.embedding])

        # Expected outputs in float64, from the weights as read back from the file.
        model = ref.load_model(st)
        assert model.cfg == cfg and model.has_head
        for name, x in xs.items():
            r = model.run(x, batch_size=1)
            assert np.allclose(r["explain"].sum(axis=1), 1.0, atol=1e-12)
            base = os.path.join(a.out, f"{arch}_{name}_")
            ref.write_csv(base + "embed.csv", r["embedding"])
            ref.write_csv(base + "prob.csv", r["prob"])
            ref.write_csv(base + "explain.csv", r["explain"])
            print(f"{arch:7s} {name}: N={r['explain'].shape[1]:5d} prob="
                  + " ".join("%.6f" % p for p in r["prob"]) + f"  [{time.time() - t0:.1f}s]")

        # The H5 file must give bit-identical outputs (checked on the day input).
        r_st = model.run(xs["day"])
        r_h5 = ref.load_model(h5).run(xs["day"])
        assert all(np.array_equal(r_st[k], r_h5[k]) for k in r_st), f"{arch}: h5 != safetensors"

        for path in (st, h5):
            subprocess.run(["gzip", "-9nf", path], check=True)

    total = sum(os.path.getsize(os.path.join(a.out, f)) for f in os.listdir(a.out))
    print(f"done in {time.time() - t0:.1f}s; {a.out}: {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
