"""A small model server for trying Sluice: any HTTP server with a start command, a port, /health and /ready.

It behaves like a model server: /ready answers 503 while the "model" loads (WARMUP_SECONDS), /predict answers after
PREDICT_LATENCY_MS. Standard library only, so it runs wherever python3 does.

Environment:
  PORT                 port to listen on (else --port, else 8000); Sluice sets it for every replica
  WARMUP_SECONDS       seconds before /ready says 200 (default 2)
  PREDICT_LATENCY_MS   milliseconds /predict takes (default 0; ?latency_ms= overrides per request)
  KEEP_ALIVE_SECONDS   close a keep-alive connection idle this long, as uvicorn does after 5 s (default: never)
  SLUICE_REPLICA       the replica's name, echoed in answers
  SLUICE_URL, SLUICE_TOKEN   where this replica reaches other apps of its project, and its credential (/call)
"""

import argparse
import base64
import hashlib
import json
import os
import select
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

STARTED = time.monotonic()
WARMUP = float(os.environ.get("WARMUP_SECONDS", "2"))
LATENCY_MS = float(os.environ.get("PREDICT_LATENCY_MS", "0"))
REPLICA = os.environ.get("SLUICE_REPLICA", "local")
KEEP_ALIVE = float(os.environ["KEEP_ALIVE_SECONDS"]) if os.environ.get("KEEP_ALIVE_SECONDS") else None
SECRETS_DIR = "/secrets" if os.path.isdir("/secrets") and os.listdir("/secrets") else os.environ.get(
    "SLUICE_SECRETS_DIR", "/secrets")

# client_gone: streamed answers cut short because the connection went away (the proxy cancelled the request);
# streaming: streamed answers being sent now.
state = {"ready": True, "healthy": True, "in_flight": 0, "max_in_flight": 0, "requests": 0, "busy_seconds": 0.0,
         "client_gone": 0, "streaming": 0, "streamed_bytes": 0}
lock = threading.Lock()
counted_until = [time.monotonic()]
# Streams asked to hold (?hold=NAME) wait before their last part until /control/release?gate=NAME opens the gate, so
# that a test can read the first parts while the answer is certainly not finished.
gates = {}
HOLD_LIMIT_SECONDS = 60


def gate(name):
    with lock:
        return gates.setdefault(name, threading.Event())


class ClientGone(Exception):
    """The connection closed under a streamed answer: the caller (or the proxy, for it) has stopped listening."""


def count_busy():
    """Adds the requests in flight since the last count to busy_seconds (call with the lock held): the integral of
    concurrency over time, so that busy_seconds read twice gives the true average concurrency in between."""
    now = time.monotonic()
    state["busy_seconds"] += state["in_flight"] * (now - counted_until[0])
    counted_until[0] = now


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The head and the body of an answer are two writes; with Nagle's algorithm the second waits for the client's
    # delayed ACK of the first, 40 ms on Linux, on every keep-alive request.
    disable_nagle_algorithm = True
    # Waiting longer than this for a request (or any read) ends the connection: the server's keep-alive timeout.
    timeout = KEEP_ALIVE

    def log_message(self, fmt, *args):
        if self.path not in ("/health", "/ready"):  # probes every second would drown the log
            print("%s %s" % (self.address_string(), fmt % args), flush=True)

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, payload, content_type="application/json"):
        body = payload if isinstance(payload, bytes) else (json.dumps(payload) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _stream(self, query, content_type, count, part):
        """A chunked answer with no Content-Length, each part one chunk written and flushed as it is made (as a token
        stream would be), ?delay_ms= apart. With ?hold=NAME it waits before the last part for that gate. A client
        that goes away ends it early and is counted in client_gone."""
        delay_ms = float(query.get("delay_ms", ["0"])[0])
        hold = query.get("hold", [None])[0]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with lock:
            state["streaming"] += 1
        try:
            for i in range(count):
                if i > 0 and delay_ms > 0:
                    time.sleep(delay_ms / 1000.0)
                if hold and i == count - 1:
                    self._hold(hold)
                self._write_chunk(part(i))
            self._write_chunk(b"")
        except ClientGone:
            self.close_connection = True
            with lock:
                state["client_gone"] += 1
        finally:
            with lock:
                state["streaming"] -= 1

    def _write_chunk(self, data):
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
            with lock:
                state["streamed_bytes"] += len(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise ClientGone() from e

    def _hold(self, name):
        """Waits for the gate, watching the connection meanwhile as a server that checks for a disconnect between
        tokens does: the peer closing it makes it readable, with nothing to read."""
        opened = gate(name)
        deadline = time.monotonic() + HOLD_LIMIT_SECONDS
        try:
            while not opened.is_set() and time.monotonic() < deadline:
                readable, _, _ = select.select([self.connection], [], [], 0.05)
                if readable:
                    try:
                        if self.connection.recv(1, socket.MSG_PEEK) == b"":
                            raise ClientGone()
                    except ConnectionResetError as e:
                        raise ClientGone() from e
        finally:
            with lock:
                gates.pop(name, None)

    def _events(self, query):
        """Server-sent events: ?count= events, each saying when the replica sent it (time.time()), and which request
        it answers."""
        count = int(query.get("count", ["5"])[0])
        request_id = self.headers.get("X-Request-Id")

        def event(i):
            data = {"i": i, "count": count, "replica": REPLICA, "request_id": request_id, "sent_at": time.time()}
            return ("id: %d\ndata: %s\n\n" % (i, json.dumps(data))).encode()

        return self._stream(query, "text/event-stream", count, event)

    def do_HEAD(self):
        self._route()

    def do_GET(self):
        self._route()

    def do_POST(self):
        self._route()

    def do_PUT(self):
        self._route()

    def do_DELETE(self):
        self._route()

    def do_PATCH(self):
        self._route()

    def _route(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/early":
            # Answers from the head alone and leaves the body unread, as a server that turns an upload away does.
            self.close_connection = True
            return self._send(200, {"body_read": False, "content_length": self.headers.get("Content-Length"),
                                    "replica": REPLICA})
        body = self._body()
        if url.path == "/health":
            return self._send(200 if state["healthy"] else 500, {"healthy": state["healthy"]})
        if url.path == "/ready":
            warm = time.monotonic() - STARTED >= WARMUP
            ok = warm and state["ready"]
            return self._send(200 if ok else 503, {"ready": ok, "warm": warm})
        if url.path in ("/predict", "/hello"):
            return self._predict(query, body)
        if url.path == "/echo":
            return self._send(200, {
                "method": self.command, "path": url.path, "query": url.query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"), "replica": REPLICA,
                "client_port": self.client_address[1]})
        if url.path == "/stream":
            # ?pad=N makes each part N bytes longer (dots before its newline), for large answers.
            pad = int(query.get("pad", ["0"])[0])
            return self._stream(query, "text/plain", int(query.get("chunks", ["5"])[0]),
                                lambda i: ("chunk %d" % i).encode() + b"." * pad + b"\n")
        if url.path == "/events":
            return self._events(query)
        if url.path == "/control/crash":
            # Dies mid-request, as a server that segfaults would: the proxy sees the connection reset.
            os._exit(3)
        if url.path == "/control/print":
            # Prints ?text= (?count= times) on stdout, or on stderr with ?stream=stderr, as a server logs: for
            # following a replica's log through Sluice.
            text = query.get("text", [""])[0]
            count = int(query.get("count", ["1"])[0])
            out = sys.stderr if query.get("stream", ["stdout"])[0] == "stderr" else sys.stdout
            for _ in range(count):
                print(text, file=out)
            out.flush()
            return self._send(200, {"printed": count, "replica": REPLICA})
        if url.path == "/control/release":
            name = query.get("gate", [""])[0]
            gate(name).set()
            return self._send(200, {"released": name, "replica": REPLICA})
        if url.path.startswith("/control/"):
            key = url.path[len("/control/"):]
            if key in ("ready", "healthy"):
                state[key] = query.get("value", ["true"])[0] == "true"
                return self._send(200, {key: state[key], "replica": REPLICA})
        if url.path == "/ws":
            return self._websocket(url.path)
        if url.path == "/call":
            return self._call(query.get("path", ["/"])[0], query.get("token", ["mine"])[0] == "mine")
        if url.path == "/stats":
            with lock:
                count_busy()
                return self._send(200, dict(state, replica=REPLICA, pid=os.getpid()))
        if url.path == "/secret-digest":
            name = os.path.basename(query.get("name", [""])[0])
            try:
                with open(os.path.join(SECRETS_DIR, name), "rb") as f:
                    digest = hashlib.sha256(f.read().strip()).hexdigest()
                return self._send(200, {"name": name, "sha256": digest, "dir": SECRETS_DIR})
            except OSError as e:
                return self._send(404, {"name": name, "error": str(e.strerror), "dir": SECRETS_DIR})
        return self._send(404, {"error": "no route " + url.path})

    def _websocket(self, path):
        """A WebSocket echo (RFC 6455, standard library only): first a JSON hello saying who answered and what it was
        sent, then every frame back as it came (opcode and FIN kept), pings answered, a close frame echoed with its
        code and reason. Two text messages are commands rather than echoed: "!close CODE REASON" closes the socket
        from this side, "!ping DATA" pings the client and says "pong DATA" when its pong comes. /stats counts the open
        sockets and shows how the last one ended (the close code and reason it got, or "eof")."""
        key = self.headers.get("Sec-WebSocket-Key")
        if not key or self.headers.get("Upgrade", "").lower() != "websocket":
            return self._send(400, {"error": "not a WebSocket handshake"})
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept.decode())
        self.end_headers()
        self.close_connection = True
        with lock:
            state["websockets"] = state.get("websockets", 0) + 1
        ended = "eof"
        try:
            hello = {"replica": REPLICA, "path": path, "headers": {k.lower(): v for k, v in self.headers.items()}}
            self._ws_write(True, 1, json.dumps(hello).encode())
            closed_here = False
            while True:
                frame = self._ws_read()
                if frame is None:
                    return
                fin, opcode, payload = frame
                if opcode == 8:
                    code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                    ended = [code, payload[2:].decode("utf-8", "replace")]
                    if not closed_here:
                        self._ws_write(True, 8, payload)
                    return
                if closed_here:
                    continue
                if opcode == 1 and fin and payload.startswith(b"!close "):
                    code, _, reason = payload[len(b"!close "):].partition(b" ")
                    self._ws_write(True, 8, struct.pack(">H", int(code)) + reason)
                    closed_here = True
                elif opcode == 1 and fin and payload.startswith(b"!ping "):
                    self._ws_write(True, 9, payload[len(b"!ping "):])
                elif opcode == 9:
                    self._ws_write(True, 10, payload)
                elif opcode == 10:
                    self._ws_write(True, 1, b"pong " + payload)
                elif opcode in (0, 1, 2):
                    self._ws_write(fin, opcode, payload)
        except OSError:
            pass  # the peer went; how is what `ended` says
        finally:
            with lock:
                state["websockets"] -= 1
                state["websocket_last_end"] = ended

    def _ws_read(self):
        head = self.rfile.read(2)
        if len(head) < 2:
            return None
        fin, opcode, masked, length = head[0] & 0x80, head[0] & 0x0F, head[1] & 0x80, head[1] & 0x7F
        if length == 126:
            length = struct.unpack(">H", self.rfile.read(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", self.rfile.read(8))[0]
        mask = self.rfile.read(4) if masked else None
        payload = self.rfile.read(length)
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return bool(fin), opcode, payload

    def _ws_write(self, fin, opcode, payload):
        first = (0x80 if fin else 0) | opcode
        if len(payload) < 126:
            head = struct.pack(">BB", first, len(payload))
        elif len(payload) < 65536:
            head = struct.pack(">BBH", first, 126, len(payload))
        else:
            head = struct.pack(">BBQ", first, 127, len(payload))
        self.wfile.write(head + payload)
        self.wfile.flush()

    def _call(self, path, with_token):
        """Calls another app through Sluice, as one app of a project calls another, and reports what came back."""
        request = urllib.request.Request(os.environ.get("SLUICE_URL", "http://127.0.0.1:8080") + path,
                                         data=b"{}", method="POST")
        if with_token:
            request.add_header("Authorization", "Bearer " + os.environ.get("SLUICE_TOKEN", ""))
        # Sluice gives each request an id but cannot tell which outbound call a request caused: the app passes its
        # own request's id on, so that one id follows the work through every app it reaches.
        request_id = self.headers.get("X-Request-Id")
        if request_id:
            request.add_header("X-Request-Id", request_id)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                status, body = answer.status, answer.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        return self._send(200, {"status": status, "body": body.decode("utf-8", "replace")})

    def _predict(self, query, body):
        with lock:
            count_busy()
            state["in_flight"] += 1
            state["requests"] += 1
            state["max_in_flight"] = max(state["max_in_flight"], state["in_flight"])
        try:
            latency = float(query.get("latency_ms", [LATENCY_MS])[0])
            if latency > 0:
                time.sleep(latency / 1000.0)
            try:
                prompt = json.loads(body or b"{}")
            except ValueError:
                prompt = body.decode("utf-8", "replace")
        finally:
            # Done before the answer is sent: once the answer is out, the caller may send the next request at once,
            # and it must not find this one still counted.
            with lock:
                count_busy()
                state["in_flight"] -= 1
        self._send(200, {
            "prediction": "hello from " + REPLICA,
            "input": prompt,
            "request_id": self.headers.get("X-Request-Id"),
            "replica": REPLICA,
        })

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="0.0.0.0")
    args = parser.parse_args()
    port = int(os.environ.get("PORT", args.port))
    server = ThreadingHTTPServer((args.host, port), Handler)
    server.daemon_threads = True
    print("listening on %s:%d, ready in %.1fs" % (args.host, server.server_port, WARMUP), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
