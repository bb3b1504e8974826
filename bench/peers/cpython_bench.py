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
  lock_uncontended               ns/op  Lock().acquire() + release() in one process
  lock_handoff_roundtrip         us/op  two processes alternate through two Locks used as
                                        binary semaphores (release by the other process)
  value_increment_locked         ns/op  with v.get_lock(): v.value += 1  (Value('q'), one process)
  shm_create_attach_close        us/op  SharedMemory(create=True, 4096) + attach by name + close
                                        both + unlink
  shm_write_{1MiB,256MiB}        MB/s   shm.buf[:] = bytes of that size
  queue_<kind>                   msg/s  Queue/SimpleQueue throughput, producers in child processes,
                                        sentinel drain included (see QUEUE_CASES)
  queue_roundtrip_64B[_simple]   us/op  one 64-byte item to a child through a Queue (SimpleQueue)
                                        and back through another: put, the child get()s and
                                        put()s it back, get (both sides block in get())

Steady-state cases use the 'fork' context (start method does not matter once the child runs)
and report the median of REPS timed batches after a warm-up. Start cases report the median
of K runs after one discarded run (which also starts the forkserver).

One run is one sample per case: scripts/bench runs this file once per fork, each time in a
fresh interpreter, and the report takes the median and the spread over those runs. The sizes
are chosen for that (a 5-process run measures about what one long run of the earlier sizes
did): the default sizes are --quick's with twice the round trips and one-way messages.

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

def _lock_partner(a, b, n):
    for _ in range(n):
        a.acquire()
        b.release()


def _producer(q, item, n, start):
    start.wait()
    for _ in range(n):
        q.put(item)
    q.put(None)


def _consumer(q, sentinels):
    seen = 0
    while seen < sentinels:
        if q.get() is None:
            seen += 1


def _queue_echo(ping, pong):
    while True:
        item = ping.get()
        if item is None:
            break
        pong.put(item)


class Record:
    """The small three-field record of the queue benchmark (Java: a record of int, long, String)."""
    __slots__ = ("id", "stamp", "name")

    def __init__(self, id, stamp, name):
        self.id, self.stamp, self.name = id, stamp, name

    def __reduce__(self):
        return (Record, (self.id, self.stamp, self.name))


# kind -> (queue class, maxsize, item, producers, consumers in children (0 = this process))
QUEUE_CASES = {
    "64B_1to1": ("Queue", 0, b"x" * 64, 1, 0),
    "64B_1to1_simple": ("SimpleQueue", 0, b"x" * 64, 1, 0),
    "64B_2to2": ("Queue", 0, b"x" * 64, 2, 2),
    "record_1to1": ("Queue", 0, Record(7, 1234567890123, "seven"), 1, 0),
    "64KiB_1to1": ("Queue", 0, b"x" * 65536, 1, 0),
    "64B_1to1_maxsize1000": ("Queue", 1000, b"x" * 64, 1, 0),
}


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


def lock_uncontended(n):
    lock = mp.get_context("fork").Lock()
    clock = time.perf_counter_ns
    for _ in range(n // 10):
        lock.acquire()
        lock.release()
    per_op = []
    for _ in range(REPS):
        t0 = clock()
        for _ in range(n):
            lock.acquire()
            lock.release()
        per_op.append((clock() - t0) / n)
    emit("lock_uncontended", "ns/op", statistics.median(per_op))


def lock_handoff(n):
    ctx = mp.get_context("fork")
    a, b = ctx.Lock(), ctx.Lock()
    a.acquire()
    b.acquire()
    warm = max(n // 10, 100)
    batch = n // REPS
    p = ctx.Process(target=_lock_partner, args=(a, b, warm + batch * REPS))
    p.start()
    for _ in range(warm):
        a.release()
        b.acquire()
    per_op = []
    clock = time.perf_counter_ns
    for _ in range(REPS):
        t0 = clock()
        for _ in range(batch):
            a.release()
            b.acquire()
        per_op.append((clock() - t0) / 1e3 / batch)
    p.join()
    emit("lock_handoff_roundtrip", "us/op", statistics.median(per_op))


def value_increment_locked(n):
    v = mp.get_context("fork").Value("q", 0)
    clock = time.perf_counter_ns
    per_op = []
    for _ in range(REPS):
        t0 = clock()
        for _ in range(n):
            with v.get_lock():
                v.value += 1
        per_op.append((clock() - t0) / n)
    emit("value_increment_locked", "ns/op", statistics.median(per_op))


def shm_create_attach_close(n):
    from multiprocessing import shared_memory
    clock = time.perf_counter_ns
    per_op = []
    for _ in range(REPS):
        t0 = clock()
        for _ in range(n):
            a = shared_memory.SharedMemory(create=True, size=4096)
            b = shared_memory.SharedMemory(name=a.name)
            b.close()
            a.close()
            a.unlink()
        per_op.append((clock() - t0) / 1e3 / n)
    emit("shm_create_attach_close", "us/op", statistics.median(per_op))


def shm_write(size, label, n):
    from multiprocessing import shared_memory
    shm = shared_memory.SharedMemory(create=True, size=size)
    try:
        data = b"\x5a" * size
        shm.buf[:] = data  # touch the pages once
        rates = []
        clock = time.perf_counter_ns
        for _ in range(REPS):
            t0 = clock()
            for _ in range(n):
                shm.buf[:] = data
            rates.append(size * n / ((clock() - t0) / 1e9) / 1e6)
        emit(f"shm_write_{label}", "MB/s", statistics.median(rates))
    finally:
        shm.close()
        shm.unlink()


def queue_throughput(kind, n):
    qclass, maxsize, item, producers, consumers = QUEUE_CASES[kind]
    ctx = mp.get_context("fork")
    rates = []
    for rep in range(REPS + 1):  # the first run warms up
        q = ctx.SimpleQueue() if qclass == "SimpleQueue" else ctx.Queue(maxsize)
        start = ctx.Event()
        per = n // producers
        ps = [ctx.Process(target=_producer, args=(q, item, per, start)) for _ in range(producers)]
        cs = [ctx.Process(target=_consumer, args=(q, 1)) for _ in range(consumers)]
        for p in ps + cs:
            p.start()
        t0 = time.perf_counter_ns()
        start.set()
        if consumers:
            for c in cs:
                c.join()
        else:
            _consumer(q, producers)
        t1 = time.perf_counter_ns()
        for p in ps:
            p.join()
        if rep > 0:
            rates.append(per * producers / ((t1 - t0) / 1e9))
    emit(f"queue_{kind}", "msg/s", statistics.median(rates))


def queue_roundtrip(simple, n):
    ctx = mp.get_context("fork")
    make = ctx.SimpleQueue if simple else ctx.Queue
    ping, pong = make(), make()
    p = ctx.Process(target=_queue_echo, args=(ping, pong))
    p.start()
    item = b"x" * 64
    for _ in range(max(n // 10, 100)):
        ping.put(item)
        pong.get()
    per_op = []
    batch = n // REPS
    clock = time.perf_counter_ns
    for _ in range(REPS):
        t0 = clock()
        for _ in range(batch):
            ping.put(item)
            pong.get()
        per_op.append((clock() - t0) / 1e3 / batch)
    ping.put(None)
    p.join()
    emit("queue_roundtrip_64B" + ("_simple" if simple else ""), "us/op", statistics.median(per_op))


def _inc(x):
    return x + 1


def pool_map(kind, chunksize, items, reps):
    # the warm-up map starts the workers and warms their imports; a full-size one would double
    # the cost of the slowest peer case (ProcessPoolExecutor, chunksize 1: ~25 s per 100k map)
    from concurrent.futures import ProcessPoolExecutor
    data = range(items)
    warm = range(min(items, 1000))
    times = []
    if kind == "pool":
        with mp.Pool(2) as pool:
            pool.map(_inc, warm, chunksize=chunksize or None)
            for _ in range(reps):
                t0 = time.perf_counter()
                pool.map(_inc, data, chunksize=chunksize or None)
                times.append((time.perf_counter() - t0) * 1e3)
        emit(f"pool_map_{'chunk1' if chunksize == 1 else 'default'}", "ms", statistics.median(times))
    else:
        with ProcessPoolExecutor(2) as ex:
            list(ex.map(_inc, warm, chunksize=chunksize or 1))
            for _ in range(reps):
                t0 = time.perf_counter()
                list(ex.map(_inc, data, chunksize=chunksize or 1))
                times.append((time.perf_counter() - t0) * 1e3)
        emit(f"ppe_map_{'chunk1' if chunksize == 1 else 'default'}", "ms", statistics.median(times))


def pool_apply_roundtrip(n):
    with mp.Pool(2) as pool:
        for i in range(max(n // 10, 100)):
            pool.apply_async(_inc, (i,)).get()
        per_op = []
        batch = n // REPS
        clock = time.perf_counter_ns
        for _ in range(REPS):
            t0 = clock()
            for i in range(batch):
                pool.apply_async(_inc, (i,)).get()
            per_op.append((clock() - t0) / 1e3 / batch)
    emit("pool_apply_roundtrip", "us/op", statistics.median(per_op))


def pool_create_first_result(k):
    times = []
    for _ in range(k):
        t0 = time.perf_counter()
        pool = mp.Pool(2)
        pool.apply_async(_inc, (41,)).get()
        pool.close()
        pool.join()
        times.append((time.perf_counter() - t0) * 1e3)
    emit("pool_create_first_result", "ms", statistics.median(times))


def manager_dict_setget(n):
    with mp.get_context("spawn").Manager() as m:
        d = m.dict()
        for i in range(max(n // 10, 100)):
            d["k"] = i
            d["k"]
        per_op = []
        batch = n // REPS
        clock = time.perf_counter_ns
        for _ in range(REPS):
            t0 = clock()
            for i in range(batch):
                d["k"] = i
                d["k"]
            per_op.append((clock() - t0) / 1e3 / batch)
    emit("manager_dict_setget", "us/op", statistics.median(per_op))


def listener_connect_auth(n):
    import threading
    from multiprocessing.connection import Client, Listener
    key = b"bench key"
    listener = Listener(("127.0.0.1", 0), authkey=key)

    def serve():
        while True:
            try:
                c = listener.accept()
            except OSError:
                return
            c.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    for _ in range(max(n // 10, 20)):
        Client(listener.address, authkey=key).close()
    per_op = []
    batch = max(n // REPS, 1)
    clock = time.perf_counter_ns
    for _ in range(REPS):
        t0 = clock()
        for _ in range(batch):
            Client(listener.address, authkey=key).close()
        per_op.append((clock() - t0) / 1e3 / batch)
    listener.close()
    emit("listener_connect_auth", "us/op", statistics.median(per_op))


def main(argv):
    quick = "--quick" in argv
    rest = [a for a in argv if a != "--quick"]
    if len(rest) > 1 or any(a.startswith("-") for a in rest):
        print(__doc__, file=sys.stderr)
        return 2
    pattern = re.compile(rest[0] if rest else "", re.IGNORECASE)
    print(f"# cpython_bench: {sys.executable} (Python {platform.python_version()}, "
          f"{platform.python_implementation()}), quick={quick}", file=sys.stderr)

    n_rt = 5_000 if quick else 10_000
    k = 12  # child starts per process (scripts/bench runs several processes)
    # measured messages per one-way case: ~0.1-0.3 s (quick) / ~0.2-0.6 s each on a small VM
    n_ow = {64: 20_000, 64 * 1024: 5_000, 1024 * 1024: 300}
    if not quick:
        n_ow = {s: v * 2 for s, v in n_ow.items()}

    cases = []
    for size, label in SIZES_ROUNDTRIP:
        cases.append((f"pipe_roundtrip_{label}", lambda s=size, l=label: roundtrip(s, l, n_rt)))
    for size, label, unit in SIZES_ONEWAY:
        cases.append((f"pipe_oneway_{label}", lambda s=size, l=label, u=unit: oneway(s, l, u, n_ow[s])))
    for m in START_FIRST:
        cases.append((f"start_first_message_{m}", lambda m=m: start_first_message(m, k)))
    for m in START_JOIN:
        cases.append((f"start_join_{m}", lambda m=m: start_join(m, k)))

    cases.append(("lock_uncontended", lambda: lock_uncontended(200_000)))
    cases.append(("lock_handoff_roundtrip", lambda: lock_handoff(5_000)))
    cases.append(("value_increment_locked", lambda: value_increment_locked(100_000)))
    cases.append(("shm_create_attach_close", lambda: shm_create_attach_close(200)))
    cases.append(("shm_write_1MiB", lambda: shm_write(1 << 20, "1MiB", 50)))
    cases.append(("shm_write_256MiB", lambda: shm_write(256 << 20, "256MiB", 1)))
    for kind in QUEUE_CASES:
        n = (2_000 if "64KiB" in kind else 20_000)
        cases.append((f"queue_{kind}", lambda k=kind, n=n: queue_throughput(k, n)))

    cases.append(("pool_map_chunk1", lambda: pool_map("pool", 1, 100_000, 2)))
    cases.append(("pool_map_default", lambda: pool_map("pool", 0, 100_000, 3)))
    cases.append(("ppe_map_chunk1", lambda: pool_map("ppe", 1, 100_000, 1)))
    cases.append(("pool_apply_roundtrip", lambda: pool_apply_roundtrip(2_000)))
    cases.append(("pool_create_first_result", lambda: pool_create_first_result(k)))
    cases.append(("manager_dict_setget", lambda: manager_dict_setget(5_000)))
    cases.append(("listener_connect_auth", lambda: listener_connect_auth(500)))
    cases.append(("queue_roundtrip_64B", lambda: queue_roundtrip(False, 2_000)))
    cases.append(("queue_roundtrip_64B_simple", lambda: queue_roundtrip(True, 2_000)))

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
