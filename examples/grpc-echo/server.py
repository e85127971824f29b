"""A small gRPC server for trying Sluice's gRPC routing: the service in echo.proto, one method per kind of call.

It keeps its own counts (Stats: calls in flight, the most at once, calls, cancellations), so a test can see what
reached the replica rather than what the proxy says it sent. It has no HTTP health endpoint: Sluice knows it is up
when its port accepts a TCP connection. Runs on Debian's python3-grpcio and python3-grpc-tools (/usr/bin/python3).

Environment:
  PORT             port to listen on (else --port, else 50051); Sluice sets it for every replica
  WARMUP_SECONDS   seconds before the port is bound, as a model that loads before serving (default 0)
  SLUICE_REPLICA   the replica's name, in answers and in the x-replica initial metadata
"""

import argparse
import base64
import os
import signal
import threading
import time
import urllib.parse
from concurrent import futures

import grpc

import stubs

echo_pb2, echo_pb2_grpc = stubs.load()

REPLICA = os.environ.get("SLUICE_REPLICA", "local")
WARMUP = float(os.environ.get("WARMUP_SECONDS", "0"))
# Enough threads that a test's concurrency is limited by the proxy, not here: each call, streams included, holds
# one thread for its whole length.
WORKERS = 64
STOP_GRACE_SECONDS = 5


def metadata_value(text):
    """text as a metadata value: gRPC allows printable ASCII only, so anything else is percent-encoded."""
    if all(" " <= c <= "~" for c in text):
        return text
    return urllib.parse.quote(text, safe="")


class Counts:
    """What Stats reports, over every call but Stats itself."""

    def __init__(self):
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.calls = 0
        self.cancelled = 0

    def started(self):
        with self.lock:
            self.in_flight += 1
            self.calls += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def ended(self, cancelled):
        with self.lock:
            self.in_flight -= 1
            if cancelled:
                self.cancelled += 1

    def read(self, reset):
        with self.lock:
            reply = echo_pb2.StatsReply(in_flight=self.in_flight, max_in_flight=self.max_in_flight, calls=self.calls,
                                        cancelled=self.cancelled, replica=REPLICA)
            if reset:
                self.max_in_flight = self.in_flight
                self.calls = 0
                self.cancelled = 0
            return reply


counts = Counts()


class Call:
    """One call, counted from its start to its end. ended is set when gRPC finishes the call; while the handler is
    still running that can only mean the client cancelled it or its deadline passed."""

    def __init__(self, context):
        self.ended = threading.Event()
        if not context.add_callback(self.ended.set):
            self.ended.set()  # already over

    def wait(self, seconds):
        """Sleeps for seconds; True if the call ended first."""
        return self.ended.wait(max(seconds, 0))


def counted(handler):
    """For a method that returns its answer (unary or client streaming)."""

    def wrapper(self, request, context):
        call = Call(context)
        counts.started()
        try:
            return handler(self, request, context, call)
        finally:
            counts.ended(call.ended.is_set())

    return wrapper


def counted_stream(handler):
    """For a method that streams its answers: the call lasts until the last answer is taken, or until gRPC drops the
    generator (closing it here) when the call is cancelled."""

    def wrapper(self, request, context):
        call = Call(context)
        counts.started()
        try:
            yield from handler(self, request, context, call)
        finally:
            counts.ended(call.ended.is_set())

    return wrapper


class Echo(echo_pb2_grpc.EchoServicer):

    @counted
    def Say(self, request, context, call):
        context.send_initial_metadata((("x-replica", metadata_value(REPLICA)),))
        metadata = {}
        for key, value in context.invocation_metadata():
            if key.startswith("x-"):
                value = value if isinstance(value, str) else base64.b64encode(value).decode()
                metadata[key] = metadata[key] + ", " + value if key in metadata else value
        context.set_trailing_metadata((("x-echo-trailer", metadata_value(request.text)),))
        return echo_pb2.SayReply(text=request.text, replica=REPLICA, metadata=metadata)

    @counted_stream
    def Count(self, request, context, call):
        for number in range(1, request.n + 1):
            if number > 1 and call.wait(request.interval_ms / 1000.0):
                return
            yield echo_pb2.CountReply(number=number, replica=REPLICA)

    @counted
    def Sum(self, request_iterator, context, call):
        total, count = 0, 0
        try:
            for number in request_iterator:
                total += number.value
                count += 1
        except grpc.RpcError:
            # The call was cancelled while the numbers came in: nobody is left to answer.
            return echo_pb2.SumReply()
        return echo_pb2.SumReply(sum=total, count=count, replica=REPLICA)

    @counted_stream
    def Chat(self, request_iterator, context, call):
        try:
            for message in request_iterator:
                yield echo_pb2.ChatMessage(text="echo: " + message.text, replica=REPLICA)
        except grpc.RpcError:
            return  # cancelled mid-conversation

    @counted
    def Fail(self, request, context, call):
        code = getattr(grpc.StatusCode, request.code, None)
        if not isinstance(code, grpc.StatusCode) or code is grpc.StatusCode.OK:
            errors = ", ".join(c.name for c in grpc.StatusCode if c is not grpc.StatusCode.OK)
            context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                          "code: %r (expected: one of %s)" % (request.code, errors))
        context.set_trailing_metadata((("x-fail-reason", metadata_value(request.message)),))
        context.abort(code, request.message)

    @counted
    def Sleep(self, request, context, call):
        if call.wait(request.ms / 1000.0):
            return echo_pb2.SayReply()  # cancelled or past its deadline: the answer goes nowhere
        return echo_pb2.SayReply(text="slept %d ms" % request.ms, replica=REPLICA)

    def Stats(self, request, context):
        return counts.read(request.reset)


class Stop(Exception):
    """SIGTERM or SIGINT, raised in the main thread wherever it waits (no lock is taken in the signal handler)."""


def stop(signum, frame):
    raise Stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=50051)
    args = parser.parse_args()
    port = int(os.environ.get("PORT", args.port))
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    server = None
    try:
        # Sluice knows the replica is ready when its port accepts a connection, so warming up is waiting to bind.
        time.sleep(WARMUP)
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=WORKERS))
        echo_pb2_grpc.add_EchoServicer_to_server(Echo(), server)
        server.add_insecure_port("0.0.0.0:%d" % port)
        server.start()
        print("serving gRPC sluice.echo.Echo on 0.0.0.0:%d as %s (%d workers)" % (port, REPLICA, WORKERS),
              flush=True)
        server.wait_for_termination()
    except Stop:
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if server is not None:
        # Calls in flight get STOP_GRACE_SECONDS to finish; new ones are refused at once.
        server.stop(STOP_GRACE_SECONDS).wait()
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
