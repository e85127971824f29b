"""Opens many connections to a port and abandons them, as a careless or hostile client would.

Usage: abandon_connections.py PORT COUNT
A third send nothing, a third half a request head, a third a request head and part of its body. Prints "opened N"
once all are open, then keeps them (never closing, never reading) until its standard input closes, and prints how
many the server had closed by then ("closed_by_server K").
"""

import socket
import sys

port, count = int(sys.argv[1]), int(sys.argv[2])
partial_head = b"GET /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\nX-Slow: "
partial_body = b"POST /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\npart"
sockets = []
for i in range(count):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if i % 3 == 1:
        s.sendall(partial_head)
    elif i % 3 == 2:
        s.sendall(partial_body)
    sockets.append(s)
print("opened %d" % len(sockets), flush=True)
sys.stdin.read()
closed = 0
for s in sockets:
    s.setblocking(False)
    try:
        while True:
            data = s.recv(65536)
            if not data:
                closed += 1
                break
    except BlockingIOError:
        pass
    except OSError:
        closed += 1
print("closed_by_server %d" % closed, flush=True)
