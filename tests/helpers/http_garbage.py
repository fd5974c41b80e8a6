#!/usr/bin/env python3
"""http_garbage.py SOCKET N SEED: writes N malformed or oversized HTTP requests
to a Unix socket, one connection each (bad methods, huge headers and URLs,
broken chunking, lying Content-Length, binary garbage, truncated requests),
reads whatever comes back, and prints how many got an HTTP answer, were
closed without one, or timed out."""
import random
import socket
import sys


def cases(rng):
    junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4096)))
    return [
        b"FOO /health HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n",
        b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /health HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(5000)) + b"\r\n",
        b"POST /admin/reload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
        b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
        b"POST /stats HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\nshort",
        b"POST /stats HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"GET /events?since=" + b"9" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /stats?" + b"&".join(b"k%d=v" % i for i in range(3000)) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /health HTTP/9.9\r\n\r\n",
        b"GET /health\r\n\r\n",
        b"\x00\x01\x02GET / HTTP/1.1\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\n",  # never finished
        b"GET /%00%ff%c0%af HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" * 50,  # pipelined
        junk,
        b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n",  # a valid one now and then
    ]


def one(path, data, timeout):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may close on us mid-request: fine
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        return "answered" if got.startswith(b"HTTP/1.") else "closed"
    except socket.timeout:
        return "timeout"
    except ConnectionResetError:
        return "closed"
    finally:
        s.close()


def main():
    path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    counts = {"answered": 0, "closed": 0, "timeout": 0}
    for i in range(n):
        all_cases = cases(rng)
        counts[one(path, all_cases[i % len(all_cases)], 3.0)] += 1
    print(" ".join("%s=%d" % kv for kv in sorted(counts.items())))


if __name__ == "__main__":
    main()
