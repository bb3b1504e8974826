"""CPython multiprocessing peer for the multiprocessing4j benchmarks.

    python3 cpython_bench.py [--quick] [FILTER]

Prints one JSON line per case on stdout, {"case": ..., "unit": ..., "value": ...}, and the
interpreter it runs on to stderr. FILTER is a case-insensitive regular expression searched in
the case names (e.g. "roundtrip", "oneway", "start", "spawn").

Cases (see bench/README.md for what each one mirrors on the Java side):
  pipe_roundtrip_{8B,1KiB}       us/op  duplex Pipe(); the child echoes with recv_bytes/send_bytes
  pipe_oneway_64B                msg/s  duplex Pipe(); the child streams send_bytes, we recv_bytes
  pipe_oneway_{64KiB,1MiB}       MB/s   same, payload bytes per second, MB = 10**6 bytes
  start_first_message_<method>   ms     Process.start() -> first recv_bytes() of the child's message
  start_join_<method>            ms     Process.start() + join() of an empty target

Steady-state cases use the 'fork' context (start method does not matter once the child runs)
and report the median of REPS timed batches after a warm-up. Start cases report the median
of K runs after one discarded run (which also starts the forkserver).

This file is re-imported as __mp_main__ by spawned children: keep the top level cheap.
"""

import json
import multiprocessing as mp
import os
import platform
import re
import statistics
import sys
import time

REPS = 5
SIZES_ROUNDTRIP = [(8, "8B"), (1024, "1KiB")]
SIZES_ONEWAY = [(64, "64B", "msg/s"), (64 * 1024, "64KiB", "MB/s"), (1024 * 1024, "1MiB", "MB/s")]
START_FIRST = ["spawn", "fork", "forkserver"]
START_JOIN = ["spawn", "fork", "forkserver"]


# ---- child targets (module level so that spawn/forkserver children can find them) ----

def _echo(conn, parents_end):
    parents_end.close()  # inherited under fork; keeping it open would hide the parent's EOF
    try:
        while True:
            conn.send_bytes(conn.recv_bytes())
    except EOFError:
        pass


def _stream(conn, parents_end, size, count):
    parents_end.close()
    payload = b"x" * size
    try:
        for _ in range(count):
            conn.send_bytes(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass


def _first_message(w):
    w.send_bytes(b"\x01")


def _empty():
    pass


# ---- measurements ----

def emit(case, unit, value):
    print(json.dumps({"case": case, "unit": unit, "value": round(value, 4)}), flush=True)


def roundtrip(size, label, n):
    ctx = mp.get_context("fork")
    mine, theirs = ctx.Pipe(duplex=True)
    p = ctx.Process(target=_echo, args=(theirs, mine))
    p.start()
    theirs.close()
    msg = b"x" * size
    for _ in range(max(n // 10, 1000)):
        mine.send_bytes(msg)
        mine.recv_bytes()
    per_op = []
    batch = n // REPS
    clock = time.perf_counter_ns
    for _ in range(REPS):
        t0 = clock()
        for _ in range(batch):
            mine.send_bytes(msg)
            mine.recv_bytes()
        per_op.append((clock() - t0) / 1e3 / batch)
    mine.close()
    p.join()
    emit(f"pipe_roundtrip_{label}", "us/op", statistics.median(per_op))


def oneway(size, label, unit, n):
    ctx = mp.get_context("fork")
    mine, theirs = ctx.Pipe(duplex=True)
    warmup = max(n // 10, 10)
    batch = n // REPS
    p = ctx.Process(target=_stream, args=(theirs, mine, size, warmup + batch * REPS))
    p.start()
    theirs.close()
    for _ in range(warmup):
        mine.recv_bytes()
    rates = []
    clock = time.perf_counter_ns
    for _ in range(REPS):
        t0 = clock()
        for _ in range(batch):
            mine.recv_bytes()
        msgs_per_s = batch / ((clock() - t0) / 1e9)
        rates.append(msgs_per_s if unit == "msg/s" else msgs_per_s * size / 1e6)
    mine.close()
    p.join()
    emit(f"pipe_oneway_{label}", unit, statistics.median(rates))


def start_first_message(method, k):
    ctx = mp.get_context(method)
    samples = []
    for i in range(k + 1):
        r, w = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_first_message, args=(w,))
        t0 = time.perf_counter_ns()
        p.start()
        r.recv_bytes()
        t1 = time.perf_counter_ns()
        p.join()
        w.close()
        r.close()
        if i > 0:
            samples.append((t1 - t0) / 1e6)
    emit(f"start_first_message_{method}", "ms", statistics.median(samples))


def start_join(method, k):
    ctx = mp.get_context(method)
    samples = []
    for i in range(k + 1):
        p = ctx.Process(target=_empty)
        t0 = time.perf_counter_ns()
        p.start()
        p.join()
        t1 = time.perf_counter_ns()
        if i > 0:
            samples.append((t1 - t0) / 1e6)
    emit(f"start_join_{method}", "ms", statistics.median(samples))


def main(argv):
    quick = "--quick" in argv
    rest = [a for a in argv if a != "--quick"]
    if len(rest) > 1 or any(a.startswith("-") for a in rest):
        print(__doc__, file=sys.stderr)
        return 2
    pattern = re.compile(rest[0] if rest else "", re.IGNORECASE)
    print(f"# cpython_bench: {sys.executable} (Python {platform.python_version()}, "
          f"{platform.python_implementation()}), quick={quick}", file=sys.stderr)

    n_rt = 5_000 if quick else 50_000
    k = 5 if quick else 20
    # measured messages per one-way case: ~0.1-0.3 s (quick) / ~1-3 s (full) each on a small VM
    n_ow = {64: 20_000, 64 * 1024: 5_000, 1024 * 1024: 300}
    if not quick:
        n_ow = {s: v * 10 for s, v in n_ow.items()}

    cases = []
    for size, label in SIZES_ROUNDTRIP:
        cases.append((f"pipe_roundtrip_{label}", lambda s=size, l=label: roundtrip(s, l, n_rt)))
    for size, label, unit in SIZES_ONEWAY:
        cases.append((f"pipe_oneway_{label}", lambda s=size, l=label, u=unit: oneway(s, l, u, n_ow[s])))
    for m in START_FIRST:
        cases.append((f"start_first_message_{m}", lambda m=m: start_first_message(m, k)))
    for m in START_JOIN:
        cases.append((f"start_join_{m}", lambda m=m: start_join(m, k)))

    available = set(mp.get_all_start_methods())
    failed = 0
    for name, run in cases:
        if not pattern.search(name):
            continue
        method = name.rsplit("_", 1)[-1]
        if name.startswith("start_") and method not in available:
            print(f"# {name}: start method {method} not available here, skipped", file=sys.stderr)
            continue
        try:
            run()
        except Exception as e:  # one broken case must not hide the others
            failed += 1
            print(f"# {name} failed: {e!r}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
