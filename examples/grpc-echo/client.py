"""A command-line client for the gRPC echo app (echo.proto), for trying Sluice's gRPC routing by hand and for its
end-to-end tests, which read what it prints.

  /usr/bin/python3 client.py --target HOST:PORT [--app PROJECT/APP] [--token TOKEN] [--prefix /v4/PROJECT/APP]
                             [--timeout SECONDS] [--metadata KEY=VALUE ...] CALL ARGS...

Calls:
  say TEXT                              unary Say
  count N [INTERVAL_MS]                 server streaming Count (INTERVAL_MS defaults to 0)
  sum N1 N2 ...                         client streaming Sum
  chat M1 M2 ...                        bidirectional Chat: sends each message, waits for its echo, then the next
  fail CODE MESSAGE                     Fail with a status name such as RESOURCE_EXHAUSTED
  sleep MS                              Sleep
  stats [--reset]                       the server's counts (--reset zeroes them after reading)
  cancel-count N INTERVAL_MS AFTER_MS   Count, cancelled by the client AFTER_MS after it starts
  parallel K sleep MS                   K Sleep calls at once, from K threads on one channel

It prints one JSON object on stdout:
  {"code": "OK", "details": "", "replies": [...], "initial_metadata": {...}, "trailing_metadata": {...},
   "elapsed_ms": 12.3}
and for parallel: {"codes": ["OK", ...], "replicas": ["name", ...], "elapsed_ms": 301.2}
A call that fails is reported, not raised: code is the status's name (e.g. "UNAVAILABLE"), details its message, and
the exit status is 0. Only a wrong command line exits non-zero (2). Replies are the messages as JSON with the proto's
field names and zero values included; metadata values that repeat a key are joined with ", ", binary (-bin) values
are base64. Runs on Debian's python3-grpcio and python3-grpc-tools (/usr/bin/python3).
"""

import argparse
import base64
import json
import queue
import re
import sys
import threading
import time

import grpc
from google.protobuf import json_format

import stubs

echo_pb2, _ = stubs.load()

SERVICE = "sluice.echo.Echo"
CALLS = ("say", "count", "sum", "chat", "fail", "sleep", "stats", "cancel-count", "parallel")


def as_dict(message):
    """A reply as JSON, with its zero values: a test reading "cancelled" must find 0, not a missing key."""
    try:
        return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                         including_default_value_fields=True)
    except TypeError:  # protobuf 5.26 renamed the option
        return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                         always_print_fields_with_no_presence=True)


def metadata_dict(metadata):
    result = {}
    for key, value in metadata or ():
        if isinstance(value, bytes):
            value = base64.b64encode(value).decode()
        result[key] = result[key] + ", " + value if key in result else value
    return result


class Echo:
    """The service's methods by path, through the channel's generic calls, so that a prefixed path (as Sluice's
    /v4/PROJECT/APP) is the same code path as the bare one."""

    def __init__(self, channel, prefix):
        base = prefix.rstrip("/") + "/" + SERVICE + "/"

        def method(kind, name, request, reply):
            return getattr(channel, kind)(base + name, request_serializer=request.SerializeToString,
                                          response_deserializer=reply.FromString)

        self.say = method("unary_unary", "Say", echo_pb2.SayRequest, echo_pb2.SayReply)
        self.count = method("unary_stream", "Count", echo_pb2.CountRequest, echo_pb2.CountReply)
        self.sum = method("stream_unary", "Sum", echo_pb2.Number, echo_pb2.SumReply)
        self.chat = method("stream_stream", "Chat", echo_pb2.ChatMessage, echo_pb2.ChatMessage)
        self.fail = method("unary_unary", "Fail", echo_pb2.FailRequest, echo_pb2.SayReply)
        self.sleep = method("unary_unary", "Sleep", echo_pb2.SleepRequest, echo_pb2.SayReply)
        self.stats = method("unary_unary", "Stats", echo_pb2.StatsRequest, echo_pb2.StatsReply)


def outcome(call, replies, started):
    """The JSON for one call. call is the grpc.Call, or the grpc.RpcError that a failed call raised: gRPC's errors are
    also Calls, so both give the status and the metadata the same way."""
    code = call.code() if hasattr(call, "code") else None
    return {
        "code": code.name if code is not None else "UNKNOWN",
        "details": (call.details() if hasattr(call, "details") else None) or "",
        "replies": [as_dict(reply) for reply in replies],
        "initial_metadata": metadata_dict(call.initial_metadata() if hasattr(call, "initial_metadata") else None),
        "trailing_metadata": metadata_dict(call.trailing_metadata() if hasattr(call, "trailing_metadata") else None),
        "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
    }


def unary(multicallable, request, options):
    started = time.monotonic()
    try:
        reply, call = multicallable.with_call(request, **options)
        return outcome(call, [reply], started)
    except grpc.RpcError as error:
        return outcome(error, [], started)


def streamed(call, started, cancel_after_ms=None):
    """Reads a streaming call's replies to its end; cancel_after_ms cancels it from the client that long after
    started."""
    replies = []
    if cancel_after_ms is not None:
        timer = threading.Timer(max(cancel_after_ms / 1000.0 - (time.monotonic() - started), 0), call.cancel)
        timer.daemon = True
        timer.start()
    try:
        for reply in call:
            replies.append(reply)
        return outcome(call, replies, started)
    except grpc.RpcError as error:
        return outcome(error, replies, started)


def chat(echo, texts, options):
    """Sends each message only once the previous one's echo came back, so the replies prove the server answered
    before the client half-closed."""
    outgoing = queue.Queue()
    done = object()

    def requests():
        while True:
            text = outgoing.get()
            if text is done:
                return
            yield echo_pb2.ChatMessage(text=text)

    started = time.monotonic()
    call = echo.chat(requests(), **options)
    replies = []
    try:
        for text in texts:
            outgoing.put(text)
            replies.append(next(call))
        outgoing.put(done)
        for reply in call:  # none expected: the stream ends once the server has seen the half-close
            replies.append(reply)
        return outcome(call, replies, started)
    except StopIteration:  # the server ended the stream before echoing everything
        outgoing.put(done)
        return outcome(call, replies, started)
    except grpc.RpcError as error:
        outgoing.put(done)
        return outcome(error, replies, started)


def parallel(echo, k, ms, options):
    codes, replicas = [None] * k, [None] * k

    def one(i):
        try:
            reply, _ = echo.sleep.with_call(echo_pb2.SleepRequest(ms=ms), **options)
            codes[i], replicas[i] = "OK", reply.replica
        except grpc.RpcError as error:
            codes[i] = error.code().name

    started = time.monotonic()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(k)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"codes": codes, "replicas": replicas, "elapsed_ms": round((time.monotonic() - started) * 1000, 1)}


def run(echo, call, args, options, usage):
    def ints(values):
        try:
            return [int(v) for v in values]
        except ValueError:
            usage("%s: %s (expected: whole numbers)" % (call, " ".join(values)))

    def arity(low, high, what):
        if not low <= len(args) <= high:
            usage("%s takes %s" % (call, what))

    if call == "say":
        arity(1, 1, "TEXT")
        return unary(echo.say, echo_pb2.SayRequest(text=args[0]), options)
    if call == "count":
        arity(1, 2, "N [INTERVAL_MS]")
        n, interval = (ints(args) + [0])[:2]
        return streamed(echo.count(echo_pb2.CountRequest(n=n, interval_ms=interval), **options), time.monotonic())
    if call == "sum":
        numbers = ints(args)
        started = time.monotonic()
        try:
            reply, done = echo.sum.with_call(iter([echo_pb2.Number(value=v) for v in numbers]), **options)
            return outcome(done, [reply], started)
        except grpc.RpcError as error:
            return outcome(error, [], started)
    if call == "chat":
        return chat(echo, args, options)
    if call == "fail":
        arity(2, 2, "CODE MESSAGE")
        return unary(echo.fail, echo_pb2.FailRequest(code=args[0], message=args[1]), options)
    if call == "sleep":
        arity(1, 1, "MS")
        return unary(echo.sleep, echo_pb2.SleepRequest(ms=ints(args)[0]), options)
    if call == "stats":
        if args not in ([], ["--reset"]):
            usage("stats takes [--reset]")
        return unary(echo.stats, echo_pb2.StatsRequest(reset=bool(args)), options)
    if call == "cancel-count":
        arity(3, 3, "N INTERVAL_MS AFTER_MS")
        n, interval, after = ints(args)
        started = time.monotonic()
        return streamed(echo.count(echo_pb2.CountRequest(n=n, interval_ms=interval), **options), started, after)
    if call == "parallel":
        if len(args) != 3 or args[1] != "sleep":
            usage("parallel takes K sleep MS")
        k, ms = ints([args[0], args[2]])
        return parallel(echo, k, ms, options)
    usage("unknown call %r" % call)


def main():
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()),
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__[__doc__.index("Calls:"):])
    parser.add_argument("--target", required=True, help="HOST:PORT of the server, or of a Sluice node")
    parser.add_argument("--app", help="PROJECT/APP, sent as x-sluice-app metadata")
    parser.add_argument("--token", help="sent as authorization: Bearer TOKEN")
    parser.add_argument("--prefix", default="", help="calls PREFIX/sluice.echo.Echo/METHOD, e.g. /v4/local/grpc-echo")
    parser.add_argument("--timeout", type=float, help="the call's deadline, in seconds")
    parser.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE",
                        help="more request metadata (repeatable)")
    parser.add_argument("call", choices=CALLS, metavar="CALL", help=", ".join(CALLS))
    parser.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS")
    options = parser.parse_args()

    metadata = []
    if options.app:
        metadata.append(("x-sluice-app", options.app))
    if options.token:
        metadata.append(("authorization", "Bearer " + options.token))
    for pair in options.metadata:
        key, sep, value = pair.partition("=")
        key = key.lower()
        if not sep or not re.fullmatch(r"[0-9a-z_.-]+", key):
            parser.error("--metadata: %r (expected: KEY=VALUE, KEY of letters, digits, - _ .)" % pair)
        metadata.append((key, value.encode() if key.endswith("-bin") else value))
    for key, value in metadata:
        if isinstance(value, str) and not all(" " <= c <= "~" for c in value):
            parser.error("%s: %r (expected: printable ASCII, as gRPC metadata must be)" % (key, value))
    if options.prefix and not options.prefix.startswith("/"):
        parser.error("--prefix: %r (expected: a path starting with /)" % options.prefix)
    call_options = {"metadata": metadata, "timeout": options.timeout}

    with grpc.insecure_channel(options.target) as channel:
        result = run(Echo(channel, options.prefix), options.call, options.args, call_options, parser.error)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
