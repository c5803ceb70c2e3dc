#!/usr/bin/python3
"""Independent PyTorch reference of the PAT forward pass (Ruan et al. 2024).

Written from /work/shared/docs/pat-spec.md (sections cited as "spec §x.y") and the
weight-file contract in docs/architecture.md ("Weight files"), without looking at the
C implementation, so that the two can check each other.

What it provides
  * ARCHS / Config / param_specs()   the six architectures and the tensor names, shapes
                                     and canonical order of the safetensors contract
  * positional_encoding()            spec §2.3, computed in float32 like TensorFlow
  * PATReference                     the model: patch embedding (dense or conv), L post-norm
                                     blocks with Keras MultiHeadAttention semantics, mean
                                     pooling, fine-tune head, attention explanation profile
  * read/write_safetensors(), read/write_keras_h5()   weight files (Keras-2 legacy H5, §2.8)
  * random_weights()                 the quantized random weights used for test fixtures
  * selftest()                       the self-checks (also: `pat_reference.py --selftest`)

Command line
  pat_reference.py embed   --weights W.(safetensors|h5)[.gz] -i X.csv -o OUT.csv
  pat_reference.py predict --weights W ... ;  pat_reference.py explain --weights W ...
  pat_reference.py convert --weights IN.(h5|safetensors) -o OUT.(safetensors|h5)
  pat_reference.py --selftest

X.csv holds one sequence per row, comma-separated, no header. Values are parsed into
float32 (what the C tool sees) and then computed in --dtype (float64 by default).
Outputs are printed with '%.9g': embed 96 values per row, predict one probability per
line, explain N = T/P values per row.

Only Debian's Python has the needed modules: run it with /usr/bin/python3.
"""

import argparse
import gzip
import io
import json
import math
import os
import struct
import sys
import tempfile
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch

# ----------------------------------------------------------------------------------------
# Architectures (spec §1.1).  E (embed), K (key dim per head) and F (ff) are fixed.

EMBED_DIM = 96      # E
KEY_DIM = 96        # K: key_dim = embed_dim PER HEAD (spec §1.1, pitfall 11)
FF_DIM = 256        # F
LN_EPS = 1e-6       # LayerNormalization epsilon (spec §2.4, pitfall 12)
CONV_KERNEL = 3     # Conv1D kernel size of the conv variants (spec §2.2)
HEAD_HIDDEN = 128   # Dense(128) of the fine-tuning head (spec §2.6)

# name -> (patch_size P, num_heads H, num_layers L, embedding)
ARCHS = OrderedDict([
    ("s", (18, 6, 1, "dense")),
    ("m", (18, 12, 2, "dense")),
    ("l", (9, 12, 4, "dense")),
    ("conv-s", (18, 6, 1, "conv")),
    ("conv-m", (18, 12, 2, "conv")),
    ("conv-l", (9, 12, 4, "conv")),
])

# Exact parameter counts of spec §1.2 (encoder only; head adds HEAD_PARAMS).
ENCODER_PARAMS = {"s": 274720, "m": 993440, "l": 1984192,
                  "conv-s": 273280, "conv-m": 992000, "conv-l": 1983616}
HEAD_PARAMS = 12545


@dataclass(frozen=True)
class Config:
    patch_size: int
    num_heads: int
    num_layers: int
    embedding: str = "dense"          # "dense" (PAT-S/M/L) or "conv" (PAT Conv-S/M/L)
    embed_dim: int = EMBED_DIM
    key_dim: int = KEY_DIM
    ff_dim: int = FF_DIM

    @staticmethod
    def from_arch(name):
        p, h, l, emb = ARCHS[name]
        return Config(p, h, l, emb)

    def metadata(self):
        """The safetensors `__metadata__` strings of the contract."""
        return OrderedDict([
            ("pat.patch_size", str(self.patch_size)),
            ("pat.embed_dim", str(self.embed_dim)),
            ("pat.num_heads", str(self.num_heads)),
            ("pat.num_layers", str(self.num_layers)),
            ("pat.ff_dim", str(self.ff_dim)),
            ("pat.embedding", self.embedding),
            ("pat.key_dim", str(self.key_dim)),
        ])


def block_prefix(i):
    """Name prefixes of block i (1-based): (group, attention, layer prefix) — spec §2.8."""
    return (f"encoder_layer_{i}_transformer",
            f"encoder_layer_{i}_transformer/encoder_layer_{i}_attention",
            f"encoder_layer_{i}_transformer/encoder_layer_{i}")


def param_specs(cfg, head=True):
    """Ordered list of (safetensors name, shape): the contract's canonical tensor order.

    Order: patch embedding kernel, bias; per block: query k,b, key k,b, value k,b,
    attention_output k,b, norm1 gamma,beta, ff1 k,b, ff2 k,b, norm2 gamma,beta;
    then head dense_128 k,b, output k,b.
    """
    E, K, F, H, P = cfg.embed_dim, cfg.key_dim, cfg.ff_dim, cfg.num_heads, cfg.patch_size
    specs = []
    if cfg.embedding == "dense":
        specs += [("dense/dense/kernel", (P, E)), ("dense/dense/bias", (E,))]
    elif cfg.embedding == "conv":
        specs += [("conv1d_patch_embedding/conv1d/kernel", (CONV_KERNEL, 1, E)),
                  ("conv1d_patch_embedding/conv1d/bias", (E,))]
    else:
        raise ValueError(f"unknown embedding {cfg.embedding!r}")
    for i in range(1, cfg.num_layers + 1):
        _, att, pre = block_prefix(i)
        for proj in ("query", "key", "value"):
            specs += [(f"{att}/{proj}/kernel", (E, H, K)), (f"{att}/{proj}/bias", (H, K))]
        specs += [(f"{att}/attention_output/kernel", (H, K, E)),
                  (f"{att}/attention_output/bias", (E,)),
                  (f"{pre}_norm1/gamma", (E,)), (f"{pre}_norm1/beta", (E,)),
                  (f"{pre}_ff1/kernel", (E, F)), (f"{pre}_ff1/bias", (F,)),
                  (f"{pre}_ff2/kernel", (F, E)), (f"{pre}_ff2/bias", (E,)),
                  (f"{pre}_norm2/gamma", (E,)), (f"{pre}_norm2/beta", (E,))]
    if head:
        specs += head_specs(cfg)
    return specs


def head_specs(cfg):
    E = cfg.embed_dim
    return [("head/dense_128/kernel", (E, HEAD_HIDDEN)), ("head/dense_128/bias", (HEAD_HIDDEN,)),
            ("head/output/kernel", (HEAD_HIDDEN, 1)), ("head/output/bias", (1,))]


def count_params(cfg, head=False):
    return sum(int(np.prod(s)) for _, s in param_specs(cfg, head=head))


def infer_config(weights, metadata=None, patch_size=None):
    """Architecture from safetensors metadata if present, else from tensor shapes (spec §10.1).

    The conv kernel (3,1,96) does not reveal P; without metadata (Keras H5) P is taken
    from the standard size with the same (H, L), or from `patch_size`.
    """
    md = metadata or {}
    if "pat.patch_size" in md:
        cfg = Config(int(md["pat.patch_size"]), int(md["pat.num_heads"]),
                     int(md["pat.num_layers"]), md.get("pat.embedding", "dense"),
                     int(md.get("pat.embed_dim", EMBED_DIM)), int(md.get("pat.key_dim", KEY_DIM)),
                     int(md.get("pat.ff_dim", FF_DIM)))
        if patch_size is not None and patch_size != cfg.patch_size:
            raise ValueError("--patch-size disagrees with the file's pat.patch_size")
        return cfg
    L = 0
    while f"{block_prefix(L + 1)[1]}/query/kernel" in weights:
        L += 1
    if L == 0:
        raise ValueError("no encoder_layer_1 attention weights found")
    H = weights[f"{block_prefix(1)[1]}/query/kernel"].shape[1]
    if "dense/dense/kernel" in weights:
        emb, P = "dense", weights["dense/dense/kernel"].shape[0]
        if patch_size is not None and patch_size != P:
            raise ValueError("--patch-size disagrees with dense/dense/kernel rows")
    elif "conv1d_patch_embedding/conv1d/kernel" in weights:
        emb, P = "conv", patch_size
        if P is None:
            std = [a for a, (p, h, l, e) in ARCHS.items() if e == "conv" and (h, l) == (H, L)]
            if len(std) != 1:
                raise ValueError("conv model of non-standard size: give --patch-size")
            P = ARCHS[std[0]][0]
    else:
        raise ValueError("no patch embedding weights found")
    return Config(P, H, L, emb)


# ----------------------------------------------------------------------------------------
# Positional encoding (spec §2.3)

def positional_encoding(num_patches, embed_dim=EMBED_DIM):
    """Fixed sinusoidal PE, concatenated [sin(p·w_i) for i<E/2 | cos(p·w_i) for i<E/2].

    Computed with float32 tensors exactly as the notebook's TF code does:
      position = range(N) (float32); div_term = exp(range(0,E,2) * (-log(10000)/E)).
    Returns a float32 numpy array (N, E); callers cast to their compute dtype.
    """
    f32 = torch.float32
    position = torch.arange(num_patches, dtype=f32)[:, None]
    neg_log_over_e = -torch.log(torch.tensor(10000.0, dtype=f32)) / embed_dim  # float32 op
    div_term = torch.exp(torch.arange(0, embed_dim, 2, dtype=f32) * neg_log_over_e)
    angles = position * div_term                                            # (N, E/2) float32
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1).numpy()


# ----------------------------------------------------------------------------------------
# The model

def layer_norm(z, gamma, beta, eps=LN_EPS):
    """Keras LayerNormalization over the last axis: biased variance, eps inside sqrt (§2.4)."""
    mu = z.mean(dim=-1, keepdim=True)
    var = ((z - mu) ** 2).mean(dim=-1, keepdim=True)
    return (z - mu) / torch.sqrt(var + eps) * gamma + beta


def multi_head_attention(x, wq, bq, wk, bk, wv, bv, wo, bo, key_dim=KEY_DIM):
    """Keras MultiHeadAttention(x, x) without dropout (spec §2.4 steps 1-6).

    x (B,T,E); wq/wk/wv (E,H,K); bq/bk/bv (H,K); wo (H,K,E); bo (E).
    Returns (out (B,T,E), A (B,H,T,T) post-softmax, rows = queries, columns = keys).
    """
    q = torch.einsum("btc,chk->bthk", x, wq) + bq          # EinsumDense abc,cde->abde
    k = torch.einsum("btc,chk->bthk", x, wk) + bk
    v = torch.einsum("btc,chk->bthk", x, wv) + bv
    q = q * (1.0 / math.sqrt(float(key_dim)))              # Keras scales the QUERY first
    scores = torch.einsum("bshk,bthk->bhts", k, q)         # aecd,abcd->acbe: (B,H,Tq,Tk)
    attn = torch.softmax(scores, dim=-1)                   # over keys; no mask, no dropout
    ctx = torch.einsum("bhts,bshk->bthk", attn, v)         # acbe,aecd->abcd
    out = torch.einsum("bthk,hke->bte", ctx, wo) + bo      # EinsumDense abcd,cde->abe
    return out, attn


class PATReference:
    """PAT encoder (+ optional fine-tuning head) on a dict of numpy arrays.

    `weights` is keyed by the safetensors contract names (see param_specs); extra keys
    `scaler/mean`, `scaler/std` (length T) enable per-minute standardization.
    Parameters are held in `self.params` as torch tensors of `dtype`; set
    `requires_grad=True` to get autograd gradients.
    """

    def __init__(self, weights, config=None, dtype=torch.float64, requires_grad=False):
        self.cfg = config or infer_config(weights)
        self.dtype = dtype
        self.has_head = all(n in weights for n, _ in head_specs(self.cfg))
        self.params = OrderedDict()
        for name, shape in param_specs(self.cfg, head=self.has_head):
            if name not in weights:
                raise KeyError(f"missing tensor {name}")
            w = np.asarray(weights[name])
            if tuple(w.shape) != tuple(shape):
                raise ValueError(f"tensor {name}: shape {w.shape}, expected {shape}")
            self.params[name] = torch.tensor(w, dtype=dtype, requires_grad=requires_grad)
        self.scaler = None
        if "scaler/mean" in weights or "scaler/std" in weights:
            mean, std = np.asarray(weights["scaler/mean"]), np.asarray(weights["scaler/std"])
            if mean.shape != std.shape or mean.ndim != 1:
                raise ValueError("scaler/mean and scaler/std must be 1-D of equal length")
            self.scaler = (torch.tensor(mean, dtype=dtype), torch.tensor(std, dtype=dtype))
        self._pe_cache = {}

    def num_params(self):
        return sum(p.numel() for p in self.params.values())

    def pe(self, n):
        if n not in self._pe_cache:
            self._pe_cache[n] = torch.tensor(positional_encoding(n, self.cfg.embed_dim),
                                             dtype=self.dtype)
        return self._pe_cache[n]

    # -- encoder pieces -------------------------------------------------------------------

    def standardize(self, x):
        """Optional per-minute scaler: (x - mean) / std (contract: scaler/mean, scaler/std)."""
        if self.scaler is None:
            return x
        mean, std = self.scaler
        if x.shape[-1] != mean.shape[0]:
            raise ValueError(f"input length {x.shape[-1]} != scaler length {mean.shape[0]}")
        return (x - mean) / std

    def patch_embed(self, x):
        """(B,T) -> (B,N,E). C-order patching (§2.1); dense (§2.1) or conv (§2.2) embedding."""
        B, T = x.shape
        P = self.cfg.patch_size
        if T % P != 0:
            raise ValueError(f"input length {T} is not a multiple of the patch size {P}")
        u = x.reshape(B, T // P, P)                       # patch p = x[p*P : p*P+P]
        if self.cfg.embedding == "dense":
            return u @ self.params["dense/dense/kernel"] + self.params["dense/dense/bias"]
        # Conv1D(E, k=3, 'same', ReLU) inside each patch, zero padded, then mean over the P
        # positions.  Kernel (3,1,E) is applied as a cross-correlation (no flip):
        # c[t,f] = relu(b[f] + K[0,0,f] u[t-1] + K[1,0,f] u[t] + K[2,0,f] u[t+1]).
        kern = self.params["conv1d_patch_embedding/conv1d/kernel"]     # (3,1,E)
        bias = self.params["conv1d_patch_embedding/conv1d/bias"]       # (E,)
        up = torch.nn.functional.pad(u, (1, 1))                        # u[-1] = u[P] = 0
        c = (up[..., :-2, None] * kern[0, 0] + up[..., 1:-1, None] * kern[1, 0]
             + up[..., 2:, None] * kern[2, 0] + bias)                  # (B,N,P,E)
        return torch.relu(c).mean(dim=2)

    def block(self, h, i):
        """Post-norm transformer block i (1-based), spec §2.4. Returns (y, attention)."""
        p = self.params
        _, att, pre = block_prefix(i)
        a, attn = multi_head_attention(
            h, p[f"{att}/query/kernel"], p[f"{att}/query/bias"],
            p[f"{att}/key/kernel"], p[f"{att}/key/bias"],
            p[f"{att}/value/kernel"], p[f"{att}/value/bias"],
            p[f"{att}/attention_output/kernel"], p[f"{att}/attention_output/bias"],
            key_dim=self.cfg.key_dim)
        out1 = layer_norm(h + a, p[f"{pre}_norm1/gamma"], p[f"{pre}_norm1/beta"])
        ff = torch.relu(out1 @ p[f"{pre}_ff1/kernel"] + p[f"{pre}_ff1/bias"])
        ff = ff @ p[f"{pre}_ff2/kernel"] + p[f"{pre}_ff2/bias"]
        y = layer_norm(out1 + ff, p[f"{pre}_norm2/gamma"], p[f"{pre}_norm2/beta"])
        return y, attn

    def encode(self, x):
        """(B,T) -> (last block output (B,N,E), last block attention (B,H,N,N)) — §2.5."""
        x = self.standardize(x)
        h = self.patch_embed(x)
        h = h + self.pe(h.shape[1])                      # PE added once, no dropout (§2.3)
        attn = None
        for i in range(1, self.cfg.num_layers + 1):
            h, attn = self.block(h, i)
        return h, attn

    # -- outputs --------------------------------------------------------------------------

    def head(self, emb):
        """Fine-tuning head on the pooled embedding (§2.6): returns the logit (B,)."""
        if not self.has_head:
            raise ValueError("model has no head (head/dense_128, head/output)")
        p = self.params
        z = torch.relu(emb @ p["head/dense_128/kernel"] + p["head/dense_128/bias"])
        return (z @ p["head/output/kernel"] + p["head/output/bias"])[:, 0]

    @staticmethod
    def explanation(attn):
        """Explanation profile (spec §7): attention each KEY receives in the last block,
        summed over queries, averaged over heads, normalised to sum 1. (B,H,N,N) -> (B,N)."""
        prof = attn.sum(dim=2).mean(dim=1)
        return prof / prof.sum(dim=-1, keepdim=True)

    def forward(self, x):
        """x: (B,T) tensor of self.dtype. Returns dict with embedding (B,E), explain (B,N),
        and, with a head, logit (B,) and prob (B,)."""
        h, attn = self.encode(x)
        emb = h.mean(dim=1)                              # GlobalAveragePooling1D over tokens
        out = {"embedding": emb, "explain": self.explanation(attn)}
        if self.has_head:
            out["logit"] = self.head(emb)
            out["prob"] = torch.sigmoid(out["logit"])
        return out

    def run(self, x, batch_size=1):
        """numpy (B,T) -> dict of numpy arrays, evaluated in batches without autograd."""
        x = np.asarray(x)
        if x.ndim == 1:
            x = x[None]
        parts = []
        with torch.no_grad():
            for s in range(0, x.shape[0], batch_size):
                xt = torch.tensor(x[s:s + batch_size], dtype=self.dtype)
                parts.append({k: v.numpy() for k, v in self.forward(xt).items()})
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


# ----------------------------------------------------------------------------------------
# Weight files

def _open_maybe_gz(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    return data


_ST_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16}


def read_safetensors(path):
    """Returns (OrderedDict name -> numpy array, metadata dict). `.gz` is decompressed."""
    data = _open_maybe_gz(path)
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (hlen,) = struct.unpack("<Q", data[:8])
    if hlen > len(data) - 8:
        raise ValueError(f"{path}: header length {hlen} beyond end of file")
    header = json.loads(data[8:8 + hlen].decode("utf-8"), object_pairs_hook=OrderedDict)
    meta = header.pop("__metadata__", {}) or {}
    body = memoryview(data)[8 + hlen:]
    tensors = OrderedDict()
    for name, info in header.items():
        dt = np.dtype(_ST_DTYPES[info["dtype"]]).newbyteorder("<")
        shape = tuple(info["shape"])
        b, e = info["data_offsets"]
        if not (0 <= b <= e <= len(body)) or e - b != dt.itemsize * int(np.prod(shape)):
            raise ValueError(f"{path}: bad data_offsets for {name}")
        tensors[name] = np.frombuffer(body[b:e], dtype=dt).reshape(shape).astype(dt.newbyteorder("="))
    return tensors, dict(meta)


def write_safetensors(path, tensors, metadata=None):
    """Write float32 tensors in the given order; header JSON padded with spaces to 8 bytes."""
    header = OrderedDict()
    if metadata:
        header["__metadata__"] = OrderedDict((str(k), str(v)) for k, v in metadata.items())
    blobs, offset = [], 0
    for name, arr in tensors.items():
        a = np.ascontiguousarray(np.asarray(arr, dtype="<f4"))
        header[name] = OrderedDict([("dtype", "F32"), ("shape", list(a.shape)),
                                    ("data_offsets", [offset, offset + a.nbytes])])
        blobs.append(a.tobytes())
        offset += a.nbytes
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * (-len(hjson) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


# Keras-2 legacy H5 (spec §2.8).  Safetensors names are the H5 dataset paths without ':0',
# except the head: head/dense_128/... <-> dense_128/dense_128/..., head/output/... <-> output/output/...

def _st_name(h5path):
    name = h5path[:-2] if h5path.endswith(":0") else h5path
    first = name.split("/")[0]
    if first in ("dense_128", "output"):
        name = "head/" + name[len(first) + 1:]
    return name


def read_keras_h5(path):
    """Read every float dataset of a Keras-2 legacy weights file; returns a dict keyed by
    safetensors names (':0' stripped, head remapped). Groups like top_level_model_weights
    that hold no datasets contribute nothing."""
    import h5py
    src = io.BytesIO(_open_maybe_gz(path)) if path.endswith(".gz") else path
    out = OrderedDict()
    with h5py.File(src, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[_st_name(name)] = np.asarray(obj[...], dtype=np.float32)
        f.visititems(visit)
    return out


def keras_layers(cfg, head=True):
    """Model-order list of (layer name, [weight names]) of the Keras-2 save_weights file.

    Weight names are the variable names inside each layer (`dense/kernel:0`, ...); the
    dataset path is `{layer}/{weight name}`.
    """
    layers = [("inputs", []), ("reshape", [])]
    if cfg.embedding == "dense":
        layers.append(("dense", ["dense/kernel:0", "dense/bias:0"]))
    else:
        layers += [("add_channel_dim", []),
                   ("conv1d_patch_embedding", ["conv1d/kernel:0", "conv1d/bias:0"]),
                   ("global_avg_pooling", [])]
    layers.append(("tf.__operators__.add", []))
    for i in range(1, cfg.num_layers + 1):
        grp = block_prefix(i)[0] + "/"
        names = [n[len(grp):] + ":0" for n, _ in param_specs(cfg, head=False) if n.startswith(grp)]
        layers.append((block_prefix(i)[0], names))
    if head:
        layers += [("global_avg_pool", []), ("dropout", []),
                   ("dense_128", ["dense_128/kernel:0", "dense_128/bias:0"]),
                   ("output", ["output/kernel:0", "output/bias:0"])]
    return layers


def write_keras_h5(path, weights, cfg, head=None, keras_version="2.15.0", strings="keras"):
    """Write a Keras-2 legacy `save_weights` HDF5 file (spec §2.8).

    Mimics keras/saving/legacy/hdf5_format.py save_weights_to_hdf5_group: root attrs
    `layer_names` (model order), `backend`, `keras_version`; one group per layer, created
    in sorted name order, each with attr `weight_names`; datasets `{layer}/{weight name}`,
    float32, contiguous, uncompressed (h5py defaults); finally an empty
    `top_level_model_weights` group (Keras >= 2.13 writes it).

    strings="keras": exactly what Keras does with h5py 3 — it assigns Python lists and
      bytes, so layer_names / weight_names become 1-D variable-length ASCII string arrays,
      backend / keras_version scalar variable-length ASCII strings, and the weight_names of
      a weightless layer (an empty list) an empty float64 array of shape (0,).
    strings="fixed": numpy fixed-length byte strings ('S..', NULLPAD) everywhere; empty
      weight_names = np.array([], dtype='S1') (what h5py 2 / np.asarray would give).
    An importer must accept both.
    """
    import h5py
    if strings not in ("keras", "fixed"):
        raise ValueError("strings must be 'keras' or 'fixed'")
    if head is None:
        head = all(n in weights for n, _ in head_specs(cfg))
    layers = keras_layers(cfg, head=head)

    def names(lst):
        b = [n.encode("utf8") for n in lst]
        if strings == "keras":
            return b                                   # list: vlen strings, [] -> float64
        return np.asarray(b) if b else np.array([], dtype="S1")

    def scalar(txt):
        return txt.encode("utf8") if strings == "keras" else np.bytes_(txt.encode("utf8"))

    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = names([n for n, _ in layers])
        f.attrs["backend"] = scalar("tensorflow")
        f.attrs["keras_version"] = scalar(keras_version)
        for lname, wnames in sorted(layers, key=lambda t: t[0]):
            g = f.create_group(lname)
            g.attrs["weight_names"] = names(wnames)
            for w in wnames:
                # dataset path {lname}/{w}; safetensors name: same without ':0', except
                # the head layers, whose names are head/{w without ':0'}
                st = "head/" + w[:-2] if lname in ("dense_128", "output") else f"{lname}/{w[:-2]}"
                val = np.asarray(weights[st], dtype=np.float32)
                d = g.create_dataset(w, val.shape, dtype=np.float32)
                d[...] = val
        g = f.create_group("top_level_model_weights")
        g.attrs["weight_names"] = names([])


def read_weights(path):
    """(weights dict, metadata dict) from .safetensors / .h5 (optionally .gz)."""
    base = path[:-3] if path.endswith(".gz") else path
    if base.endswith(".safetensors"):
        return read_safetensors(path)
    if base.endswith((".h5", ".hdf5")):
        return read_keras_h5(path), {}
    raise ValueError(f"{path}: unknown weight file extension")


def load_model(path, dtype=torch.float64, patch_size=None, requires_grad=False):
    weights, meta = read_weights(path)
    cfg = infer_config(weights, meta, patch_size)
    return PATReference(weights, cfg, dtype=dtype, requires_grad=requires_grad)


# ----------------------------------------------------------------------------------------
# Quantized random weights (test fixtures)

def glorot_limit(shape):
    """Keras glorot_uniform limit sqrt(6/(fan_in+fan_out)) with Keras fans:
    rank 2: (in, out); rank > 2: r = prod(shape[:-2]), fan_in = shape[-2]*r, fan_out = shape[-1]*r."""
    if len(shape) == 2:
        fan_in, fan_out = shape
    else:
        r = int(np.prod(shape[:-2]))
        fan_in, fan_out = shape[-2] * r, shape[-1] * r
    return math.sqrt(6.0 / (fan_in + fan_out))


QK_SHARPEN = 8.0   # extra scale of the query and key kernels in fixture weights


def random_weights(cfg, seed, head=True):
    """Every value = scale * k / 4, k uniform integer in [-4, 4] (numpy default_rng(seed),
    one draw per tensor in contract order), stored as float32:
      kernels: scale = glorot limit, times QK_SHARPEN for the query and key kernels;
      biases: scale = 0.1; LayerNorm gamma = 1 + 0.1*k/4, beta = 0.1*k/4.
    With plain glorot limits the attention logits are ~0.02 and every softmax row is
    almost uniform, so a wrong scale, a query/key swap or a softmax over the wrong axis
    would move the outputs by little; QK_SHARPEN makes the attention clearly peaked."""
    rng = np.random.default_rng(seed)
    out = OrderedDict()
    for name, shape in param_specs(cfg, head=head):
        k = rng.integers(-4, 5, size=shape).astype(np.float64)
        leaf = name.rsplit("/", 1)[1]
        if leaf == "kernel":
            v = glorot_limit(shape) * k / 4
            if "/query/" in name or "/key/" in name:
                v = v * QK_SHARPEN
        elif leaf == "gamma":
            v = 1.0 + 0.1 * k / 4
        else:                                      # bias, beta
            v = 0.1 * k / 4
        out[name] = v.astype(np.float32)
    return out


# ----------------------------------------------------------------------------------------
# CSV helpers

def read_csv(path):
    """One sequence per row, comma-separated, no header -> float32 (B,T)."""
    rows = []
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            rows.append(np.array([float(v) for v in line.split(",")], dtype=np.float32))
    if not rows:
        raise ValueError(f"{path}: no rows")
    if len({len(r) for r in rows}) != 1:
        raise ValueError(f"{path}: rows of different lengths")
    return np.stack(rows)


def write_csv(path, arr):
    """2-D -> one row per line; 1-D -> one value per line; '%.9g'."""
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim == 1:
        text = "".join("%.9g\n" % v for v in arr)
    else:
        text = "".join(",".join("%.9g" % v for v in row) + "\n" for row in arr)
    if path == "-":
        sys.stdout.write(text)
    else:
        with open(path, "w") as f:
            f.write(text)


# ----------------------------------------------------------------------------------------
# Masked autoencoder (spec §3.3), for the pretraining fixtures (make_mae_fixtures.py)
#
# Parameters: the encoder of param_specs(cfg, head=False), then the MAE's own tensors,
# named like the Keras H5 dataset paths without ':0' (Keras-2 variables created in a
# layer's build() are named "{layer}/{weight}:0", stored at "{layer}/{variable name}"):
#   mask_layer/mask_layer/mask_token (1,1,E); decoder_layer_1_transformer/decoder_layer_1_*
#   (one block, same inner names as an encoder block); decoder_dense/decoder_dense/{kernel,bias}
#   (E,P), (P,).

MAE_DECODER_GROUP = "decoder_layer_1_transformer"
MAE_DECODER_ATT = "decoder_layer_1_transformer/decoder_layer_1_attention"
MAE_DECODER_PRE = "decoder_layer_1_transformer/decoder_layer_1"


def mae_extra_specs(cfg):
    """(name, shape) of the MAE's own tensors, in pat's order."""
    E, K, F, H, P = cfg.embed_dim, cfg.key_dim, cfg.ff_dim, cfg.num_heads, cfg.patch_size
    att, pre = MAE_DECODER_ATT, MAE_DECODER_PRE
    specs = [("mask_layer/mask_layer/mask_token", (1, 1, E))]
    for proj in ("query", "key", "value"):
        specs += [(f"{att}/{proj}/kernel", (E, H, K)), (f"{att}/{proj}/bias", (H, K))]
    specs += [(f"{att}/attention_output/kernel", (H, K, E)), (f"{att}/attention_output/bias", (E,)),
              (f"{pre}_norm1/gamma", (E,)), (f"{pre}_norm1/beta", (E,)),
              (f"{pre}_ff1/kernel", (E, F)), (f"{pre}_ff1/bias", (F,)),
              (f"{pre}_ff2/kernel", (F, E)), (f"{pre}_ff2/bias", (E,)),
              (f"{pre}_norm2/gamma", (E,)), (f"{pre}_norm2/beta", (E,)),
              ("decoder_dense/decoder_dense/kernel", (E, P)), ("decoder_dense/decoder_dense/bias", (P,))]
    return specs


def mae_param_specs(cfg):
    return param_specs(cfg, head=False) + mae_extra_specs(cfg)


def mae_num_masked(num_patches, mask_ratio):
    """M = tf.math.round(mask_ratio * N) in float32; tf.math.round rounds half to even."""
    return int(np.rint(np.float32(mask_ratio) * np.float32(num_patches)))


def named_block(p, att, pre, h, key_dim=KEY_DIM):
    """The post-norm block of spec §2.4 with weights p[f"{att}/..."], p[f"{pre}_..."]."""
    a, _ = multi_head_attention(
        h, p[f"{att}/query/kernel"], p[f"{att}/query/bias"], p[f"{att}/key/kernel"],
        p[f"{att}/key/bias"], p[f"{att}/value/kernel"], p[f"{att}/value/bias"],
        p[f"{att}/attention_output/kernel"], p[f"{att}/attention_output/bias"], key_dim=key_dim)
    out1 = layer_norm(h + a, p[f"{pre}_norm1/gamma"], p[f"{pre}_norm1/beta"])
    ff = torch.relu(out1 @ p[f"{pre}_ff1/kernel"] + p[f"{pre}_ff1/bias"])
    ff = ff @ p[f"{pre}_ff2/kernel"] + p[f"{pre}_ff2/bias"]
    return layer_norm(out1 + ff, p[f"{pre}_norm2/gamma"], p[f"{pre}_norm2/beta"])


class MAEReference:
    """The MAE of spec §3.3 without dropout, on a dict of numpy arrays (mae_param_specs).

    forward(x, perm, mask_ratio, unshuffle, loss) follows the notebook's layers:
    embed all N patches -> gather the visible ones perm[M:] (+ their PE) -> encoder blocks
    -> concat([encoded, M mask tokens]) -> unshuffle -> + PE (all N) -> decoder block ->
    2 * tanh(Dense(P, activation='tanh')) -> (B, T) -> loss.
      unshuffle="faithful": the original UnshuffleLayer, inv = scatter(perm -> range(N)),
        dec = gather(dec_in, inv) (dec_in lists the encoded tokens first although perm lists
        the masked patches first);
      unshuffle="corrected": dec_in gathered with the inverse of concat(visible, masked),
        so every encoded token returns to its own patch position.
      loss="all": mean over every minute of (x - out)^2; loss="masked": mean over the
        minutes m with m // P in perm[:M] (what the original's option meant to compute).
    """

    def __init__(self, weights, cfg, dtype=torch.float64, requires_grad=False):
        enc = OrderedDict((n, weights[n]) for n, _ in param_specs(cfg, head=False))
        self.encoder = PATReference(enc, cfg, dtype=dtype, requires_grad=requires_grad)
        self.cfg, self.dtype = cfg, dtype
        self.params = OrderedDict(self.encoder.params)
        for name, shape in mae_extra_specs(cfg):
            w = np.asarray(weights[name])
            if tuple(w.shape) != tuple(shape):
                raise ValueError(f"tensor {name}: shape {w.shape}, expected {shape}")
            self.params[name] = torch.tensor(w, dtype=dtype, requires_grad=requires_grad)

    def forward(self, x, perm, mask_ratio, unshuffle="corrected", loss="all"):
        cfg, p = self.cfg, self.params
        B, T = x.shape
        N, E, P = T // cfg.patch_size, cfg.embed_dim, cfg.patch_size
        M = mae_num_masked(N, mask_ratio)
        perm = torch.as_tensor(np.asarray(perm, dtype=np.int64))
        masked, visible = perm[:M], perm[M:]
        pe = self.encoder.pe(N)
        h = self.encoder.patch_embed(x)[:, visible] + pe[visible]
        for i in range(1, cfg.num_layers + 1):
            h, _ = self.encoder.block(h, i)
        mask_tokens = p["mask_layer/mask_layer/mask_token"].expand(B, M, E)
        dec_in = torch.cat([h, mask_tokens], dim=1)
        if unshuffle == "faithful":
            order = perm                                   # the original's index list
        elif unshuffle == "corrected":
            order = torch.cat([visible, masked])           # the order dec_in really has
        else:
            raise ValueError(unshuffle)
        inv = torch.empty(N, dtype=torch.int64)
        inv[order] = torch.arange(N)                       # scatter_nd(order, range(N))
        dec = dec_in[:, inv] + pe
        y = named_block(p, MAE_DECODER_ATT, MAE_DECODER_PRE, dec, key_dim=cfg.key_dim)
        u = y @ p["decoder_dense/decoder_dense/kernel"] + p["decoder_dense/decoder_dense/bias"]
        out = (2.0 * torch.tanh(torch.tanh(u))).reshape(B, T)
        if loss == "all":
            value = ((x - out) ** 2).mean()
        elif loss == "masked":
            sel = torch.zeros(N, dtype=torch.bool)
            sel[masked] = True
            sel = sel.repeat_interleave(P)                 # minute m belongs to patch m // P
            value = ((x - out)[:, sel] ** 2).mean()
        else:
            raise ValueError(loss)
        return {"output": out, "loss": value, "M": M}


def keras_h5_describe(path):
    """Canonical text of a Keras H5 file's layout, values of datasets excluded: every
    object (group or dataset: dtype, shape, storage layout, filters) and every attribute
    (type class, string kind, dataspace, value), sorted. Two files with equal
    descriptions are laid out alike."""
    import h5py
    lines = []

    def attr_lines(name, obj):
        for k in obj.attrs:
            a = obj.attrs.get_id(k)
            t, sp = a.get_type(), a.get_space()
            kind = f"class={t.get_class()} size={'var' if t.get_class() == h5py.h5t.STRING and t.is_variable_str() else t.get_size()}"
            if t.get_class() == h5py.h5t.STRING:
                kind += f" cset={t.get_cset()} pad={t.get_strpad()}"
            val = obj.attrs[k]
            if isinstance(val, np.ndarray):
                val = [v.decode() if isinstance(v, bytes) else str(v) for v in val.ravel().tolist()]
            elif isinstance(val, bytes):
                val = val.decode()
            lines.append(f"attr /{name} {k} {kind} space={sp.get_simple_extent_type()}:{sp.shape} value={val!r}")

    with h5py.File(path, "r") as f:
        attr_lines("", f)

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                dcpl = obj.id.get_create_plist()
                lines.append(f"dataset /{name} dtype={obj.dtype.str} shape={obj.shape} "
                             f"layout={dcpl.get_layout()} filters={dcpl.get_nfilters()}")
            else:
                lines.append(f"group /{name}")
            attr_lines(name, obj)
        f.visititems(visit)
    return sorted(lines)


# ----------------------------------------------------------------------------------------
# Self-tests

def _np_layer_norm(z, eps=LN_EPS):
    mu = z.mean(axis=-1, keepdims=True)
    var = ((z - mu) ** 2).mean(axis=-1, keepdims=True)
    return (z - mu) / np.sqrt(var + eps)


def _np_mha(x, wq, bq, wk, bk, wv, bv, wo, bo):
    """Plain numpy MHA written per head with 2-D matmuls (independent of the einsum code)."""
    B, T, E = x.shape
    H, K = bq.shape
    out = np.zeros((B, T, wo.shape[-1]))
    attn = np.zeros((B, H, T, T))
    for b in range(B):
        for h in range(H):
            q = (x[b] @ wq[:, h, :] + bq[h]) / np.sqrt(K)
            k = x[b] @ wk[:, h, :] + bk[h]
            v = x[b] @ wv[:, h, :] + bv[h]
            s = q @ k.T
            s = np.exp(s - s.max(axis=1, keepdims=True))
            a = s / s.sum(axis=1, keepdims=True)
            attn[b, h] = a
            out[b] += (a @ v) @ wo[h]
    return out + bo, attn


def _h5_layout_ok(path, cfg):
    """Structure of a written H5 file: root attrs, one group per layer + top_level_model_weights,
    weight_names per group, float32 contiguous uncompressed datasets at {layer}/{weight name}."""
    import h5py

    def txt(v):
        return v.decode() if isinstance(v, bytes) else str(v)
    layers = keras_layers(cfg, head=True)
    with h5py.File(path, "r") as f:
        ok = [txt(v) for v in f.attrs["layer_names"]] == [n for n, _ in layers]
        ok &= txt(f.attrs["backend"]) == "tensorflow" and txt(f.attrs["keras_version"]) == "2.15.0"
        if sorted(f.keys()) != sorted([n for n, _ in layers] + ["top_level_model_weights"]):
            return False
        for lname, wnames in layers + [("top_level_model_weights", [])]:
            ok &= [txt(v) for v in f[lname].attrs["weight_names"]] == wnames
            for w in wnames:
                d = f[lname][w]
                ok &= d.dtype == np.float32 and d.chunks is None and d.compression is None
                ok &= d.id.get_offset() is not None            # contiguous storage, allocated
        n = []
        f.visititems(lambda name, o: n.append(name) if isinstance(o, h5py.Dataset) else None)
        ok &= len(n) == len(param_specs(cfg, head=True))
    return bool(ok)


def selftest(verbose=True):
    """Run all self-checks; returns True when all pass."""
    results = []

    def check(name, ok, detail=""):
        results.append(ok)
        if verbose:
            print(f"[{'PASS' if ok else 'FAIL'}] {name}{': ' + detail if detail else ''}")

    f64 = torch.float64
    # 1. parameter counts (spec §1.2)
    for arch, cfg in ((a, Config.from_arch(a)) for a in ARCHS):
        enc, full = count_params(cfg), count_params(cfg, head=True)
        check(f"param count {arch}", enc == ENCODER_PARAMS[arch] and full - enc == HEAD_PARAMS,
              f"encoder {enc:,} (spec {ENCODER_PARAMS[arch]:,}), head {full - enc:,}")
        m = PATReference(random_weights(cfg, 0), cfg)
        check(f"model tensors {arch}", m.num_params() == full)

    # 2. positional encoding (spec §2.3, §10.4a)
    pe = positional_encoding(1120).astype(np.float64)
    check("PE p=0 is [0]*48+[1]*48",
          np.array_equal(pe[0], np.r_[np.zeros(48), np.ones(48)]))
    w = np.exp(np.arange(0, 96, 2) * (-math.log(10000.0) / 96))
    exact = np.concatenate([np.sin(np.arange(1120)[:, None] * w), np.cos(np.arange(1120)[:, None] * w)], 1)
    err = np.abs(pe - exact).max()
    check("PE vs float64 formula (float32 rounding only)", err < 1e-3, f"max |diff| {err:.2e}")
    check("PE p=1 first sin = sin(1), last cos = cos(w_47)",
          abs(pe[1, 0] - math.sin(1.0)) < 1e-6 and abs(pe[1, 95] - math.cos(w[47])) < 1e-6)

    # 3. zero weights: each block maps h -> LN(LN(h)); with zero embedding h0 = PE (§10.4b)
    for arch in ("s", "m", "conv-s"):
        cfg = Config.from_arch(arch)
        zw = {n: (np.ones(s) if n.endswith("gamma") else np.zeros(s)).astype(np.float32)
              for n, s in param_specs(cfg)}
        m = PATReference(zw, cfg)
        x = torch.tensor(np.random.default_rng(1).normal(size=(2, 1440)), dtype=f64)
        h, _ = m.encode(x)
        ref = positional_encoding(1440 // cfg.patch_size).astype(np.float64)
        for _ in range(2 * cfg.num_layers):
            ref = _np_layer_norm(ref)
        err = np.abs(h.detach().numpy() - ref[None]).max()
        check(f"zero weights {arch}: output = LN^{2 * cfg.num_layers}(PE)", err < 1e-12, f"max |diff| {err:.2e}")

    # 4. MHA vs plain numpy implementation (random case, H=3, T=7, B=2)
    rng = np.random.default_rng(2)
    E, H, K, T = 96, 3, 96, 7
    args = [rng.normal(size=s) * 0.3 for s in
            [(E, H, K), (H, K), (E, H, K), (H, K), (E, H, K), (H, K), (H, K, E), (E,)]]
    x = rng.normal(size=(2, T, E))
    out_t, a_t = multi_head_attention(torch.tensor(x), *[torch.tensor(a) for a in args])
    out_n, a_n = _np_mha(x, *args)
    err = max(np.abs(out_t.numpy() - out_n).max(), np.abs(a_t.numpy() - a_n).max())
    check("MHA torch einsum vs numpy per-head matmul", err < 1e-12, f"max |diff| {err:.2e}")
    check("softmax rows sum to 1", np.abs(a_t.sum(-1).numpy() - 1).max() < 1e-14)

    # 5. conv patch embedding vs torch conv1d (cross-correlation, padding 1 inside a patch)
    cfg = Config.from_arch("conv-s")
    m = PATReference(random_weights(cfg, 3), cfg)
    x = torch.tensor(rng.normal(size=(2, 180)))
    e = m.patch_embed(x)
    kern = m.params["conv1d_patch_embedding/conv1d/kernel"]
    c = torch.nn.functional.conv1d(x.reshape(-1, 1, 18), kern.permute(2, 1, 0),
                                   m.params["conv1d_patch_embedding/conv1d/bias"], padding=1)
    ref = torch.relu(c).mean(dim=2).reshape(2, 10, 96)
    err = (e - ref).abs().max().item()
    check("conv embedding vs torch.nn.functional.conv1d", err < 1e-13, f"max |diff| {err:.2e}")

    # 6. explanation profile sums to 1; dense embedding vs explicit formula
    cfg = Config.from_arch("m")
    wts = random_weights(cfg, 4)
    m = PATReference(wts, cfg)
    x = rng.normal(size=(2, 1440)).astype(np.float32)
    r = m.run(x, batch_size=2)
    check("explanation profile sums to 1 and is positive",
          np.abs(r["explain"].sum(1) - 1).max() < 1e-12 and (r["explain"] > 0).all(),
          f"N = {r['explain'].shape[1]}")
    e = m.patch_embed(torch.tensor(x, dtype=f64)).detach().numpy()
    W, b = wts["dense/dense/kernel"].astype(np.float64), wts["dense/dense/bias"].astype(np.float64)
    ref = np.array([[x[i, p * 18:(p + 1) * 18].astype(np.float64) @ W + b for p in range(80)] for i in range(2)])
    check("dense embedding vs per-patch formula", np.abs(e - ref).max() < 1e-12)
    check("probability in (0,1)", ((r["prob"] > 0) & (r["prob"] < 1)).all(), str(r["prob"]))
    r1 = m.run(x, batch_size=1)
    check("batch size independence", all(np.abs(r1[k] - r[k]).max() < 1e-12 for k in r))

    # 7. scaler: model with scaler on x == model without scaler on standardized x
    mean, std = rng.normal(size=1440).astype(np.float32), (0.5 + rng.random(1440)).astype(np.float32)
    ws = dict(wts, **{"scaler/mean": mean, "scaler/std": std})
    rs = PATReference(ws, cfg).run(x)
    rz = m.run((x.astype(np.float64) - mean) / std)
    check("scaler applied as (x-mean)/std", np.abs(rs["prob"] - rz["prob"]).max() < 1e-14)

    # 8. file round-trips (safetensors, H5, gz) give identical tensors and outputs
    with tempfile.TemporaryDirectory() as d:
        for arch in ("l", "conv-m"):
            cfg = Config.from_arch(arch)
            wts = random_weights(cfg, 5)
            st, h5 = os.path.join(d, "w.safetensors"), os.path.join(d, "w.h5")
            write_safetensors(st, wts, cfg.metadata())
            write_keras_h5(h5, wts, cfg, strings="keras" if arch == "l" else "fixed")
            with open(h5, "rb") as fi, gzip.open(h5 + ".gz", "wb") as fo:
                fo.write(fi.read())
            ok = True
            for path in (st, h5, h5 + ".gz"):
                got, meta = read_weights(path)
                ok &= list(got) == list(wts) if path == st else set(got) == set(wts)
                ok &= all(np.array_equal(got[n], wts[n]) for n in wts)
                ok &= infer_config(got, meta) == cfg
            check(f"weight file round-trip {arch} (safetensors, h5, h5.gz)", ok)
            check(f"H5 layout {arch} ({'keras' if arch == 'l' else 'fixed'} strings)",
                  _h5_layout_ok(h5, cfg))
            x = rng.normal(size=(1, 1440)).astype(np.float32)
            outs = [load_model(p).run(x) for p in (st, h5, h5 + ".gz")]
            check(f"identical outputs from safetensors and h5 ({arch})",
                  all(np.array_equal(o[k], outs[0][k]) for o in outs[1:] for k in outs[0]))

    # 9. float32 compute stays close to float64 (sanity of the dtype switch)
    cfg = Config.from_arch("s")
    wts = random_weights(cfg, 6)
    x = rng.normal(size=(1, 10080)).astype(np.float32)
    r64 = PATReference(wts, cfg).run(x)
    r32 = PATReference(wts, cfg, dtype=torch.float32).run(x)
    err = np.abs(r64["embedding"] - r32["embedding"]).max()
    check("float32 vs float64 embedding (PAT-S, T=10080)", err < 1e-4, f"max |diff| {err:.2e}")

    n_fail = results.count(False)
    if verbose:
        print(f"{len(results) - n_fail} passed, {n_fail} failed")
    return n_fail == 0


# ----------------------------------------------------------------------------------------
# CLI

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--selftest", action="store_true", help="run the self-checks and exit")
    sub = ap.add_subparsers(dest="cmd")
    for cmd, what in (("embed", "96 embedding values per row"),
                      ("predict", "one probability per line"),
                      ("explain", "N = T/P attention-profile values per row"),
                      ("convert", "rewrite weights as .safetensors or Keras .h5")):
        sp = sub.add_parser(cmd, help=what)
        sp.add_argument("--weights", "-m", required=True, help=".safetensors or .h5 (optionally .gz)")
        if cmd != "convert":
            sp.add_argument("-i", "--input", required=True, help="CSV, one sequence per row")
        sp.add_argument("-o", "--output", default="-", help="output file (default stdout)")
        sp.add_argument("--patch-size", type=int, default=None,
                        help="patch size of a conv model read from H5 (default: standard size)")
        sp.add_argument("--dtype", choices=("float64", "float32"), default="float64")
        sp.add_argument("--batch-size", type=int, default=1)
    a = ap.parse_args(argv)
    if a.selftest:
        return 0 if selftest() else 1
    if a.cmd is None:
        ap.print_help()
        return 2
    dtype = torch.float64 if a.dtype == "float64" else torch.float32
    if a.cmd == "convert":
        weights, meta = read_weights(a.weights)
        cfg = infer_config(weights, meta, a.patch_size)
        PATReference(weights, cfg)                       # validates names and shapes
        if a.output.endswith(".safetensors"):
            names = [n for n, _ in param_specs(cfg, head=all(n in weights for n, _ in head_specs(cfg)))]
            names += [n for n in ("scaler/mean", "scaler/std") if n in weights]
            md = cfg.metadata()
            md.update({k: v for k, v in meta.items() if k not in md})
            write_safetensors(a.output, OrderedDict((n, weights[n]) for n in names), md)
        elif a.output.endswith(".h5"):
            write_keras_h5(a.output, weights, cfg)
        else:
            raise SystemExit("convert: -o must end in .safetensors or .h5")
        return 0
    model = load_model(a.weights, dtype=dtype, patch_size=a.patch_size)
    if a.cmd == "predict" and not model.has_head:
        raise SystemExit("predict: the model has no head (head/dense_128, head/output)")
    res = model.run(read_csv(a.input), batch_size=a.batch_size)
    key = {"embed": "embedding", "predict": "prob", "explain": "explain"}[a.cmd]
    write_csv(a.output, res[key])
    return 0


if __name__ == "__main__":
    sys.exit(main())
