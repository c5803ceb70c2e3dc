"""Helpers shared by the pat Python tests (python/tests/run.py runs them)."""
import os
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "python"))


class Skip(Exception):
    """Raise Skip("why") to skip a test."""


def build_dir():
    return os.environ.get("PAT_BUILD", os.path.join(REPO, "build"))


def fixtures():
    d = os.environ.get("PAT_FIXTURES", os.path.join(build_dir(), "fixtures"))
    if not os.path.exists(os.path.join(d, "model", "s.safetensors")):
        raise Skip(f"no model fixtures in {d} (make fixtures)")
    return d


def fixture(*parts):
    return os.path.join(fixtures(), *parts)


def cli(*args):
    """Run the pat CLI; returns its standard output (raises on failure)."""
    exe = os.path.join(build_dir(), "pat")
    r = subprocess.run([exe, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"pat {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def cli_rows(kind, model, inp):
    """Rows the CLI writes for pat KIND -m MODEL -i INP, as float32."""
    lines = [line for line in cli(kind, "-m", model, "-i", inp, "-q").splitlines() if line]
    if lines and lines[0].startswith("id,start,"):  # a dataset's rows: header, id, start
        lines = [line.split(",", 2)[2] for line in lines[1:]]
    rows = [[float(v) for v in line.split(",")] for line in lines]
    return np.array(rows, dtype=np.float64).astype(np.float32)


def same_bits(a, b):
    a, b = np.ascontiguousarray(a, np.float32), np.ascontiguousarray(b, np.float32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def read_csv(path):
    return np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
