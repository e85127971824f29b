#!/usr/bin/env python3
"""Summarises a JFR recording of the Sluice node under load (bench/proxy/run): where its threads spend their time.

Usage: jfr_top.py RECORDING.jfr   (needs the JDK's `jfr` tool)

Prints, as Markdown:
- the JVM's CPU split (user / kernel) and GC pauses;
- samples per thread;
- Java time by component: each sample goes to the first frame, from the top, that is not in the JDK, so that a
  HashMap.put called by Sluice's header copy counts as Sluice, and one called by Netty as Netty;
- the hottest frames by self time, and the io.sluice / io.vertx methods by inclusive time;
- native (syscall) samples by method; the event loop waiting in epoll is idle, not work;
- allocation: bytes by allocated class and by allocating site (first non-JDK frame).

ExecutionSample (threads in Java) is taken every 10 ms and NativeMethodSample (threads in native code) every 20 ms
with the `profile` settings; JFR samples only a few threads per period, so counts are shares, not times.
"""
import collections
import re
import subprocess
import sys

JDK_PREFIXES = ("java.", "javax.", "jdk.", "sun.", "com.sun.")
# Where a sample lands when its first non-JDK frame is in this package (checked in order).
COMPONENTS = [
    ("io.sluice.", "Sluice (io.sluice)"),
    ("io.vertx.core.http.", "Vert.x HTTP (server/client/pool)"),
    ("io.vertx.", "Vert.x core (futures, contexts, streams)"),
    ("io.netty.handler.codec.http", "Netty HTTP codec"),
    ("io.netty.buffer.", "Netty buffers"),
    ("io.netty.channel.", "Netty channel / pipeline / event loop"),
    ("io.netty.", "Netty other"),
    ("ch.qos.logback.", "logging"),
    ("org.slf4j.", "logging"),
]
EVENT_RE = re.compile(r"^(jdk\.\w+) \{$")
FRAME_RE = re.compile(r"^\s{4}(\S.*?)(?: line: \d+)?$")


def frames_method(frame):
    """'io.netty.Foo.bar(int, Object) line: 3' -> 'io.netty.Foo.bar'."""
    return frame.split("(", 1)[0]


def parse(path, events, depth):
    out = subprocess.run(["jfr", "print", "--stack-depth", str(depth), "--events", events, path],
                         check=True, capture_output=True, text=True).stdout
    current = None
    in_stack = False
    for line in out.splitlines():
        m = EVENT_RE.match(line)
        if m:
            current = {"type": m.group(1), "frames": []}
            in_stack = False
            continue
        if current is None:
            continue
        stripped = line.strip()
        if stripped == "}" and not line.startswith(" "):
            yield current
            current = None
        elif stripped == "stackTrace = [":
            in_stack = True
        elif in_stack and stripped == "]":
            in_stack = False
        elif in_stack:
            if stripped != "...":
                current["frames"].append(frames_method(stripped))
        elif " = " in stripped:
            key, _, value = stripped.partition(" = ")
            current[key] = value


def is_jdk(method):
    return method.startswith(JDK_PREFIXES)


def component(frames):
    for method in frames:
        if not is_jdk(method):
            for prefix, name in COMPONENTS:
                if method.startswith(prefix):
                    return name
            return "other: " + ".".join(method.split(".")[:3])
    return "JDK only: " + (frames[0] if frames else "?")


def size_bytes(text):
    number, _, unit = text.partition(" ")
    factor = {"bytes": 1, "byte": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}.get(unit, 1)
    return float(number) * factor


def table(rows, headers):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(["---"] * len(headers)) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def pct(n, total):
    return f"{100.0 * n / total:.1f} %" if total else "-"


def main():
    path = sys.argv[1]
    out = []

    cpu = [e for e in parse(path, "jdk.CPULoad", 1)]
    if cpu:
        def avg(key):
            values = [float(e[key].rstrip("%")) for e in cpu if key in e]
            return sum(values) / len(values) if values else 0.0
        user, kernel = avg("jvmUser"), avg("jvmSystem")
        out.append(f"JVM CPU over the recording (share of all the machine's CPUs): user {user:.1f} %, kernel "
                   f"{kernel:.1f} % (kernel = {pct(kernel, user + kernel)} of the JVM's CPU: socket syscalls and the "
                   f"loopback TCP stack); machine total {avg('machineTotal'):.1f} %.")
    gcs = list(parse(path, "jdk.GarbageCollection", 1))
    if gcs:
        def ms(text):
            number, _, unit = text.partition(" ")
            return float(number) * {"s": 1000, "ms": 1, "us": 1e-3, "ns": 1e-6}.get(unit, 1)
        pauses = [ms(e["sumOfPauses"]) for e in gcs if "sumOfPauses" in e]
        names = collections.Counter(e.get("name", "?").strip('"') for e in gcs)
        out.append(f"GC: {len(gcs)} collections ({', '.join(f'{n} x{c}' for n, c in names.items())}), pauses "
                   f"total {sum(pauses):.0f} ms, longest {max(pauses):.1f} ms.")

    java = list(parse(path, "jdk.ExecutionSample", 64))
    native = list(parse(path, "jdk.NativeMethodSample", 64))
    threads = collections.Counter()
    for e in java:
        threads[e.get("sampledThread", "?").split(" (")[0].strip('"'), "java"] += 1
    for e in native:
        threads[e.get("sampledThread", "?").split(" (")[0].strip('"'), "native"] += 1
    names = sorted({t for t, _ in threads}, key=lambda t: -(threads[t, "java"] + 2 * threads[t, "native"]))
    out.append("\n**Samples per thread** (Java every 10 ms, native every 20 ms while running):\n")
    out.append(table([(t, threads[t, "java"], threads[t, "native"]) for t in names[:8]],
                     ["thread", "Java samples", "native samples"]))

    loop = [e for e in java if "eventloop" in e.get("sampledThread", "")]
    total = len(loop)
    out.append(f"\n**Event-loop Java time by component** ({total} samples; JDK frames charged to their caller):\n")
    by_component = collections.Counter(component(e["frames"]) for e in loop)
    out.append(table([(name, n, pct(n, total)) for name, n in by_component.most_common(12)],
                     ["component", "samples", "share"]))

    self_time = collections.Counter(e["frames"][0] for e in loop if e["frames"])
    out.append("\n**Hottest frames, self time** (event loop):\n")
    out.append(table([(f"`{m}`", n, pct(n, total)) for m, n in self_time.most_common(20)],
                     ["method", "samples", "share"]))

    inclusive = collections.Counter()
    for e in loop:
        for method in set(e["frames"]):
            if method.startswith(("io.sluice.", "io.vertx.core.http.impl.")):
                inclusive[method] += 1
    out.append("\n**Sluice and Vert.x HTTP methods, inclusive time** (event loop; stacks cut at 64 frames):\n")
    out.append(table([(f"`{m}`", n, pct(n, total)) for m, n in inclusive.most_common(25)],
                     ["method", "samples", "share"]))

    loop_native = [e for e in native if "eventloop" in e.get("sampledThread", "")]
    by_native = collections.Counter(e["frames"][0] if e["frames"] else "?" for e in loop_native)
    out.append(f"\n**Event-loop native samples** ({len(loop_native)}): the syscalls it was in when sampled "
               f"(epoll wait is idle; the JVM's kernel share above is the measure of syscall cost).\n")
    out.append(table([(f"`{m}`", n) for m, n in by_native.most_common(8)], ["native method", "samples"]))

    allocations = list(parse(path, "jdk.ObjectAllocationSample", 64))
    by_class = collections.Counter()
    by_site = collections.Counter()
    seen_threads = set()
    for e in allocations:
        # A sample's weight is what its thread allocated since that thread's previous sample; the first one of each
        # thread reaches back to before the recording started, so it is left out.
        thread = e.get("eventThread", "?")
        if thread not in seen_threads:
            seen_threads.add(thread)
            continue
        weight = size_bytes(e.get("weight", "0 bytes"))
        by_class[e.get("objectClass", "?").split(" (")[0]] += weight
        site = next((m for m in e["frames"] if not is_jdk(m)), e["frames"][0] if e["frames"] else "?")
        by_site[site] += weight
    all_bytes = sum(by_class.values())
    out.append(f"\n**Allocation** (sampled, {all_bytes / 1e6:.0f} MB estimated over the recording), by class:\n")
    out.append(table([(f"`{c}`", f"{b / 1e6:.0f} MB", pct(b, all_bytes)) for c, b in by_class.most_common(12)],
                     ["class", "bytes", "share"]))
    out.append("\nby allocating site (first non-JDK frame):\n")
    out.append(table([(f"`{s}`", f"{b / 1e6:.0f} MB", pct(b, all_bytes)) for s, b in by_site.most_common(15)],
                     ["site", "bytes", "share"]))
    print("\n".join(out))


if __name__ == "__main__":
    main()
