#!/usr/bin/env python3
"""Reads one h2load run of bench/grpc/run and prints it as one machine-readable line, as post.lua does for wrk:

  BENCH requests=N seconds=S rps=R mean=US sd=US p50=US p99=US p999=US max=US errors=N

Latencies in microseconds: the mean and sd are h2load's own ("time for request"); the percentiles come from its
--log-file, one line per request with the time to the end of the answer, which h2load's summary does not give.

A run counts only if every call succeeded as a gRPC call, which h2load alone cannot tell: it sees HTTP statuses, and a
proxy's own gRPC errors come as HTTP 200 with a grpc-status trailer and no message. So besides h2load's failed,
errored and timed-out counts and its statuses (2xx only), this checks that the answers carried one message of the expected
size per call, and that the backend (EchoBackend's /stats, read before and after) answered grpc-status 0 to
at least as many calls as h2load completed and to no more than it started. Any mismatch is printed on stderr and
counted in errors; the run script stops on it.

Usage: h2load_result.py --output FILE --log FILE --message-bytes N --backend-before "grpc=.." --backend-after "grpc=.."
"""
import argparse
import re
import sys

UNITS = {"us": 1.0, "ms": 1e3, "s": 1e6}


def micros(text):
    number, unit = re.fullmatch(r"([0-9.]+)(us|ms|s)", text).groups()
    return float(number) * UNITS[unit]


def counts(stats):
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", stats)}


def percentile(ordered, p):
    if not ordered:
        return 0
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered))) - 1))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--message-bytes", type=int, required=True)
    parser.add_argument("--backend-before", required=True)
    parser.add_argument("--backend-after", required=True)
    args = parser.parse_args()

    with open(args.output) as f:
        out = f.read()
    problems = []

    finished = re.search(r"finished in ([0-9.]+)s, ([0-9.]+) req/s", out)
    requests = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                         r"(\d+) errored, (\d+) timeout", out)
    statuses = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    traffic = re.search(r"traffic: .*?, .*?\((\d+)\) data", out)
    timing = re.search(r"time for request:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", out)
    if not (finished and requests and statuses and traffic and timing):
        print(out, file=sys.stderr)
        print("h2load_result.py: h2load printed no complete summary", file=sys.stderr)
        sys.exit(1)
    seconds, rps = float(finished.group(1)), float(finished.group(2))
    _, started, done, succeeded, failed, errored, timeouts = map(int, requests.groups())
    ok_2xx = int(statuses.group(1))
    data = int(traffic.group(1))
    mean, sd = micros(timing.group(3)), micros(timing.group(4))

    errors = failed + errored + timeouts
    if errors:
        problems.append(f"{failed} failed, {errored} errored, {timeouts} timed out")
    # Statuses are counted as answers begin: calls still open when the time is up may have one already.
    other_statuses = sum(map(int, statuses.groups()[1:]))
    if other_statuses or not done <= ok_2xx <= started:
        problems.append(f"statuses: {ok_2xx} 2xx and {other_statuses} others for {done} calls done, {started} "
                        f"started")
        errors += max(1, other_statuses, done - ok_2xx)
    # Calls still open when the time is up may have had their message already: up to `started`.
    if not done * args.message_bytes <= data <= started * args.message_bytes:
        problems.append(f"{data} bytes of messages for {done} calls (expected one {args.message_bytes}-byte "
                        f"message each); a proxy answered some calls itself")
        errors += max(1, done - data // args.message_bytes)
    before, after = counts(args.backend_before), counts(args.backend_after)
    answered = after.get("grpc", 0) - before.get("grpc", 0)
    bad = after.get("bad", 0) - before.get("bad", 0)
    if not done <= answered <= started:
        problems.append(f"the backend answered {answered} calls with grpc-status 0; h2load completed {done} and "
                        f"started {started}")
        errors += max(1, done - answered)
    if bad:
        problems.append(f"the backend got {bad} malformed messages")
        errors += bad

    latencies = []
    with open(args.log) as f:
        for line in f:
            fields = line.split("\t")
            if len(fields) >= 3 and fields[1] == "200":
                latencies.append(int(fields[2]))
    latencies.sort()

    if problems:
        print(out, file=sys.stderr)
        for problem in problems:
            print("h2load_result.py: " + problem, file=sys.stderr)
    print(f"BENCH requests={done} seconds={seconds:.3f} rps={rps:.1f} mean={mean:.1f} sd={sd:.1f} "
          f"p50={percentile(latencies, 50)} p99={percentile(latencies, 99)} p999={percentile(latencies, 99.9)} "
          f"max={latencies[-1] if latencies else 0} errors={errors}")


if __name__ == "__main__":
    main()
