#!/usr/bin/python3
"""Regenerate the MAE pretraining fixtures in tests/fixtures/mae/, or check a Keras H5
file written by `pat convert --to-keras`.

    /usr/bin/python3 tools/reference/make_mae_fixtures.py [--out tests/fixtures/mae]
    /usr/bin/python3 tools/reference/make_mae_fixtures.py --check-h5 OUT.h5

Fixtures (tests/fixtures/mae/README.md describes every tensor):
  {dense,conv}_{corrected,faithful}_{all,masked}.safetensors (four of the combinations)
      weights, input, the fixed mask permutation, reconstruction, loss and gradients of a
      tiny MAE (pat_reference.MAEReference, autograd in float64), spec §3.3.

Every input (weights, x) is rounded to float32 first and the reference computes in float64
from those values. Deterministic: a rerun gives byte-identical files.

--check-h5 FILE: FILE must have exactly the layout the reference writer produces for the
same weights (Keras-2.15 save_weights, spec §2.8: root attributes layer_names / backend /
keras_version, per-group weight_names, string kinds, groups, dataset paths, dtypes,
shapes, contiguous storage; compared with pat_reference.keras_h5_describe), and the same
values. Exit status 0 when it does.
"""

import argparse
import os
import sys
import tempfile
from collections import OrderedDict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pat_reference as ref  # noqa: E402

F64 = torch.float64
SOURCE = "tools/reference/make_mae_fixtures.py"

TINY = {"patch_size": 4, "embed_dim": 8, "num_heads": 2, "key_dim": 4, "ff_dim": 16,
        "num_layers": 2}
T, B = 40, 3          # N = 10 patches per sequence, 3 sequences sharing one permutation
# name -> (embedding, unshuffle, loss, mask ratio, seed). Ratios: 0.6 -> M = 6 (more masked
# than visible, as in the paper), 0.3 -> M = 3 (more visible than masked), 0.9 -> M = 9.
CASES = OrderedDict([
    ("dense_corrected_all", ("dense", "corrected", "all", 0.6, 5001)),
    ("dense_faithful_masked", ("dense", "faithful", "masked", 0.6, 5002)),
    ("conv_faithful_all", ("conv", "faithful", "all", 0.3, 5003)),
    ("conv_corrected_masked", ("conv", "corrected", "masked", 0.9, 5004)),
])
FD_SEED = 5099


def tiny_config(embedding):
    return ref.Config(TINY["patch_size"], TINY["num_heads"], TINY["num_layers"], embedding,
                      TINY["embed_dim"], TINY["key_dim"], TINY["ff_dim"])


def normal_weights(cfg, rng):
    """One draw per tensor in pat's order, float32: kernels, biases and the mask token
    0.3 N(0,1); LayerNorm gamma 1 + 0.1 N(0,1), beta 0.1 N(0,1)."""
    out = OrderedDict()
    for name, shape in ref.mae_param_specs(cfg):
        z = rng.standard_normal(shape)
        leaf = name.rsplit("/", 1)[1]
        w = 1.0 + 0.1 * z if leaf == "gamma" else 0.1 * z if leaf == "beta" else 0.3 * z
        out[name] = w.astype(np.float32)
    return out


def finite_difference_check(model, x, perm, ratio, unshuffle, loss, grads, n_per_tensor=2,
                            h=1e-6):
    """Central differences (float64) on n_per_tensor random entries of every tensor;
    returns the largest |fd - autograd|."""
    rng = np.random.default_rng(FD_SEED)
    worst = 0.0
    with torch.no_grad():
        for name, p in model.params.items():
            flat = p.view(-1)
            for idx in rng.choice(flat.numel(), size=min(n_per_tensor, flat.numel()), replace=False):
                old = flat[idx].item()
                flat[idx] = old + h
                up = model.forward(x, perm, ratio, unshuffle, loss)["loss"].item()
                flat[idx] = old - h
                down = model.forward(x, perm, ratio, unshuffle, loss)["loss"].item()
                flat[idx] = old
                fd = (up - down) / (2 * h)
                err = abs(fd - grads[name].reshape(-1)[idx])
                worst = max(worst, err)
                assert err < 1e-7 + 1e-6 * abs(fd), (name, int(idx), fd, grads[name].reshape(-1)[idx])
    return worst


def check_unshuffle(perm, M):
    """The faithful arithmetic places the token of patch perm[M+j] at position perm[j]
    (spec §3.3), checked on the reference's own gather."""
    N = len(perm)
    inv = np.empty(N, dtype=np.int64)
    inv[perm] = np.arange(N)
    for q in range(N):
        if inv[q] < N - M:
            j = inv[q]
            assert perm[j] == q  # position perm[j] takes dec_in[j] = token of patch perm[M+j]


def mae_fixture(name):
    embedding, unshuffle, loss, ratio, seed = CASES[name]
    cfg = tiny_config(embedding)
    rng = np.random.default_rng(seed)
    weights = normal_weights(cfg, rng)
    x_np = rng.standard_normal((B, T)).astype(np.float32) * np.float32(0.8)
    N = T // cfg.patch_size
    perm = rng.permutation(N)
    M = ref.mae_num_masked(N, ratio)
    check_unshuffle(perm, M)
    model = ref.MAEReference(weights, cfg, dtype=F64, requires_grad=True)
    x = torch.tensor(x_np, dtype=F64)
    res = model.forward(x, perm, ratio, unshuffle, loss)
    res["loss"].backward()
    grads = OrderedDict((n, p.grad.detach().numpy().copy()) for n, p in model.params.items())
    fd_err = finite_difference_check(model, x, perm, ratio, unshuffle, loss, grads)
    tensors = OrderedDict(weights)
    tensors["input/x"] = x_np
    tensors["input/perm"] = perm.astype(np.float32)
    tensors["output"] = res["output"].detach().numpy()
    tensors["loss"] = np.array([res["loss"].item()])
    for n, g in grads.items():
        tensors["grad/" + n] = g
    meta = cfg.metadata()
    meta.update([("mae.mask_ratio", repr(ratio)), ("mae.masked", str(M)),
                 ("mae.unshuffle", unshuffle), ("mae.loss", loss), ("mae.batch", str(B)),
                 ("mae.length", str(T)),
                 ("mae.loss_reduction", "mean over the batch and the selected minutes"),
                 ("reference.dtype", "float64"), ("source", SOURCE)])
    return tensors, meta, fd_err


def check_h5(path):
    """0 when path is laid out exactly as the reference writer lays out its weights."""
    weights = ref.read_keras_h5(path)
    cfg = ref.infer_config(weights)
    head = all(n in weights for n, _ in ref.head_specs(cfg))
    with tempfile.TemporaryDirectory() as d:
        want_path = os.path.join(d, "reference.h5")
        ref.write_keras_h5(want_path, weights, cfg, head=head)
        got, want = ref.keras_h5_describe(path), ref.keras_h5_describe(want_path)
        values = ref.read_keras_h5(want_path)
    ok = True
    if got != want:
        ok = False
        for line in sorted(set(got) ^ set(want)):
            print(("file:      " if line in got else "reference: ") + line)
    if set(values) != set(weights) or any(not np.array_equal(values[n], weights[n]) for n in values):
        ok = False
        print("dataset values differ from the reference writer's")
    n = len(ref.param_specs(cfg, head=head))
    print(f"{path}: {cfg} head={head}, {n} datasets: "
          + ("layout identical to the reference (Keras 2.15 save_weights)" if ok else "DIFFERS"))
    return 0 if ok else 1


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(repo, "tests", "fixtures", "mae"))
    ap.add_argument("--check-h5", metavar="FILE", help="check a pat-written Keras H5 file")
    a = ap.parse_args(argv)
    if a.check_h5:
        return check_h5(a.check_h5)
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)
    for name in CASES:
        tensors, meta, fd_err = mae_fixture(name)
        ref.write_safetensors(os.path.join(a.out, name + ".safetensors"), tensors, meta)
        print(f"{name}: M = {meta['mae.masked']} of {T // TINY['patch_size']}, loss "
              f"{tensors['loss'][0]:.9g}, finite differences max |err| {fd_err:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
