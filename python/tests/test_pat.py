"""Tests of the pat Python bindings: parity with the CLI on the reference
fixtures (same bits), input handling, errors, lifetime, threads, datasets."""
import gc
import os
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc

import numpy as np

from common import Skip, build_dir, cli, cli_rows, fixture, read_csv, same_bits

import pat

ARCHS = ["s", "m", "l", "conv-s", "conv-m", "conv-l"]


def _as_cli_csv(x, tmp):
    """x written so that the CLI reads exactly x's float32 values."""
    path = os.path.join(tmp, "x.csv")
    np.savetxt(path, x, fmt="%.9g", delimiter=",")
    return path


def _parity(arch, ext, length):
    model_path = fixture("model", f"{arch}.{ext}")
    x = read_csv(fixture("model", f"x_{length}.csv"))
    with tempfile.TemporaryDirectory() as tmp, pat.load(model_path) as m:
        inp = _as_cli_csv(x, tmp)
        for kind, fn in (("embed", m.embed), ("predict", m.predict), ("explain", m.explain)):
            want = cli_rows(kind, model_path, inp)
            got = fn(x)
            if kind == "predict":
                got = got.reshape(-1, 1)
            assert same_bits(got, want), f"{arch}.{ext} {length} {kind}: differs from pat {kind}"


def test_parity_safetensors_day():
    for arch in ARCHS:
        _parity(arch, "safetensors", "day")


def test_parity_safetensors_week():
    for arch in ARCHS:
        _parity(arch, "safetensors", "week")


def test_parity_keras_h5_day():
    if not pat.have_hdf5():
        raise Skip("libpat built without HDF5")
    for arch in ARCHS:
        _parity(arch, "h5", "day")


def test_reference_values_close():
    """The binding reproduces the independent PyTorch reference's numbers."""
    x = read_csv(fixture("model", "x_day.csv"))
    with pat.load(fixture("model", "m.safetensors")) as m:
        ref = read_csv(fixture("model", "m_day_embed.csv"))
        assert np.allclose(m.embed(x), ref, rtol=1e-4, atol=1e-5)


def test_precision_bf16_within_bounds():
    """precision="bf16" is close to the default float32 (docs/benchmarks.md
    "bf16": 3% relative L2 per embedding, 0.02 per probability); "fp32" is the
    default; other values raise ValueError."""
    x = read_csv(fixture("model", "x_day.csv"))
    with pat.load(fixture("model", "m.safetensors")) as m:
        e32 = m.embed(x)
        assert same_bits(m.embed(x, precision="fp32"), e32)
        e16 = m.embed(x, precision="bf16")
        rel = np.linalg.norm(e16 - e32, axis=1) / np.linalg.norm(e32, axis=1)
        assert rel.max() <= 3e-2 and rel.max() > 0
        try:
            m.embed(x, precision="fp16")
            assert False, "fp16 accepted"
        except ValueError:
            pass


def test_float64_and_layouts_give_the_same_bits():
    x = read_csv(fixture("model", "x_day.csv"))
    with pat.load(fixture("model", "s.safetensors")) as m:
        want = m.embed(x)
        assert same_bits(m.embed(x.astype(np.float64)), want)
        assert same_bits(m.embed(np.asfortranarray(x)), want)
        wide = np.zeros((x.shape[0], 2 * x.shape[1]), np.float32)
        wide[:, ::2] = x
        assert same_bits(m.embed(wide[:, ::2]), want)  # strided view
        assert same_bits(m.embed(x.tolist()), want)    # a nested list is float64
        assert same_bits(m.embed(x[1]), want[1])       # (T,) -> (E,)
        assert m.predict(x[0]).shape == () and m.explain(x[2]).shape == (80,)
        assert m.embed(x[:0]).shape == (0, 96)


def test_float32_c_contiguous_is_not_copied():
    """numpy's allocations are traced: a float32 C-contiguous input is used
    in place (only the small output is allocated); a float64 one is copied."""
    x = np.tile(read_csv(fixture("model", "x_day.csv")), (40, 1))  # 120 x 1440: 675 KiB
    with pat.load(fixture("model", "s.safetensors"), threads=1) as m:
        m.embed(x[:1])
        for arr, copied in ((x, False), (x.astype(np.float64), True)):
            tracemalloc.start()
            m.embed(arr)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            assert (peak >= x.nbytes) == copied, f"{arr.dtype}: peak {peak} bytes"


def test_threads_do_not_change_results():
    x = read_csv(fixture("model", "x_day.csv"))
    with pat.load(fixture("model", "conv-m.safetensors")) as m:
        a = m.explain(x, threads=1)
        b = m.explain(x, threads=2)
        m.threads = 3
        c = m.explain(x)
        assert same_bits(a, b) and same_bits(a, c)
        for bad in (0, -1, 5000):
            try:
                m.embed(x, threads=bad)
                raise AssertionError(f"threads={bad} accepted")
            except pat.PatError as e:
                assert e.status == pat.ERR_USAGE and "threads" in e.message


def test_info():
    with pat.load(fixture("model", "m.safetensors")) as m:
        info = m.info
    assert info["architecture"] == "PAT-M" and info["num_layers"] == 2
    assert info["num_heads"] == 12 and info["patch_size"] == 18 and info["embed_dim"] == 96
    assert info["has_head"] and info["head_params"] == 12545
    assert info["num_params"] == info["encoder_params"] + info["head_params"]
    assert info["input_transform"] == "none" and info["embedding"] == "dense"
    assert "pat.patch_size" in info["metadata"] and info["recipe"] is None
    assert "pat.Model" in pat.Model.__doc__ or "PAT model" in pat.Model.__doc__
    assert "PatError" in pat.Model.embed.__doc__


def _raises(fn, status, *needles):
    try:
        fn()
    except pat.PatError as e:
        assert e.status == status, f"status {e.status}, expected {status}: {e.message}"
        assert str(e) == e.message
        for n in needles:
            assert n in e.message, f"{n!r} not in {e.message!r}"
        return e
    raise AssertionError("no PatError")


def test_bad_inputs_raise_with_the_library_message():
    x = read_csv(fixture("model", "x_day.csv"))
    with pat.load(fixture("model", "s.safetensors")) as m:
        _raises(lambda: m.embed(x[:, :100]), pat.ERR_USAGE,
                "sequence length 100 is not a positive multiple of the patch size 18")
        _raises(lambda: m.embed(x[None]), pat.ERR_USAGE, "shape (B, T) or (T,)")
        bad = x.copy()
        bad[2, 7] = np.nan
        _raises(lambda: m.explain(bad), pat.ERR_NUMERIC,
                "input row 3, column 8 is not a finite number")
        bad[2, 7] = np.inf
        _raises(lambda: m.predict(bad.astype(np.float64)), pat.ERR_NUMERIC, "row 3, column 8")
        try:
            m.embed(x.astype(np.int32))
            raise AssertionError("int32 accepted")
        except TypeError as e:
            assert "float32 or float64" in str(e)
    missing = os.path.join(tempfile.gettempdir(), "no-such-pat-model.safetensors")
    _raises(lambda: pat.load(missing), pat.ERR_IO, missing)
    odd = os.path.join(tempfile.gettempdir(), "no-such-\udcff-model.safetensors")  # byte 0xff
    _raises(lambda: pat.load(odd), pat.ERR_IO, "no-such-", "-model.safetensors")
    with tempfile.NamedTemporaryFile(suffix=".safetensors") as f:
        f.write(b"not a model at all")
        f.flush()
        _raises(lambda: pat.load(f.name), pat.ERR_FORMAT, f.name)


def test_encoder_only_model_refuses_predict():
    with tempfile.TemporaryDirectory() as tmp:
        enc = os.path.join(tmp, "enc.safetensors")
        cli("init", "--arch", "S", "--no-head", "-o", enc, "--seed", "1")
        with pat.load(enc) as m:
            assert not m.info["has_head"]
            _raises(lambda: m.predict(np.zeros(1440, np.float32)), pat.ERR_USAGE, "head")


def test_close_twice_and_use_after_close_raise():
    m = pat.load(fixture("model", "s.safetensors"))
    x = np.zeros((2, 1440), np.float32)
    m.close()
    assert m.closed and "closed" in repr(m)
    _raises(m.close, pat.ERR_USAGE, "closed")
    _raises(lambda: m.embed(x), pat.ERR_USAGE, "closed")
    _raises(lambda: m.info, pat.ERR_USAGE, "closed")
    with pat.load(fixture("model", "s.safetensors")) as m2:
        pass
    assert m2.closed
    _raises(lambda: m2.predict(x), pat.ERR_USAGE, "closed")
    m3 = pat.load(fixture("model", "s.safetensors"))
    del m3  # freed by the garbage collector, never closed
    gc.collect()


class _CallWatch:
    """sys.setprofile hook: .inside is True from the C call of `name` until
    it returns; .t0, .t1 are when it started and returned."""

    def __init__(self, name):
        self.name, self.inside, self.t0, self.t1 = name, False, 0.0, 0.0

    def profile(self, frame, event, arg):
        if getattr(arg, "__name__", "") != self.name:
            return
        if event == "c_call":
            self.t0, self.inside = time.monotonic(), True
        elif event in ("c_return", "c_exception"):
            self.inside, self.t1 = False, time.monotonic()


def test_close_during_a_call_waits_for_it():
    """close() from another thread while a call runs: the call finishes with
    correct results (the model is freed after it), later calls raise. A close
    that lands before the call starts makes the call raise instead; trials
    repeat until one close lands inside a call."""
    x = np.tile(read_csv(fixture("model", "x_week.csv")), (4, 1))
    with pat.load(fixture("model", "m.safetensors")) as m:
        want = m.embed(x[:3])
    inside = 0
    for _ in range(10):
        m = pat.load(fixture("model", "m.safetensors"), threads=1)
        got = {}

        def work():
            try:
                got["e"] = m.embed(x)
            except pat.PatError as e:
                got["err"] = e

        t = threading.Thread(target=work)
        t.start()
        while not m._calls and t.is_alive():
            pass
        during = m._calls > 0  # the call holds the model: close() must defer the free
        m.close()
        t.join()
        if "err" in got:
            assert "closed" in got["err"].message
        else:
            assert same_bits(got["e"][:3], want)
            inside += during
        _raises(lambda: m.embed(x), pat.ERR_USAGE, "closed")
        if inside:
            break
    assert inside, "no close() landed inside a call in 10 trials"


def test_gil_is_released_during_compute():
    """Python code runs in another thread while a long embed call is inside
    the library: the main thread sees the call in progress over a span close
    to the call's length (with the GIL held it could run at most one switch
    interval, 5 ms, between the call's start and its return)."""
    x = np.tile(read_csv(fixture("model", "x_week.csv")), (8, 1))
    with pat.load(fixture("model", "m.safetensors"), threads=1) as m:
        calls = _CallWatch("embed")

        def work():
            sys.setprofile(calls.profile)
            m.embed(x)
            sys.setprofile(None)

        t = threading.Thread(target=work)
        seen = []
        t.start()
        while t.is_alive():
            if calls.inside:
                seen.append(time.monotonic())
        t.join()
    call = calls.t1 - calls.t0
    span = seen[-1] - seen[0] if seen else 0.0
    assert call > 0.1, f"the call took {call:.3f} s: too short to tell"
    assert span > 0.5 * call, f"main thread ran for {span:.3f} s of a {call:.3f} s call"


def _synth_datasets(tmp):
    """A small Depresjon-shaped cohort as raw and log1p datasets."""
    days = ["--length", "1440", "--nonwear-zeros", "600", "--min-day-minutes", "600",
            "--val", "0.3", "--test", "0", "--max-windows", "3", "-q"]
    cli("data", "synth", "--kind", "depresjon", "-o", os.path.join(tmp, "cohort"), "--n", "8",
        "--prevalence", "0.5", "--days", "8", "--seed", "3")
    raw, log = os.path.join(tmp, "raw.patd"), os.path.join(tmp, "log.patd")
    cli("data", "build", "--depresjon", os.path.join(tmp, "cohort"), *days, "--scaler", "none",
        "-o", raw)
    cli("data", "build", "--depresjon", os.path.join(tmp, "cohort"), *days, "--log1p", "-o", log)
    return raw, log


def test_dataset_rows_match_the_cli():
    with tempfile.TemporaryDirectory() as tmp:
        raw, log = _synth_datasets(tmp)
        model = fixture("model", "s.safetensors")
        with pat.open_dataset(raw) as ds, pat.load(model) as m:
            assert ds.rows == len(ds.ids) == len(ds.labels) == len(ds.splits) > 0
            assert ds.length == 1440 and ds.x.shape == (ds.rows, 1440)
            assert set(ds.splits) <= {"train", "val", "test", "none"}
            assert ds.meta.get("transform") == "none"
            assert same_bits(m.embed(ds), cli_rows("embed", model, raw))
            assert same_bits(m.embed(ds), m.embed(ds.x))
            assert same_bits(m.explain(ds), cli_rows("explain", model, raw))
        with pat.open_dataset(log) as ds, pat.load(model) as m:
            _raises(lambda: m.embed(ds), pat.ERR_USAGE, "log1p")
        ds = pat.open_dataset(raw)
        ds.close()
        _raises(ds.close, pat.ERR_USAGE, "closed")
        _raises(lambda: ds.x, pat.ERR_USAGE, "closed")
        _raises(lambda: pat.open_dataset(os.path.join(tmp, "none.patd")), pat.ERR_IO, "none.patd")


def test_log1p_model_on_log1p_and_raw_datasets():
    """A model fine-tuned on log1p rows (pat.input_transform = log1p) gives the
    CLI's bits on a log1p dataset (transform not applied twice) and on the raw
    one (applied by the library)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw, log = _synth_datasets(tmp)
        init, ft = os.path.join(tmp, "init.safetensors"), os.path.join(tmp, "ft.safetensors")
        cli("init", "--arch", "S", "-o", init, "--seed", "1")
        cli("finetune", "-m", init, "--data", log, "-o", ft, "--epochs", "1", "--batch-size", "8",
            "--lr", "1e-4", "-q")
        with pat.load(ft) as m, pat.open_dataset(log) as dl, pat.open_dataset(raw) as dr:
            assert m.info["input_transform"] == "log1p"
            want = cli_rows("predict", ft, log).ravel()
            assert same_bits(m.predict(dl), want)
            assert same_bits(m.predict(dr), want)
            assert same_bits(m.predict(dr.x), want)
            assert m.info["input_transform"] == "log1p"  # restored after the dataset call


def test_extension_links_the_shared_library():
    so = pat._pat.__file__
    out = subprocess.run(["ldd", so], capture_output=True, text=True).stdout
    assert "libpat.so" in out, out
    assert os.path.exists(os.path.join(build_dir(), "pat"))
