#!/usr/bin/python3
"""Regenerate the training fixtures in tests/fixtures/train/.

    /usr/bin/python3 tools/reference/make_train_fixtures.py [--out tests/fixtures/train]

Writes (tests/fixtures/train/README.md describes every tensor):
  adam_keras.safetensors      Keras Adam (pat-spec §3.2 formula, numpy float64)
  adam_torch.safetensors      torch.optim.Adam
  adam_torch_l2.safetensors   torch.optim.Adam with weight_decay (L2 on the gradient)
  adamw.safetensors           torch.optim.AdamW
  clip.safetensors            torch.nn.utils.clip_grad_norm_(max_norm=1.0)
  cosine.safetensors          torch.optim.lr_scheduler.CosineAnnealingLR
  grad_{dense,conv}_{class_weight,pos_weight}.safetensors
                              whole-model loss, logits and gradients of a tiny PAT
                              (pat_reference.PATReference, autograd in float64)

Every input (parameters, gradients, weights, x) is rounded to float32 first and the
reference computes in float64 from those values, so the C code starts from exactly the
numbers the reference used. Deterministic: a rerun gives byte-identical files.
"""

import argparse
import os
import sys
from collections import OrderedDict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pat_reference as ref  # noqa: E402

F64 = torch.float64
SOURCE = "tools/reference/make_train_fixtures.py"

# ----------------------------------------------------------------------------------------
# (a) optimizers

OPT_SEED = 3001
OPT_N = 50          # parameters
OPT_SPLIT = 30      # group 0 = [0, 30), group 1 = [30, 50)
OPT_STEPS = 5
BETA1, BETA2 = 0.9, 0.999
# Per-element gradient scale, cycled: small gradients make epsilon matter, which is
# where the Keras and torch forms differ. Element ZERO_GRAD always has gradient 0.
GRAD_SCALES = (1.0, 1e-2, 1e-5, 1e-7)
ZERO_GRAD = 7


def f32(x):
    """Round to the nearest float32 and return a python float / float64 array."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


# name -> (kind, eps, [(lr, weight decay) of group 0, group 1]); lr and wd float32-exact,
# because the C groups hold them as float.
OPTIMIZERS = OrderedDict([
    ("adam_keras", ("keras", 1e-7, [(1e-3, 0.0), (5e-4, 0.0)])),
    ("adam_torch", ("torch_adam", 1e-8, [(1e-3, 0.0), (5e-4, 0.0)])),
    ("adam_torch_l2", ("torch_adam", 1e-8, [(1e-3, 0.01), (5e-4, 0.05)])),
    ("adamw", ("torch_adamw", 1e-8, [(1e-3, 0.01), (5e-4, 0.05)])),
])


def optimizer_inputs(seed=OPT_SEED):
    """(params0 (N,), grads (STEPS, N)) float32-exact float64 arrays."""
    rng = np.random.default_rng(seed)
    p0 = f32(rng.standard_normal(OPT_N))
    scale = np.array([GRAD_SCALES[i % len(GRAD_SCALES)] for i in range(OPT_N)])
    g = rng.standard_normal((OPT_STEPS, OPT_N)) * scale
    g[:, ZERO_GRAD] = 0.0
    return p0, f32(g)


def run_keras_adam(p0, grads, groups, eps):
    """pat-spec §3.2 (keras/optimizers/adam.py) in numpy float64; Keras' decoupled weight
    decay (theta -= lr wd theta, applied first) when wd > 0."""
    p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    bounds = [(0, OPT_SPLIT), (OPT_SPLIT, OPT_N)]
    out = [p.copy()]
    for s, g in enumerate(grads):
        t = s + 1
        for (b, e), (lr, wd) in zip(bounds, groups):
            if wd > 0:
                p[b:e] -= p[b:e] * wd * lr
            m[b:e] += (g[b:e] - m[b:e]) * (1 - BETA1)
            v[b:e] += (g[b:e] ** 2 - v[b:e]) * (1 - BETA2)
            alpha = lr * np.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t)
            p[b:e] -= alpha * m[b:e] / (np.sqrt(v[b:e]) + eps)
        out.append(p.copy())
    return np.stack(out)


def run_torch(kind, p0, grads, groups, eps):
    """torch.optim.Adam / AdamW in float64 with two param groups (two tensors)."""
    t0 = torch.tensor(p0[:OPT_SPLIT], dtype=F64, requires_grad=True)
    t1 = torch.tensor(p0[OPT_SPLIT:], dtype=F64, requires_grad=True)
    pg = [{"params": [t], "lr": lr, "weight_decay": wd} for t, (lr, wd) in zip((t0, t1), groups)]
    cls = torch.optim.Adam if kind == "torch_adam" else torch.optim.AdamW
    opt = cls(pg, betas=(BETA1, BETA2), eps=eps)
    out = [p0.copy()]
    for g in grads:
        t0.grad = torch.tensor(g[:OPT_SPLIT], dtype=F64)
        t1.grad = torch.tensor(g[OPT_SPLIT:], dtype=F64)
        opt.step()
        out.append(np.concatenate([t0.detach().numpy(), t1.detach().numpy()]))
    return np.stack(out)


def optimizer_fixture(name):
    kind, eps, groups = OPTIMIZERS[name]
    groups = [(float(f32(lr)), float(f32(wd))) for lr, wd in groups]
    p0, grads = optimizer_inputs()
    if kind == "keras":
        params = run_keras_adam(p0, grads, groups, eps)
    else:
        params = run_torch(kind, p0, grads, groups, eps)
    meta = OrderedDict([
        ("optim.kind", name), ("optim.beta1", repr(BETA1)), ("optim.beta2", repr(BETA2)),
        ("optim.eps", repr(eps)), ("optim.steps", str(OPT_STEPS)),
        ("optim.num_groups", "2"),
        ("group.0.begin", "0"), ("group.0.end", str(OPT_SPLIT)),
        ("group.0.lr", repr(groups[0][0])), ("group.0.weight_decay", repr(groups[0][1])),
        ("group.1.begin", str(OPT_SPLIT)), ("group.1.end", str(OPT_N)),
        ("group.1.lr", repr(groups[1][0])), ("group.1.weight_decay", repr(groups[1][1])),
        ("source", SOURCE), ("reference.dtype", "float64"),
    ])
    return OrderedDict([("params", params), ("grads", grads)]), meta


# ----------------------------------------------------------------------------------------
# clipping and cosine schedule

CLIP_SEED = 3002
CLIP_MAX_NORM = 1.0
# Target norms: below (unchanged), far above, just below max_norm but within 1e-6 of it
# (torch still scales: coefficient max_norm/(norm+1e-6) < 1), and 2e-6 below (unchanged).
CLIP_TARGETS = (0.3, 7.5, 1.0 - 5e-7, 1.0 - 2e-6)


def clip_fixture():
    rng = np.random.default_rng(CLIP_SEED)
    ins, outs, norms = [], [], []
    for target in CLIP_TARGETS:
        g = rng.standard_normal(OPT_N)
        g = f32(g * target / np.linalg.norm(g))
        t0 = torch.tensor(g[:OPT_SPLIT], dtype=F64, requires_grad=True)
        t1 = torch.tensor(g[OPT_SPLIT:], dtype=F64, requires_grad=True)
        t0.grad, t1.grad = t0.detach().clone(), t1.detach().clone()
        norm = torch.nn.utils.clip_grad_norm_([t0, t1], CLIP_MAX_NORM).item()
        ins.append(g)
        outs.append(np.concatenate([t0.grad.numpy(), t1.grad.numpy()]))
        norms.append(norm)
    ins, outs = np.stack(ins), np.stack(outs)
    # the boundary case must actually be scaled by torch, the last one not
    assert not np.array_equal(ins[2], outs[2]) and np.array_equal(ins[3], outs[3])
    meta = OrderedDict([("clip.max_norm", repr(CLIP_MAX_NORM)), ("source", SOURCE),
                        ("reference.dtype", "float64")])
    return OrderedDict([("in", ins), ("out", outs), ("norm", np.array(norms))]), meta


COS_BASE, COS_ETA_MIN, COS_T_MAX, COS_EPOCHS = 3e-4, 1e-6, 7, 10


def cosine_fixture():
    p = torch.zeros(1, dtype=F64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=COS_BASE)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=COS_T_MAX, eta_min=COS_ETA_MIN)
    lrs = []
    for _ in range(COS_EPOCHS):
        lrs.append(opt.param_groups[0]["lr"])   # the lr used during this epoch
        opt.step()
        sched.step()
    meta = OrderedDict([("cosine.base", repr(COS_BASE)), ("cosine.eta_min", repr(COS_ETA_MIN)),
                        ("cosine.t_max", str(COS_T_MAX)), ("cosine.epochs", str(COS_EPOCHS)),
                        ("source", SOURCE), ("reference.dtype", "float64")])
    return OrderedDict([("lr", np.array(lrs))]), meta


# ----------------------------------------------------------------------------------------
# (b) whole-model gradients of a tiny PAT

TINY = {"patch_size": 4, "embed_dim": 8, "num_heads": 2, "key_dim": 4, "ff_dim": 16,
        "num_layers": 2}
GRAD_T, GRAD_B = 32, 3
GRAD_Y = np.array([1.0, 0.0, 1.0])
CLASS_WEIGHT = (0.4, 0.6)
POS_WEIGHT = 2.5
WEIGHT_SEEDS = {"dense": 4001, "conv": 4002}
X_SEED = 4003
FD_SEED = 4004


def tiny_config(embedding):
    return ref.Config(TINY["patch_size"], TINY["num_heads"], TINY["num_layers"], embedding,
                      TINY["embed_dim"], TINY["key_dim"], TINY["ff_dim"])


def normal_weights(cfg, seed):
    """One draw per tensor in canonical order (default_rng(seed)), float32:
    kernels and biases 0.3 N(0,1); LayerNorm gamma 1 + 0.1 N(0,1), beta 0.1 N(0,1)."""
    rng = np.random.default_rng(seed)
    out = OrderedDict()
    for name, shape in ref.param_specs(cfg, head=True):
        z = rng.standard_normal(shape)
        leaf = name.rsplit("/", 1)[1]
        if leaf == "gamma":
            w = 1.0 + 0.1 * z
        elif leaf == "beta":
            w = 0.1 * z
        else:
            w = 0.3 * z
        out[name] = w.astype(np.float32)
    return out


def loss_fn(kind, logits, y):
    """keras_class_weight: sum_i w_{y_i} l_i / B with l the BCE on logits
    (log(1+e^-|z|) + max(z,0) - z y); pos_weight: BCEWithLogitsLoss(pos_weight), mean."""
    if kind == "keras_class_weight":
        w = torch.where(y > 0.5, torch.tensor(CLASS_WEIGHT[1], dtype=F64),
                        torch.tensor(CLASS_WEIGHT[0], dtype=F64))
        ell = torch.log1p(torch.exp(-logits.abs())) + torch.clamp(logits, min=0) - logits * y
        return (w * ell).sum() / logits.shape[0]
    if kind == "pos_weight":
        return torch.nn.functional.binary_cross_entropy_with_logits(
            logits, y, pos_weight=torch.tensor(POS_WEIGHT, dtype=F64), reduction="mean")
    raise ValueError(kind)


def check_losses(logits, y):
    """Cross-check both losses against independent formulations."""
    z, yy = logits.detach(), y
    w = torch.tensor([CLASS_WEIGHT[int(v)] for v in yy.tolist()], dtype=F64)
    a = loss_fn("keras_class_weight", z, yy).item()
    b = (torch.nn.functional.binary_cross_entropy_with_logits(z, yy, weight=w, reduction="sum")
         / z.shape[0]).item()
    assert abs(a - b) < 1e-14, (a, b)
    sig = torch.sigmoid(z)
    c = (-(POS_WEIGHT * yy * torch.log(sig) + (1 - yy) * torch.log(1 - sig))).mean().item()
    d = loss_fn("pos_weight", z, yy).item()
    assert abs(c - d) < 1e-13, (c, d)


def finite_difference_check(model, x, y, kind, grads, n_per_tensor=2, h=1e-6):
    """Central differences on n_per_tensor random entries of every tensor; returns the
    largest |fd - autograd|."""
    rng = np.random.default_rng(FD_SEED)
    worst = 0.0
    with torch.no_grad():
        for name, p in model.params.items():
            flat = p.view(-1)
            for idx in rng.choice(flat.numel(), size=min(n_per_tensor, flat.numel()),
                                  replace=False):
                old = flat[idx].item()
                flat[idx] = old + h
                up = loss_fn(kind, model.forward(x)["logit"], y).item()
                flat[idx] = old - h
                down = loss_fn(kind, model.forward(x)["logit"], y).item()
                flat[idx] = old
                fd = (up - down) / (2 * h)
                err = abs(fd - grads[name].reshape(-1)[idx])
                worst = max(worst, err)
                assert err < 1e-7 + 1e-6 * abs(fd), (name, int(idx), fd, grads[name].reshape(-1)[idx])
    return worst


def grad_fixture(embedding, kind):
    cfg = tiny_config(embedding)
    weights = normal_weights(cfg, WEIGHT_SEEDS[embedding])
    x_np = np.random.default_rng(X_SEED).standard_normal((GRAD_B, GRAD_T)).astype(np.float32)
    model = ref.PATReference(weights, cfg, dtype=F64, requires_grad=True)
    x = torch.tensor(x_np, dtype=F64)
    y = torch.tensor(GRAD_Y, dtype=F64)
    logits = model.forward(x)["logit"]
    check_losses(logits, y)
    loss = loss_fn(kind, logits, y)
    loss.backward()
    grads = OrderedDict((n, p.grad.detach().numpy().copy()) for n, p in model.params.items())
    fd_err = finite_difference_check(model, x, y, kind, grads)
    tensors = OrderedDict(weights)
    tensors["input/x"] = x_np
    tensors["input/y"] = GRAD_Y
    tensors["logits"] = logits.detach().numpy()
    tensors["loss"] = np.array([loss.item()])
    for n, g in grads.items():
        tensors["grad/" + n] = g
    meta = cfg.metadata()
    meta["loss.kind"] = kind
    if kind == "keras_class_weight":
        meta["loss.class_weight.0"] = repr(CLASS_WEIGHT[0])
        meta["loss.class_weight.1"] = repr(CLASS_WEIGHT[1])
        meta["loss.reduction"] = "sum_i w[y_i] * bce(z_i, y_i) / B"
    else:
        meta["loss.pos_weight"] = repr(POS_WEIGHT)
        meta["loss.reduction"] = "mean_i -(pos_weight y_i log s(z_i) + (1 - y_i) log(1 - s(z_i)))"
    meta["reference.dtype"] = "float64"
    meta["source"] = SOURCE
    return tensors, meta, fd_err


# ----------------------------------------------------------------------------------------

def check_discriminates(params):
    """The optimizer fixtures must differ from each other far beyond the C tolerance, so a
    wrong form (epsilon placement, decay kind) cannot pass."""
    names = list(params)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            d = np.abs(params[a][-1] - params[b][-1]).max()
            assert d > 1e-5, (a, b, d)


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(repo, "tests", "fixtures", "train"))
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)

    finals = OrderedDict()
    for name in OPTIMIZERS:
        tensors, meta = optimizer_fixture(name)
        finals[name] = tensors["params"]
        ref.write_safetensors(os.path.join(a.out, name + ".safetensors"), tensors, meta)
        print(f"{name}: {OPT_STEPS} steps, final |delta| max "
              f"{np.abs(tensors['params'][-1] - tensors['params'][0]).max():.3e}")
    check_discriminates(finals)

    tensors, meta = clip_fixture()
    ref.write_safetensors(os.path.join(a.out, "clip.safetensors"), tensors, meta)
    print("clip: norms", ", ".join("%.9g" % v for v in tensors["norm"]))
    tensors, meta = cosine_fixture()
    ref.write_safetensors(os.path.join(a.out, "cosine.safetensors"), tensors, meta)
    print("cosine: lr", ", ".join("%.6g" % v for v in tensors["lr"]))

    for embedding in ("dense", "conv"):
        for kind, short in (("keras_class_weight", "class_weight"), ("pos_weight", "pos_weight")):
            tensors, meta, fd_err = grad_fixture(embedding, kind)
            path = os.path.join(a.out, f"grad_{embedding}_{short}.safetensors")
            ref.write_safetensors(path, tensors, meta)
            print(f"grad_{embedding}_{short}: loss {tensors['loss'][0]:.9g}, logits "
                  + ", ".join("%.6g" % v for v in tensors["logits"])
                  + f", finite differences max |err| {fd_err:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
