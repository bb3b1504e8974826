"""Merge JMH results and peer results into one markdown table and bench/RESULTS.md.

    python3 bench/report.py --jmh bench/target/jmh.json bench/target/jmh-alloc.json \
        --results bench/target/cpython.jsonl bench/target/probes.jsonl \
        --out bench/RESULTS.md --command "scripts/bench --quick" \
        [--jdk "openjdk 25 ..."] [--python "Python 3.13.0"] [--cc "cc 12.2.0"]

Inputs:
  --jmh      JMH's `-rf json` outputs (one or more files): lists of {"benchmark", "params",
             "primaryMetric": {"score", "scoreUnit", "scorePercentiles"}, "secondaryMetrics"}.
  --jmh-posix  the same, from runs with -Dmp4j.platform=posix: shown as "posix backend" rows
             whose peer is the default backend's value of the same case.
  --results  files of JSON lines {"case", "unit", "value"} (CPython peer, C probes); other
             lines are ignored.
A missing or unreadable file counts as "no results". Every row whose side is missing shows
"n/a". Exit status: 0 if anything at all was measured, 1 if nothing ran, 2 on bad usage.

Speedup > 1 means ours is better, whatever the unit: peer/ours for times, ours/peer for rates.
Python 3.11 standard library only.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

# ---- the case mapping -------------------------------------------------------------------------
#
# One Row per comparison question. `ours` names a JMH benchmark (suffix of the fully qualified
# name) and its params; `convert` turns JMH's primary metric into the row's unit; `peers` are
# (label, peer case name) pairs: one table line per peer. A peer case "jmh:Bench.method" is
# another JMH benchmark (a JVM peer such as Agrona), read with the row's stat and unit.
# stat="alloc" reads JMH's GC profiler (-prof gc): secondaryMetrics["gc.alloc.rate.norm"], B/op.

BENCH = "org.multiprocessing4j.bench."

CPYTHON_PIPE = "CPython Pipe()"
C_SOCKETPAIR = "C socketpair (floor)"
C_PIPES = "C two pipes (reference)"
C_FUTEX = "C futex wake/wait (reference)"
C_SPIN = "C shared-line spin (reference)"
C_SOCKETPAIR_1CPU = "C socketpair, both on one CPU (reference)"
C_FUTEX_1CPU = "C futex, both on one CPU (reference)"
AGRONA = "Agrona ManyToOneRingBuffer (spinning reference)"
AGRONA_BATCHED = "Agrona ManyToOneRingBuffer, batched read (spinning reference)"
AGRONA_PEERS = [(AGRONA, "jmh:AgronaBench.ringBuffer64B"),
                (AGRONA_BATCHED, "jmh:AgronaBench.ringBuffer64BBatched")]
ABQ_FRESH = "ArrayBlockingQueue<byte[]>, a fresh array per message, one thread (reference)"


class Row:
    def __init__(self, case, benchmark, params, unit, peers, stat="score", size=None):
        self.case = case            # row label in the table
        self.benchmark = benchmark  # JMH benchmark, e.g. "ConnectionBench.roundTrip"
        self.params = params        # JMH params that must match, values as strings
        self.unit = unit            # unit ours is shown in: us/op, ms, msg/s, MB/s
        self.peers = peers          # [(peer label, peer case)]
        self.stat = stat            # "score" (JMH mean), "median"/"p99" (scorePercentiles), "alloc"
        self.size = size            # message size, to turn ops/s into MB/s


def _roundtrip(label, size):
    return Row(f"roundtrip {label}", "ConnectionBench.roundTrip", {"size": str(size)}, "us/op", [
        (CPYTHON_PIPE, f"pipe_roundtrip_{label}"),
        (C_SOCKETPAIR, f"c_socketpair_roundtrip_{label}"),
        (C_PIPES, f"c_pipe_roundtrip_{label}"),
        (C_FUTEX, "c_futex_roundtrip"),
        (C_SPIN, "c_spin_roundtrip"),
        (C_SOCKETPAIR_1CPU, f"c_socketpair_roundtrip_{label}_samecpu"),
        (C_FUTEX_1CPU, "c_futex_roundtrip_samecpu"),
    ])


def _oneway(label, size, unit):
    return Row(f"one-way {label}", "ConnectionBench.oneWay", {"size": str(size)}, unit,
               [(CPYTHON_PIPE, f"pipe_oneway_{label}")], size=size)


BARE_JAVA = "bare java, same flags, own start archive (floor; target: speedup ≥ 0.91)"
BARE_JAVA_CASE = "jmh:ChildStartBench.bareJavaToFirstByte"


def _start(case, benchmark, python_case, params=None, extra_peers=()):
    return Row(case, benchmark, params or {}, "ms", [
        *[(f"CPython {m}", f"{python_case}_{m}") for m in ("spawn", "fork", "forkserver")],
        *extra_peers,
    ], stat="median")


ROWS = [
    _roundtrip("8B", 8),
    _roundtrip("1KiB", 1024),
    _oneway("64B", 64, "msg/s"),
    _oneway("64KiB", 64 * 1024, "MB/s"),
    _oneway("1MiB", 1024 * 1024, "MB/s"),
    _start("start → first message, spawn", "ChildStartBench.startToFirstMessage",
           "start_first_message", {"method": "spawn"}),
    _start("start → first message, spawn + start archive (CDS)", "ChildStartBench.startToFirstMessage",
           "start_first_message", {"method": "spawn+aot"}, [(BARE_JAVA, BARE_JAVA_CASE)]),
    _start("start → first message, forkserver (idle JVM ready)", "ChildStartBench.startToFirstMessage",
           "start_first_message", {"method": "forkserver"}),
    _start("start + join", "ChildStartBench.startJoin", "start_join"),
    _start("start → first byte, bare java (BareChild: no FFM, same flags, own start archive; reference)",
           "ChildStartBench.bareJavaToFirstByte", "start_first_message"),
    Row("shared counter increment (ours: atomic)", "SharedCounterBench.atomicIncrement", {}, "ns/op",
        [("CPython Value, with get_lock()", "value_increment_locked")]),
    Row("shared counter increment under the lock", "SharedCounterBench.lockedIncrement", {}, "ns/op",
        [("CPython Value, with get_lock()", "value_increment_locked")]),
    Row("shared memory create + attach + close + unlink (4 KiB, named)",
        "SharedMemoryBench.createAttachClose", {}, "us/op",
        [("CPython shared_memory", "shm_create_attach_close")]),
    Row("shared memory write 1 MiB (heap → shared)", "SharedMemoryBench.copyHeapToShared",
        {"size": "1048576"}, "MB/s", [("CPython shm.buf[:] = bytes", "shm_write_1MiB")], size=1 << 20),
    Row("shared memory write 256 MiB (heap → shared)", "SharedMemoryBench.copyHeapToShared",
        {"size": "268435456"}, "MB/s", [("CPython shm.buf[:] = bytes", "shm_write_256MiB")],
        size=256 << 20),
    Row("memcpy 256 MiB heap → private (machine reference)", "SharedMemoryBench.copyHeapToPrivate",
        {"size": "268435456"}, "MB/s", [("CPython shm.buf[:] = bytes", "shm_write_256MiB")],
        size=256 << 20),
    Row("queue 64 B, 1 → 1", "QueueBench.sharedQueue", {"kind": "64B"}, "msg/s",
        [("CPython Queue", "queue_64B_1to1"), ("CPython SimpleQueue", "queue_64B_1to1_simple"),
         *AGRONA_PEERS]),
    Row("queue 64 B, 1 → 1, putBytes/takeBytes (allocation-free)", "QueueBench.sharedQueueBytes64B", {},
        "msg/s", [("CPython Queue", "queue_64B_1to1"), *AGRONA_PEERS]),
    Row("queue 64 B, 2 → 2", "QueueBench.sharedQueue2to2", {}, "msg/s",
        [("CPython Queue", "queue_64B_2to2")]),
    Row("queue small record (3 fields), 1 → 1", "QueueBench.sharedQueue", {"kind": "record"}, "msg/s",
        [("CPython Queue", "queue_record_1to1")]),
    Row("queue 64 KiB, 1 → 1", "QueueBench.sharedQueue", {"kind": "64KiB"}, "msg/s",
        [("CPython Queue", "queue_64KiB_1to1")]),
    Row("queue 64 B, maxsize=1000, 1 → 1", "QueueBench.sharedQueue", {"kind": "64B-maxsize1000"},
        "msg/s", [("CPython Queue(1000)", "queue_64B_1to1_maxsize1000")]),
    Row("queue round trip 64 B, both sides blocked in takeBytes", "QueueLatencyBench.roundTripBlocking",
        {"cpus": "any"}, "us/op", [("CPython Queue", "queue_roundtrip_64B"),
                      ("CPython SimpleQueue", "queue_roundtrip_64B_simple"),
                      ("C futex wake/wait (floor; target: speedup ≥ 0.67)", "c_futex_roundtrip"),
                      (C_FUTEX_1CPU, "c_futex_roundtrip_samecpu")]),
    Row("queue round trip 64 B, blocked in takeBytes, both processes on one CPU",
        "QueueLatencyBench.roundTripBlocking", {"cpus": "one"}, "us/op",
        [("C futex, both on one CPU (floor; target: speedup ≥ 0.67)", "c_futex_roundtrip_samecpu")]),
    Row("queue round trip 64 B, both sides spinning on pollBytes", "QueueLatencyBench.roundTripSpinning",
        {}, "us/op", [("C shared-line spin (floor; target: speedup ≥ 0.5)", "c_spin_roundtrip")]),
    Row("bytes allocated per message: putBytes + takeBytes 64 B, one thread", "QueueAllocBench.putTakeBytes",
        {}, "B/op", [(ABQ_FRESH, "jmh:QueueAllocBench.arrayBlockingQueue")], stat="alloc"),
    Row("bytes allocated per message: takeBytes 64 B from a child's putBytes",
        "QueueAllocBench.takeBytesFromChild", {}, "B/op",
        [(ABQ_FRESH, "jmh:QueueAllocBench.arrayBlockingQueue"),
         ("SharedQueue take() returning a byte[] (the allocating API)", "jmh:QueueAllocBench.takeFromChild")],
        stat="alloc"),
    Row("queue 64 B in one JVM (ArrayBlockingQueue, reference)", "QueueBench.arrayBlockingQueue64B", {},
        "msg/s", [("CPython Queue", "queue_64B_1to1")]),
    Row("lock taken over after its holder's SIGKILL, p99, 2 busy threads", "LockRecoveryBench.killHolderThenLock",
        {}, "ms", [("CPython Lock: waits forever (no peer value)", "lock_recovery_never")], stat="p99"),
    Row("lock taken over after its holder's SIGKILL, median", "LockRecoveryBench.killHolderThenLock",
        {}, "ms", [("CPython Lock: waits forever (no peer value)", "lock_recovery_never")], stat="median"),
    Row("lock + unlock, uncontended", "LockBench.uncontendedSharedLock", {}, "ns/op",
        [("CPython Lock", "lock_uncontended")]),
    Row("lock hand-off round trip between processes", "LockBench.handoffSemaphore", {}, "us/op",
        [("CPython Lock (as semaphore)", "lock_handoff_roundtrip"),
         (C_FUTEX, "c_futex_roundtrip"), (C_FUTEX_1CPU, "c_futex_roundtrip_samecpu")]),
    Row("pool map of x + 1 over 100k ints, chunksize 1, 2 workers", "PoolBench.map100kChunk1", {}, "ms",
        [("CPython Pool(2).map", "pool_map_chunk1"), ("CPython ProcessPoolExecutor(2).map", "ppe_map_chunk1")]),
    Row("pool map of x + 1 over 100k ints, default chunksize, 2 workers", "PoolBench.map100kDefaultChunk", {},
        "ms", [("CPython Pool(2).map", "pool_map_default")]),
    Row("pool applyAsync(...).get() round trip", "PoolBench.applyAsyncRoundTrip", {}, "us/op",
        [("CPython Pool.apply_async().get()", "pool_apply_roundtrip")]),
    Row("pool creation (2 workers) to first result, then close", "PoolBench.createToFirstResult", {}, "ms",
        [("CPython Pool(2) + apply_async().get() + close/join", "pool_create_first_result")]),
    Row("cluster pool map of a CPU-bound function (~1 ms/item, 200 items), 2 local members x 1 thread",
        "ClusterBench.clusterMapCpuBound", {}, "ms",
        [("ProcessPool(2).map, same function (speedup < 1: the cluster path's overhead)",
          "jmh:ClusterBench.processPoolMapCpuBound")]),
    Row("cluster pool applyAsync(...).get() round trip (Hazelcast client -> member -> back)",
        "ClusterBench.clusterApplyAsyncRoundTrip", {}, "us/op",
        [("ProcessPool(2) applyAsync(...).get()", "jmh:PoolBench.applyAsyncRoundTrip")]),
    Row("manager dict: put + get through a proxy", "ManagerBench.dictSetGet", {}, "us/op",
        [("CPython Manager().dict()", "manager_dict_setget")]),
    Row("listener: connect + mutual authentication + close (TCP loopback)",
        "ManagerBench.connectAndAuthenticate", {}, "us/op",
        [("CPython Client(address, authkey)", "listener_connect_auth")]),
]

# The same cases run again with -Dmp4j.platform=posix (scripts/bench, bench/target/jmh-posix.json,
# read with --jmh-posix): their benchmark names carry POSIX_SUFFIX, and the peer of each is the
# default (linux) backend's value of the same case, so the speedup column is the cost of portability.
POSIX_SUFFIX = "@posix"
LINUX_BACKEND = "the linux backend, same case (speedup < 1: posix is slower)"
ROWS += [
    Row("posix backend: queue round trip 64 B, both sides blocked in takeBytes",
        "QueueLatencyBench.roundTripBlocking" + POSIX_SUFFIX, {"cpus": "any"}, "us/op",
        [(LINUX_BACKEND, "jmh:QueueLatencyBench.roundTripBlocking?cpus=any")]),
    Row("posix backend: lock hand-off round trip between processes",
        "LockBench.handoffSemaphore" + POSIX_SUFFIX, {}, "us/op",
        [(LINUX_BACKEND, "jmh:LockBench.handoffSemaphore")]),
    Row("posix backend: start → first message, spawn", "ChildStartBench.startToFirstMessage" + POSIX_SUFFIX,
        {"method": "spawn"}, "ms", [(LINUX_BACKEND, "jmh:ChildStartBench.startToFirstMessage?method=spawn")],
        stat="median"),
]

# ---- units ------------------------------------------------------------------------------------

# time per operation, in seconds
TIME = {"ns/op": 1e-9, "us/op": 1e-6, "ms/op": 1e-3, "s/op": 1.0,
        "ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
# operations (messages) per second
RATE = {"ops/s": 1.0, "ops/ms": 1e3, "ops/us": 1e6, "ops/ns": 1e9, "msg/s": 1.0}
# bytes per second (MB = 10**6 bytes)
BYTES = {"MB/s": 1e6, "GB/s": 1e9, "KB/s": 1e3, "B/s": 1.0}
# heap bytes allocated per operation (JMH's gc.alloc.rate.norm); less is better, as for time
ALLOC = {"B/op": 1.0}
# below this many bytes per op an allocation row counts as "nothing allocated" (the harness's
# own bookkeeping and rare slow paths show up as a fraction of a byte per op)
ALLOC_NONE = 1.0


def dimension(unit):
    if unit in TIME:
        return "time", TIME[unit]
    if unit in RATE:
        return "rate", RATE[unit]
    if unit in BYTES:
        return "bytes", BYTES[unit]
    if unit in ALLOC:
        return "alloc", ALLOC[unit]
    return None, None


def to_unit(value, unit, target, size=None):
    """Converts value from unit to target; None when the dimensions do not match."""
    d, f = dimension(unit)
    td, tf = dimension(target)
    if d is None or td is None:
        return None
    base = value * f
    if d == "rate" and td == "bytes" and size:
        d, base = "bytes", base * size
    if d != td:
        return None
    return base / tf


def speedup(ours, peer, unit):
    if ours is None or peer is None or ours <= 0 or peer <= 0:
        return None
    return peer / ours if dimension(unit)[0] in ("time", "alloc") else ours / peer


def speedup_cell(ours, peer, unit):
    if dimension(unit)[0] == "alloc" and ours is not None and ours < ALLOC_NONE:
        return "ours ≈ 0"
    return fmt_speedup(speedup(ours, peer, unit))


def fmt(v, unit=None):
    if v is None:
        return "n/a"
    if v >= 1000:
        s = f"{v:,.0f}"
    elif v >= 100:
        s = f"{v:.1f}"
    elif v >= 10:
        s = f"{v:.2f}"
    else:
        s = f"{v:.3f}"
    return f"{s} {unit}" if unit else s


def fmt_speedup(s):
    if s is None:
        return "n/a"
    return f"{s:.3g}×" if s < 0.1 else f"{s:.2f}×"


# ---- inputs -----------------------------------------------------------------------------------

def load_jmh(path):
    if not path or not os.path.exists(path):
        return []
    try:
        with open(path) as f:
            data = json.load(f)
        return data if isinstance(data, list) else []
    except (OSError, ValueError) as e:
        print(f"report: cannot read {path}: {e}", file=sys.stderr)
        return []


def load_results(paths):
    out = {}
    for path in paths or []:
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    r = json.loads(line)
                    out[r["case"]] = (float(r["value"]), r["unit"])
                except (ValueError, KeyError, TypeError):
                    print(f"report: ignoring line in {path}: {line}", file=sys.stderr)
    return out


def jmh_value(entry, stat):
    if stat == "alloc":
        m = (entry.get("secondaryMetrics") or {}).get("gc.alloc.rate.norm")
        if m is None:
            return None, None  # not run with -prof gc
        return float(m["score"]), m.get("scoreUnit")
    pm = entry.get("primaryMetric", {})
    percentile = {"median": "50.0", "p99": "99.0"}.get(stat)
    if percentile:
        p = pm.get("scorePercentiles", {}).get(percentile)
        if p is not None:
            return float(p), pm.get("scoreUnit")
    return float(pm["score"]), pm.get("scoreUnit")


def find_jmh(jmh, benchmark, wanted_params):
    for e in jmh:
        name = e.get("benchmark", "")
        params = e.get("params") or {}
        if name.endswith("." + benchmark) and all(params.get(k) == v for k, v in wanted_params.items()):
            return e
    return None


def jmh_in_unit(entry, row):
    """The entry's value for the row's stat, in the row's unit (None if missing)."""
    if entry is None:
        return None, None
    v, u = jmh_value(entry, row.stat)
    if v is None:
        return None, None
    return to_unit(v, u, row.unit, row.size), (v, u)


# ---- table ------------------------------------------------------------------------------------

def build_table(jmh, peers):
    lines = ["| case | ours | peer | peer value | speedup |",
             "|---|---|---|---|---|"]
    used = set()
    for row in ROWS:
        entry = find_jmh(jmh, row.benchmark, row.params)
        if entry is not None:
            used.add(id(entry))
        ours, _ = jmh_in_unit(entry, row)
        for label, case in row.peers:
            if case.startswith("jmh:"):
                name, _, query = case[4:].partition("?")
                wanted = dict(kv.split("=", 1) for kv in query.split("&")) if query else {}
                peer_entry = find_jmh(jmh, name, wanted)
                if peer_entry is not None:
                    used.add(id(peer_entry))
                peer_val, p = jmh_in_unit(peer_entry, row)
            else:
                p = peers.get(case)
                peer_val = to_unit(p[0], p[1], row.unit, row.size) if p else None
            peer_cell = fmt(p[0], p[1]) if p else "n/a"
            lines.append(f"| {row.case} | {fmt(ours, row.unit)} | {label} | {peer_cell} | "
                         f"{speedup_cell(ours, peer_val, row.unit)} |")
    others = []
    for e in jmh:
        if id(e) in used:
            continue
        params = ", ".join(f"{k}={v}" for k, v in (e.get("params") or {}).items())
        name = e.get("benchmark", "?").removeprefix(BENCH)
        pm = e.get("primaryMetric", {})
        others.append(f"| {name} | {params} | {fmt(pm.get('score'), pm.get('scoreUnit'))} |")
    return lines, others


def ratio_notes(jmh):
    """Ratios the issues set targets for, as lines of Markdown (empty if not measured)."""
    aot = find_jmh(jmh, "ChildStartBench.startToFirstMessage", {"method": "spawn+aot"})
    bare = find_jmh(jmh, "ChildStartBench.bareJavaToFirstByte", {})
    if aot is None or bare is None:
        return []
    a, _ = jmh_value(aot, "median")
    b, _ = jmh_value(bare, "median")
    if not a or not b:
        return []
    return [f"- Cold start: spawn + start archive / bare java (medians) = {a / b:.2f}× "
            f"(target ≤ 1.1×; {a:.1f} / {b:.1f} {aot['primaryMetric'].get('scoreUnit', '')})."]


# ---- machine ----------------------------------------------------------------------------------

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, val = line.partition(":")
                if key.strip() in ("model name", "Model", "Hardware"):
                    return val.strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def java_version():
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    try:
        r = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
        return (r.stderr or r.stdout).splitlines()[0].strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jmh", nargs="*", default=[])
    ap.add_argument("--jmh-posix", nargs="*", default=[],
                    help="JMH outputs of runs with -Dmp4j.platform=posix")
    ap.add_argument("--results", nargs="*", default=[])
    ap.add_argument("--out")
    ap.add_argument("--command", default="")
    ap.add_argument("--jdk")
    ap.add_argument("--python")
    ap.add_argument("--cc")
    args = ap.parse_args(argv)

    jmh = [e for path in args.jmh for e in load_jmh(path)]
    for path in args.jmh_posix:
        for e in load_jmh(path):
            e["benchmark"] = e.get("benchmark", "?") + POSIX_SUFFIX
            jmh.append(e)
    peers = load_results(args.results)
    lines, others = build_table(jmh, peers)
    table = "\n".join(lines)
    print(table)
    notes = ratio_notes(jmh)
    if notes:
        print("\n" + "\n".join(notes))
    if others:
        print("\nOther JMH results (no peer):")
        print("\n".join(others))

    if args.out:
        now = datetime.datetime.now(datetime.timezone.utc).astimezone()
        md = [
            "# multiprocessing4j benchmark results",
            "",
            f"- Date: {now.strftime('%Y-%m-%d %H:%M %Z')}",
            f"- Machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}, "
            f"{platform.system()} {platform.release()} ({platform.machine()})",
            f"- JDK: {args.jdk or java_version()}",
            f"- Python (peer): {args.python or 'not run'}",
            f"- C compiler (probes): {args.cc or 'not run'}",
            f"- Command: `{args.command}`",
            "",
            "Speedup > 1 means ours is better: peer/ours for times, ours/peer for rates. "
            "Reference rows are physical floors, not competitors. What each case measures: "
            "[bench/README.md](README.md).",
            "",
            table,
            "",
        ]
        if notes:
            md += notes + [""]
        if others:
            md += ["## Other JMH results (no peer)", "", "| benchmark | params | score |",
                   "|---|---|---|", *others, ""]
        with open(args.out, "w") as f:
            f.write("\n".join(md))
        print(f"\nwrote {args.out}", file=sys.stderr)

    if not jmh and not peers:
        print("report: no results at all (nothing ran?)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
