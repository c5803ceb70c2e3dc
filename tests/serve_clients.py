#!/usr/bin/env python3
"""serve_clients.py PORT TIMEOUT - misbehaving clients against a running pat
serve (tests/test_serve.sh): stalled headers and bodies are cut off after the
idle timeout, garbage and huge headers get 4xx or a close, clients that
vanish mid-body leave the server answering. Prints PASS/FAIL lines."""
import socket
import sys
import time
import urllib.request

port, timeout = int(sys.argv[1]), float(sys.argv[2])


def healthy():
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
        return r.status == 200


def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout + 5)
    return s


def closed_within(s, seconds):
    """Read until the server closes; True when it did so within `seconds`."""
    t0 = time.monotonic()
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return time.monotonic() - t0 <= seconds, data


def check(name, ok, why=""):
    print(f"PASS {name}" if ok else f"FAIL {name}: {why}")


stalled = []
s = connect()
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # headers never end
stalled.append(s)
s = connect()
s.sendall(b"POST /v1/models/demo/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n1,2,3")
stalled.append(s)
check("answers_while_clients_stall", healthy())
for name, s in zip(["slow_headers_cut_off", "slow_body_cut_off"], stalled):
    ok, data = closed_within(s, timeout + 4)
    check(name, ok and b" 200 " not in data, f"not closed in time ({data[:80]!r})")
    s.close()

s = connect()
s.sendall(b"\x00\x01\x02 garbage\r\n\r\n")
ok, data = closed_within(s, timeout + 4)
check("garbage_request", ok and (data == b"" or data.startswith(b"HTTP/1.1 4")), repr(data[:80]))
s.close()

s = connect()
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n")
ok, data = closed_within(s, timeout + 4)
check("huge_header", ok and (data == b"" or data.startswith(b"HTTP/1.1 4")), repr(data[:80]))
s.close()

s = connect()
s.sendall(b"POST /v1/models/demo/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n1,2")
s.close()  # the client vanishes mid-body
check("up_after_misbehaving_clients", healthy())
