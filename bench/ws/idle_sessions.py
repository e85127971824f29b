#!/usr/bin/env python3
"""Memory of a Sluice node holding many idle WebSocket sessions (bench/ws/run).

Reads the node's RSS (and, with --jvm-pid, its live heap after a full GC), opens COUNT WebSocket sessions to
ws://127.0.0.1:PORT/PATH through it, sends one small message on each and reads its echo (so that every session went
through the node's relay both ways and holds a replica connection), waits for the node to settle, reads again, checks
that the node closed none of them, then closes them all with a close frame.

Prints one line: SESSIONS name=... sessions=... rss_before_kib=... rss_after_kib=... per_session_bytes=...
heap_before_kib=... heap_after_kib=... per_session_heap_bytes=... closed=... failed=...

The client raises its own open-file limit (one descriptor per session), up to the hard limit.
"""
import argparse
import base64
import os
import re
import resource
import select
import socket
import struct
import subprocess
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def live_heap_kib(pid):
    """Runs a full GC in a JVM (jcmd) and returns its used heap in KiB, or -1 when that is not possible."""
    try:
        subprocess.run(["jcmd", str(pid), "GC.run"], check=True, capture_output=True, timeout=120)
        info = subprocess.run(["jcmd", str(pid), "GC.heap_info"], check=True, capture_output=True, text=True,
                              timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return -1
    used = 0
    for line in info.splitlines():
        if re.match(r"\s*(def new generation|tenured generation|PSYoungGen|ParOldGen|garbage-first heap)", line):
            m = re.search(r"used (\d+)K", line)
            if m:
                used += int(m.group(1))
    return used


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def masked_frame(opcode, payload):
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return struct.pack(">BB", 0x80 | opcode, 0x80 | len(payload)) + mask + masked


def open_session(port, path, auth):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    auth_line = f"Authorization: {auth}\r\n" if auth else ""
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth_line}Upgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise ConnectionError("handshake answered " + head.split(b"\r\n")[0].decode())
    payload = b"idle session ping"
    sock.sendall(masked_frame(0x2, payload))
    first, second = read_exactly(sock, 2)
    echoed = read_exactly(sock, second & 0x7F)
    if echoed != payload:
        raise ConnectionError("echo differs")
    return sock


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", default="sluice")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--pid", type=int, required=True, help="the node's pid, whose RSS is read")
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to wait before the second reading")
    parser.add_argument("--jvm-pid", type=int, help="a JVM to collect before each reading, reporting its live heap")
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = args.count + 100
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, wanted), hard))
    if min(hard, wanted) < wanted:
        sys.exit(f"the open-file hard limit {hard} is below the {wanted} this client needs")

    auth = os.environ.get("BENCH_AUTHORIZATION")
    heap_before = live_heap_kib(args.jvm_pid) if args.jvm_pid else -1
    before = rss_kib(args.pid)
    socks = []
    failed = 0
    try:
        for _ in range(args.count):
            try:
                socks.append(open_session(args.port, args.path, auth))
            except (OSError, ConnectionError) as e:
                failed += 1
                if failed == 1:
                    print(f"first failure: {e}", file=sys.stderr)
                if failed > 50:
                    break
        time.sleep(args.settle)
        heap_after = live_heap_kib(args.jvm_pid) if args.jvm_pid else -1
        after = rss_kib(args.pid)
        # A session the node closed is readable (a close frame, or EOF) now; an idle open one is not.
        poller = select.poll()
        for sock in socks:
            poller.register(sock, select.POLLIN | select.POLLHUP)
        closed = len(poller.poll(0))
    finally:
        for sock in socks:
            try:
                sock.sendall(masked_frame(0x8, struct.pack(">H", 1000)))
            except OSError:
                pass
            sock.close()
    n = max(1, len(socks))
    per_heap = (heap_after - heap_before) * 1024 / n if heap_before >= 0 and heap_after >= 0 else -1
    print(f"SESSIONS name={args.name} sessions={len(socks)} rss_before_kib={before} rss_after_kib={after} "
          f"per_session_bytes={(after - before) * 1024 / n:.0f} heap_before_kib={heap_before} "
          f"heap_after_kib={heap_after} per_session_heap_bytes={per_heap:.0f} closed={closed} failed={failed}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
