#!/usr/bin/python3
"""One benchmark job through the independent PyTorch reference, in its own process.

    ref_job.py infer ARCH BATCH REPS THREADS   PATReference.forward on BATCH one-week rows
    ref_job.py train ARCH BATCH STEPS THREADS  STEPS fine-tuning steps of BATCH rows
    ref_job.py pretrain ARCH BATCH STEPS THREADS  STEPS masked-autoencoder steps (MAEReference:
                                               mask 0.9, one permutation per batch, MSE over
                                               all minutes, torch.optim.Adam)

The same jobs as bench/bench_job.c, in float32 (what pat computes in) with
torch.set_num_threads(THREADS). Training is autograd through PATReference: weighted
binary cross-entropy on the logits, backward, torch.optim.Adam step (the reference has
no dropout). Prints one key=value line, as bench_job does, with maxrss_kb from
getrusage. Run with Debian's interpreter (/usr/bin/python3), which has python3-torch.
"""

import os
import resource
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "tools", "reference"))
import pat_reference as ref  # noqa: E402

T = 10080  # one week of minutes


def make_model(arch, requires_grad=False):
    cfg = ref.Config.from_arch(arch.lower())
    weights = ref.random_weights(cfg, seed=1, head=True)
    return ref.PATReference(weights, cfg, dtype=torch.float32, requires_grad=requires_grad)


def inputs(n, seed=7):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, T, generator=g, dtype=torch.float32)


def job_infer(arch, batch, reps):
    model = make_model(arch)
    x = inputs(batch)
    with torch.no_grad():
        model.forward(x)                         # warm-up, as bench_job does
        t0 = time.perf_counter()
        for _ in range(reps):
            model.forward(x)["prob"]
        return time.perf_counter() - t0


def job_train(arch, batch, steps):
    model = make_model(arch, requires_grad=True)
    params = list(model.params.values())
    opt = torch.optim.Adam(params, lr=1e-5)
    x = inputs(batch * steps)
    y = torch.tensor([float(i % 2) for i in range(batch * steps)])
    weight = torch.where(y == 1, torch.tensor(0.5), torch.tensor(0.5))
    t0 = time.perf_counter()
    for s in range(steps):
        sl = slice(s * batch, (s + 1) * batch)
        opt.zero_grad()
        logit = model.forward(x[sl])["logit"]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logit, y[sl], weight=weight[sl], reduction="sum") / batch
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def job_pretrain(arch, batch, steps):
    cfg = ref.Config.from_arch(arch.lower())
    weights = ref.random_weights(cfg, seed=1, head=False)
    rng = np.random.default_rng(1)
    for name, shape in ref.mae_extra_specs(cfg):
        weights[name] = (rng.standard_normal(shape) * 0.05).astype(np.float32)
    model = ref.MAEReference(weights, cfg, dtype=torch.float32, requires_grad=True)
    opt = torch.optim.Adam(list(model.params.values()), lr=1e-3)
    x = inputs(batch * steps)
    N = T // cfg.patch_size
    t0 = time.perf_counter()
    for s in range(steps):
        opt.zero_grad()
        perm = rng.permutation(N)
        loss = model.forward(x[s * batch:(s + 1) * batch], perm, 0.9)["loss"]
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


JOBS = {"infer": job_infer, "train": job_train, "pretrain": job_pretrain}


def main(argv):
    if len(argv) != 6 or argv[1] not in JOBS:
        print(__doc__, file=sys.stderr)
        return 2
    job, arch, batch, reps, threads = argv[1], argv[2], int(argv[3]), int(argv[4]), int(argv[5])
    torch.set_num_threads(threads)
    np.random.seed(0)
    sec = JOBS[job](arch, batch, reps)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"job={job} arch={arch} batch={batch} reps={reps} seconds={sec:.4f} "
          f"seq_per_s={batch * reps / sec:.4f} maxrss_kb={rss}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
