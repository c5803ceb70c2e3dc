#!/usr/bin/python3
"""Load test of pat serve on loopback (make bench-serve; docs/benchmarks.md).

    /usr/bin/python3 bench/serve_load.py [--build build] [--requests 400] [--seconds 20]
                                          [--rss-requests 100000] [--rss-seconds 180] [--serve-args '--request-threads 1']

1. In-process reference: `pat predict` over 64 one-week rows (PAT-S with a head,
   fresh weights; T = 10080) with every core: rows per second.
2. `pat serve` with the same model on 127.0.0.1 (default --threads: the cores).
   For concurrency 1, 4 and 16 (client threads with keep-alive connections), one-week
   predict requests (one row each, CSV body) until --requests are answered or
   --seconds have passed: requests/s, p50 and p99 latency, errors, and the ratio of
   requests/s to the in-process rate. Every answer is checked against the CLI's.
3. Resident memory (VmRSS of the server) before and after --rss-requests small
   requests (one patch each, one in ten malformed and expected to get 400), bounded
   by --rss-seconds; an error is any other status.
Targets (issue 19): throughput at concurrency >= 2 within 80 % of the in-process rate;
p99 under 50 ms for PAT-S one-week predict at concurrency 4; RSS flat; zero errors.
"""

import argparse
import http.client
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time

T = 10080


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def week_rows(n, seed):
    rng = random.Random(seed)
    return [",".join(f"{rng.random() * 3:.2f}" for _ in range(T)) for _ in range(n)]


def start_server(pat, model, log, extra):
    proc = subprocess.Popen([pat, "serve", "-m", f"s={model}", "--port", "0"] + extra,
                            stderr=open(log, "w"))
    for _ in range(100):
        time.sleep(0.1)
        for line in open(log):
            if '"listening"' in line:
                port = int(line.split('"url":"http://127.0.0.1:')[1].split("/")[0])
                return proc, port
    proc.kill()
    sys.exit(f"pat serve did not start: {open(log).read()}")


def load(port, concurrency, bodies, expect, max_requests, max_seconds, path):
    """Requests from `concurrency` threads until max_requests or max_seconds.
    Returns (latencies, errors, wall seconds)."""
    lat, errors = [], []
    lock = threading.Lock()
    count = [0]
    deadline = time.monotonic() + max_seconds

    def worker(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        i = k
        while True:
            with lock:
                if count[0] >= max_requests or time.monotonic() > deadline:
                    break
                count[0] += 1
            body, want = bodies[i % len(bodies)], expect[i % len(expect)]
            i += concurrency
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={"Content-Type": "text/csv"})
                r = conn.getresponse()
                data = r.read()
                ok = (r.status, data) == want if isinstance(want, tuple) else r.status == want
            except (OSError, http.client.HTTPException) as e:
                ok, data = False, repr(e).encode()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            dt = time.perf_counter() - t0
            with lock:
                lat.append(dt)
                if not ok:
                    errors.append(data[:120])

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, errors, time.perf_counter() - t0


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rss-requests", type=int, default=100000)
    ap.add_argument("--rss-seconds", type=float, default=180)
    ap.add_argument("--serve-args", default="", help="more pat serve options, e.g. "
                    "'--request-threads 1'")
    a = ap.parse_args()
    pat = os.path.join(a.build, "pat")
    tmp = tempfile.mkdtemp(prefix="pat-serve-bench-")
    model = os.path.join(tmp, "s.safetensors")
    subprocess.run([pat, "init", "--arch", "S", "--seed", "1", "-o", model], check=True,
                   stdout=subprocess.DEVNULL)
    rows = week_rows(64, 1)
    with open(os.path.join(tmp, "weeks.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    t0 = time.perf_counter()
    subprocess.run([pat, "predict", "-q", "-m", model, "-i", os.path.join(tmp, "weeks.csv"),
                    "-o", os.path.join(tmp, "cli.csv")], check=True)
    inproc = len(rows) / (time.perf_counter() - t0)
    cli = open(os.path.join(tmp, "cli.csv")).read().splitlines()
    cores = os.cpu_count()
    print(f"CPU: {cpu_name()} ({cores} cores online; machine shared with other work: "
          f"load average {os.getloadavg()[0]:.1f} at start)")
    print(f"in-process: pat predict, 64 one-week rows, PAT-S: {inproc:.1f} rows/s")

    extra = a.serve_args.split()
    proc, port = start_server(pat, model, os.path.join(tmp, "serve.log"), extra)
    print(f"pat serve {' '.join(extra) or '(default options)'}")
    path = "/v1/models/s/predict?format=csv"
    bodies = [r.encode() + b"\n" for r in rows]
    expect = [(200, (c + "\n").encode()) for c in cli]
    print(f"\n| concurrency | requests | req/s | vs in-process | p50 ms | p99 ms | errors |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    results = {}
    for c in (1, 4, 16):
        load(port, c, bodies[:4], expect[:4], 2 * c, 10, path)  # warm connections
        lat, errors, wall = load(port, c, bodies, expect, a.requests, a.seconds, path)
        rate = len(lat) / wall
        results[c] = (rate, pct(lat, 0.5) * 1e3, pct(lat, 0.99) * 1e3, len(errors))
        print(f"| {c} | {len(lat)} | {rate:.1f} | {rate / inproc:.2f} | {results[c][1]:.1f} | "
              f"{results[c][2]:.1f} | {len(errors)} |")
        if errors:
            print(f"  first error: {errors[0]!r}")

    small = [",".join(str(i % 7) for i in range(18)).encode() + b"\n", b"1,2,x\n"]
    small_bodies = [small[0]] * 9 + [small[1]]
    small_expect = [200] * 9 + [400]
    load(port, 16, small_bodies, small_expect, 2000, 30, "/v1/models/s/predict")
    before = rss_kib(proc.pid)
    lat, errors, wall = load(port, 16, small_bodies, small_expect, a.rss_requests,
                             a.rss_seconds, "/v1/models/s/predict")
    after = rss_kib(proc.pid)
    print(f"\nRSS: {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB after {len(lat)} "
          f"requests ({len(lat) / wall:.0f} req/s, one patch each, 10 % malformed -> 400); "
          f"errors {len(errors)}" + (f" (cut at {a.rss_seconds:.0f} s)" if len(lat) < a.rss_requests else ""))
    proc.terminate()
    rc = proc.wait(timeout=60)
    print(f"SIGTERM: exit {rc}")

    met = []
    met.append(("throughput at concurrency 4 and 16 >= 80 % of in-process",
                min(results[4][0], results[16][0]) >= 0.8 * inproc))
    met.append(("p99 < 50 ms at concurrency 4", results[4][2] < 50))
    met.append(("RSS flat (growth < 5 %)", after <= before * 1.05))
    met.append(("zero errors", sum(r[3] for r in results.values()) == 0 and not errors))
    print()
    for what, ok in met:
        print(f"target {'met' if ok else 'NOT met'}: {what}")


if __name__ == "__main__":
    main()
