#!/usr/bin/env python3
"""Memory of a proxy holding many idle keep-alive client connections (bench/proxy/run).

Reads the RSS of the proxy's processes, opens COUNT connections to 127.0.0.1:PORT, sends one small POST on each and
reads its whole answer (so every connection went through the proxy's request path and stays in keep-alive), waits for
the proxy to settle, reads the RSS again, checks that the proxy closed none of them, then closes them all. With
--jvm-pid, a full GC runs in that JVM before each reading and its live heap is reported too.

Prints one line: IDLE name=... connections=... rss_before_kib=... rss_after_kib=... per_conn_bytes=... closed=...

Connections are opened one after the other, each with a timeout, so the proxy never sees more than one request at a
time and the loop is bounded by COUNT x timeout.
"""
import argparse
import re
import os
import resource
import select
import socket
import subprocess
import sys
import time


def rss_kib(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def live_heap_kib(pid):
    """Runs a full GC in a JVM (jcmd) and returns its used heap in KiB, or -1 when that is not possible."""
    try:
        subprocess.run(["jcmd", str(pid), "GC.run"], check=True, capture_output=True, timeout=60)
        info = subprocess.run(["jcmd", str(pid), "GC.heap_info"], check=True, capture_output=True, text=True,
                              timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return -1
    used = 0
    for line in info.splitlines():
        # Generations (serial, parallel) or the whole heap (G1); Metaspace is not heap.
        if re.match(r"\s*(def new generation|tenured generation|PSYoungGen|ParOldGen|garbage-first heap)", line):
            m = re.search(r"used (\d+)K", line)
            if m:
                used += int(m.group(1))
    return used


def read_answer(sock):
    """Reads one HTTP/1.1 answer with a Content-Length; returns its status code."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the answer's headers")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the middle of the answer's body")
        body += chunk
    return status


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--pids", required=True, help="comma-separated pids whose RSS is summed")
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait before the second reading")
    parser.add_argument("--jvm-pid", type=int, help="a JVM to collect before each reading, reporting its live heap")
    args = parser.parse_args()
    pids = [int(p) for p in args.pids.split(",") if p]

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.count + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.count + 1000), hard))

    body = b'{"prompt":"hi"}'
    auth = os.environ.get("BENCH_AUTHORIZATION")
    auth_line = f"Authorization: {auth}\r\n" if auth else ""
    request = (f"POST {args.path} HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\nContent-Type: application/json\r\n"
               f"{auth_line}Content-Length: {len(body)}\r\n\r\n").encode() + body

    heap_before = live_heap_kib(args.jvm_pid) if args.jvm_pid else -1
    before = rss_kib(pids)
    socks = []
    failed = 0
    try:
        for _ in range(args.count):
            sock = socket.create_connection(("127.0.0.1", args.port), timeout=10)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(request)
            if read_answer(sock) != 200:
                failed += 1
            socks.append(sock)
        time.sleep(args.settle)
        heap_after = live_heap_kib(args.jvm_pid) if args.jvm_pid else -1
        after = rss_kib(pids)
        # A connection the proxy closed is readable (EOF) now; an idle open one is not. (poll, not select: the
        # descriptors are far above select's 1024.)
        poller = select.poll()
        for sock in socks:
            poller.register(sock, select.POLLIN | select.POLLHUP)
        closed = len(poller.poll(0))
    finally:
        for sock in socks:
            sock.close()
    per_conn = (after - before) * 1024 / max(1, len(socks))
    print(f"IDLE name={args.name} connections={len(socks)} rss_before_kib={before} rss_after_kib={after} "
          f"per_conn_bytes={per_conn:.0f} heap_before_kib={heap_before} heap_after_kib={heap_after} "
          f"non_200={failed} closed={closed}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
