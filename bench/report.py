"""Merge JMH results and peer results into one markdown table, bench/RESULTS.md and a
machine-readable summary; compare a summary with an older one.

    python3 bench/report.py --jmh bench/target/jmh.json bench/target/jmh-alloc.json \
        --results bench/target/cpython.jsonl bench/target/probes.jsonl \
        --out bench/RESULTS.md --summary bench/target/summary.json \
        --command "scripts/bench --quick" --forks 2 \
        [--jdk "openjdk 25 ..."] [--python "Python 3.13.0"] [--cc "cc 12.2.0"]
    python3 bench/report.py --compare OLD.json --summary bench/target/summary.json [--filter RE]

Inputs:
  --jmh      JMH's `-rf json` outputs (one or more files): lists of {"benchmark", "params",
             "primaryMetric": {"score", "scoreUnit", "scorePercentiles", "rawData"},
             "secondaryMetrics"}. rawData holds one list of iteration results per fork.
  --jmh-posix  the same, from runs with -Dmp4j.platform=posix: shown as "posix backend" rows
             whose peer is the default backend's value of the same case.
  --results  files of JSON lines {"case", "unit", "value"} (CPython peer, C probes), one line
             per case and fresh process: a case that ran in N processes has N lines. Other
             lines are ignored.
A missing or unreadable file counts as "no results". Every row whose side is missing shows
"n/a".

Statistics: every side of a row is a list of per-fork values (a JMH fork: the mean of its
measured iterations, or for single-shot rows the median/p99 of its shots; a peer or probe: the
value one fresh process printed). Shown: the median of those values and their spread, min–max.
A side is noisy when its min or its max lies more than 20 % from its median. The speedup is
computed from the two medians. --compare calls a change "moved" when the new median lies
outside the union of both runs' spreads (each taken relative to its own median) and "within
noise" otherwise; with fewer than two values on either side it cannot tell ("1 fork").

Exit status: 0 if anything at all was measured (and always after --compare, which only
informs), 1 if nothing ran or a summary to compare is unreadable, 2 on bad usage.

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

import charts  # bench/charts.py: the charts per group (matplotlib when present)

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
    Row("20 back-to-back start + join after warmUp, forkserver", "StartStreamBench.startJoinStream",
        {"method": "forkserver"}, "ms",
        [("the same stream, spawn (target: speedup ≥ 1)", "jmh:StartStreamBench.startJoinStream?method=spawn"),
         ("CPython forkserver", "start_join_forkserver")], stat="median"),
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
    Row("bytes allocated per message: put(byte[]) + take() 64 B, one thread", "QueueAllocBench.putTake",
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
        [("CPython Lock", "lock_uncontended"),
         ("JDK ReentrantLock, one JVM (reference; target: speedup ≥ 0.77)",
          "jmh:LockBench.uncontendedJdkReentrantLock")]),
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
    """{case: ([values], unit)}: every line of a case is one fresh process's value."""
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
                    value, unit = float(r["value"]), r["unit"]
                except (ValueError, KeyError, TypeError):
                    print(f"report: ignoring line in {path}: {line}", file=sys.stderr)
                    continue
                values, _ = out.setdefault(r["case"], ([], unit))
                values.append(value)
    return out


# ---- statistics -------------------------------------------------------------------------------

NOISY = 0.20  # a side whose min or max lies further than this from its median is noisy


def median(values):
    v = sorted(values)
    n = len(v)
    if n == 0:
        return None
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def percentile(values, p):
    """Linear interpolation between closest ranks (p in 0..100)."""
    v = sorted(values)
    if not v:
        return None
    k = (len(v) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


class Stats:
    """Per-fork values of one side of a row, in the row's unit."""

    def __init__(self, values):
        self.values = [v for v in values if v is not None]
        self.median = median(self.values)
        self.min = min(self.values) if self.values else None
        self.max = max(self.values) if self.values else None

    @property
    def n(self):
        return len(self.values)

    def rel_low(self):
        """How far below the median the smallest value is, as a fraction (<= 0)."""
        return self.min / self.median - 1 if self.median else 0.0

    def rel_high(self):
        return self.max / self.median - 1 if self.median else 0.0

    def spread(self):
        """The larger of the two distances from the median, as a fraction of it."""
        return max(-self.rel_low(), self.rel_high()) if self.n else 0.0

    def noisy(self):
        return self.n > 1 and self.spread() > NOISY

    def to_json(self):
        if not self.n:
            return None
        return {"median": self.median, "min": self.min, "max": self.max, "n": self.n,
                "values": self.values, "spread": round(self.spread(), 4), "noisy": self.noisy()}

    @staticmethod
    def from_json(d):
        return Stats(d.get("values") or [d["median"]]) if d else Stats([])


def spread_cell(st):
    if not st.n:
        return "n/a"
    if st.n == 1:
        return "1 fork"
    return (f"{fmt(st.min)}–{fmt(st.max)} ({st.rel_low() * 100:+.0f}/{st.rel_high() * 100:+.0f} %, "
            f"{st.n} forks)")


def verdict(old, new):
    """"moved", "within noise" or why neither can be said, for one side of a row."""
    if not old.n or not new.n:
        return "n/a"
    if old.n < 2 or new.n < 2:
        return "1 fork: cannot tell"
    if not old.median or not new.median:
        return "n/a"
    change = new.median / old.median - 1
    low = min(old.rel_low(), new.rel_low())
    high = max(old.rel_high(), new.rel_high())
    return "moved" if change < low or change > high else "within noise"


# ---- JMH --------------------------------------------------------------------------------------

def _stat_of(values, stat):
    if not values:
        return None
    if stat == "median":
        return median(values)
    if stat == "p99":
        return percentile(values, 99)
    return sum(values) / len(values)


def jmh_fork_values(entry, stat):
    """(per-fork values, unit) of the entry for the row's stat; ([], None) when absent.

    A fork's value is the mean of its measured iterations (stat "score", "alloc") or the
    median/p99 of its single shots. Files without rawData count as one fork of the score."""
    if stat == "alloc":
        m = (entry.get("secondaryMetrics") or {}).get("gc.alloc.rate.norm")
        if m is None:
            return [], None  # not run with -prof gc
    else:
        m = entry.get("primaryMetric", {})
    raw = m.get("rawData")
    if raw:
        values = [_stat_of([float(x) for x in fork], stat) for fork in raw if fork]
        return [v for v in values if v is not None], m.get("scoreUnit")
    percentile_key = {"median": "50.0", "p99": "99.0"}.get(stat)
    p = (m.get("scorePercentiles") or {}).get(percentile_key) if percentile_key else None
    score = p if p is not None else m.get("score")
    return ([float(score)] if score is not None else []), m.get("scoreUnit")


def jmh_value(entry, stat):
    """The median over forks of the entry's per-fork values, and its unit."""
    values, unit = jmh_fork_values(entry, stat)
    return median(values), unit


def find_jmh(jmh, benchmark, wanted_params):
    for e in jmh:
        name = e.get("benchmark", "")
        params = e.get("params") or {}
        if name.endswith("." + benchmark) and all(params.get(k) == v for k, v in wanted_params.items()):
            return e
    return None


def jmh_stats(entry, row):
    """Stats of the entry for the row's stat, in the row's unit (empty if missing)."""
    if entry is None:
        return Stats([])
    values, unit = jmh_fork_values(entry, row.stat)
    return Stats([to_unit(v, unit, row.unit, row.size) for v in values])


# ---- table ------------------------------------------------------------------------------------

def noise_cell(ours, peer):
    parts = [f"{side} ±{st.spread() * 100:.0f} %" for side, st in (("ours", ours), ("peer", peer))
             if st.noisy()]
    return "**noisy**: " + ", ".join(parts) if parts else ""


def rerun_command(row, forks=None):
    """The JMH command line that measures ours for this row alone (as scripts/bench runs it)."""
    name = row.benchmark
    args = ["java", "-jar", "bench/target/benchmarks.jar"]
    if row.params.get("cpus") == "one":
        args = ["taskset", "-c", "<one CPU>"] + args
    if forks:
        args += ["-f", str(forks)]
    if name.endswith(POSIX_SUFFIX):
        name = name[:-len(POSIX_SUFFIX)]
        args += ["-jvmArgsAppend", "-Dmp4j.platform=posix"]
    if row.stat == "alloc":
        args += ["-prof", "gc"]
    args += [f"-p {k}={v}" for k, v in row.params.items()]
    return " ".join(args + [f"'{name}$'"])


def build_rows(jmh, peers, command="", forks=None):
    """One dict per table line: the row's numbers, as summary.json keeps them."""
    out = []
    used = set()
    for row in ROWS:
        entry = find_jmh(jmh, row.benchmark, row.params)
        if entry is not None:
            used.add(id(entry))
        ours = jmh_stats(entry, row)
        for label, case in row.peers:
            if case.startswith("jmh:"):
                name, _, query = case[4:].partition("?")
                wanted = dict(kv.split("=", 1) for kv in query.split("&")) if query else {}
                peer_entry = find_jmh(jmh, name, wanted)
                if peer_entry is not None:
                    used.add(id(peer_entry))
                peer = jmh_stats(peer_entry, row)
            else:
                p = peers.get(case)
                peer = Stats([to_unit(v, p[1], row.unit, row.size) for v in p[0]] if p else [])
            out.append({
                "case": row.case, "peer": label, "unit": row.unit,
                "benchmark": row.benchmark, "params": row.params, "stat": row.stat,
                "peer_case": case,
                "ours": ours, "peer_stats": peer,
                "speedup": speedup(ours.median, peer.median, row.unit),
                "command": command,
                "ours_command": rerun_command(row, forks),
            })
    others = []
    for e in jmh:
        if id(e) in used:
            continue
        params = ", ".join(f"{k}={v}" for k, v in (e.get("params") or {}).items())
        name = e.get("benchmark", "?").removeprefix(BENCH)
        values, unit = jmh_fork_values(e, "score")
        st = Stats(values)
        others.append(f"| {name} | {params} | {fmt(st.median, unit)} | {spread_cell(st)} |")
    return out, others


def build_table(rows):
    lines = ["| case | ours (median) | ours spread | peer | peer (median) | peer spread | speedup | noise |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ours, peer, unit = r["ours"], r["peer_stats"], r["unit"]
        lines.append(f"| {r['case']} | {fmt(ours.median, unit)} | {spread_cell(ours)} | {r['peer']} | "
                     f"{fmt(peer.median, unit)} | {spread_cell(peer)} | "
                     f"{speedup_cell(ours.median, peer.median, unit)} | {noise_cell(ours, peer)} |")
    return lines


def summary_json(rows, meta):
    return {**meta, "rows": [
        {**{k: v for k, v in r.items() if k not in ("ours", "peer_stats")},
         "ours": r["ours"].to_json(), "peer_value": r["peer_stats"].to_json()}
        for r in rows]}


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


# ---- compare ----------------------------------------------------------------------------------

def direction(change, unit):
    """"better" or "worse" for a relative change of a median in this unit."""
    lower_is_better = dimension(unit)[0] in ("time", "alloc")
    return "worse" if (change > 0) == lower_is_better else "better"


def compare(old, new, pattern=None):
    """Lines of Markdown: per row of `new` (and rows only in `old`), old and new median of ours
    (once per case) and of each peer, the change and the verdict. `old` and `new` are parsed
    summary.json objects; `pattern` (a compiled regex) selects rows by case and peer label."""
    def key(r):
        return r["case"], r["peer"]

    def selected(r):
        return not pattern or pattern.search(r["case"] + " " + r["peer"])

    olds = {key(r): r for r in old.get("rows", [])}
    old_ours = {r["case"]: r for r in old.get("rows", [])}
    lines = [f"old: `{old.get('command', '?')}` ({old.get('date', '?')}, {old.get('forks', '?')} forks)",
             f"new: `{new.get('command', '?')}` ({new.get('date', '?')}, {new.get('forks', '?')} forks)",
             "",
             "| case | side | old median | new median | change | verdict |",
             "|---|---|---|---|---|---|"]
    counts = {}
    ours_done = set()
    seen = set()

    def line(case, side, unit, o, n, is_new):
        os_, ns = Stats.from_json(o), Stats.from_json(n)
        if not ns.n:  # not measured in the new run (a FILTER, a failed step): nothing to say
            if os_.n:
                counts["not measured now"] = counts.get("not measured now", 0) + 1
            return
        change = ns.median / os_.median - 1 if ns.n and os_.n and os_.median else None
        v = "new row" if is_new else verdict(os_, ns)
        if v == "moved":
            v = f"moved ({direction(change, unit)})"
        counts[v] = counts.get(v, 0) + 1
        lines.append(f"| {case} | {side} | {fmt(os_.median, unit)} | {fmt(ns.median, unit)} | "
                     f"{'n/a' if change is None else f'{change * 100:+.1f} %'} | {v} |")

    for r in new.get("rows", []):
        if not selected(r):
            continue
        seen.add(key(r))
        if r["case"] not in ours_done:  # ours is the same on every peer line of a case
            ours_done.add(r["case"])
            o = old_ours.get(r["case"])
            line(r["case"], "ours", r["unit"], o and o.get("ours"), r.get("ours"), o is None)
        o = olds.get(key(r))
        line(r["case"], f"peer: {r['peer']}", r["unit"], o and o.get("peer_value"), r.get("peer_value"),
             o is None)
    for k, r in olds.items():
        if k not in seen and selected(r):
            counts["gone"] = counts.get("gone", 0) + 1
            lines.append(f"| {r['case']} | peer: {r['peer']} | — | not in the new run | n/a | gone |")
    tally = ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
    lines += ["", f"{tally or 'no rows'}. Moved: the new median lies outside the union of both runs' "
              "min–max spreads, each taken relative to its own median; better/worse is ours' "
              "(or the peer's) own direction, not the speedup's."]
    return lines


def load_summary(path):
    try:
        with open(path) as f:
            data = json.load(f)
        if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
            raise ValueError("not a benchmark summary (no \"rows\" list)")
        return data
    except (OSError, ValueError) as e:
        print(f"report: cannot read summary {path}: {e}", file=sys.stderr)
        return None


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


VM_CAVEAT = ("Only ratios within one run count: on a shared virtual machine absolute numbers move "
             "from run to run (CPU placement, neighbours), so compare runs with "
             "`scripts/bench --compare OLD.json`, which weighs every change against both runs' "
             "spreads, not by reading two tables side by side.")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jmh", nargs="*", default=[])
    ap.add_argument("--jmh-posix", nargs="*", default=[],
                    help="JMH outputs of runs with -Dmp4j.platform=posix")
    ap.add_argument("--results", nargs="*", default=[])
    ap.add_argument("--out")
    ap.add_argument("--summary", help="summary JSON to write (or, with --compare, to read)")
    ap.add_argument("--compare", metavar="OLD_JSON",
                    help="compare --summary with this older summary; measures nothing")
    ap.add_argument("--filter", help="with --compare: regular expression on case and peer label")
    ap.add_argument("--command", default="")
    ap.add_argument("--forks", type=int, help="forks / fresh processes per case, as asked for")
    ap.add_argument("--jdk")
    ap.add_argument("--python")
    ap.add_argument("--cc")
    args = ap.parse_args(argv)

    if args.compare:
        if not args.summary:
            ap.error("--compare needs --summary (the new run's summary.json)")
        old, new = load_summary(args.compare), load_summary(args.summary)
        if old is None or new is None:
            return 1
        import re
        try:
            pattern = re.compile(args.filter, re.IGNORECASE) if args.filter else None
        except re.error as e:
            ap.error(f"bad --filter: {e}")
        print("\n".join(compare(old, new, pattern)))
        return 0

    jmh = [e for path in args.jmh for e in load_jmh(path)]
    for path in args.jmh_posix:
        for e in load_jmh(path):
            e["benchmark"] = e.get("benchmark", "?") + POSIX_SUFFIX
            jmh.append(e)
    peers = load_results(args.results)
    rows, others = build_rows(jmh, peers, args.command, args.forks)
    lines = build_table(rows)
    table = "\n".join(lines)
    print(table)
    notes = ratio_notes(jmh)
    if notes:
        print("\n" + "\n".join(notes))
    if others:
        print("\nOther JMH results (no peer):")
        print("\n".join(others))
    noisy = sum(1 for r in rows if r["ours"].noisy() or r["peer_stats"].noisy())

    now = datetime.datetime.now(datetime.timezone.utc).astimezone()
    machine = (f"{os.cpu_count()} CPUs (nproc), {cpu_model()}, "
               f"{platform.system()} {platform.release()} ({platform.machine()})")
    meta = {"command": args.command, "forks": args.forks, "date": now.isoformat(timespec="seconds"),
            "machine": machine, "jdk": args.jdk or java_version(), "python": args.python or "not run",
            "cc": args.cc or "not run"}
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(summary_json(rows, meta), f, indent=1, ensure_ascii=False)
            f.write("\n")
        print(f"wrote {args.summary}", file=sys.stderr)

    if args.out:
        md = [
            "# multiprocessing4j benchmark results",
            "",
            f"- Command: `{args.command}`",
            f"- Forks: {args.forks or '?'} per case (JMH forks; fresh processes for the CPython peer "
            "and the C probes)",
            f"- Date: {now.strftime('%Y-%m-%d %H:%M %Z')}",
            f"- Machine: {machine}",
            f"- JDK: {meta['jdk']}",
            f"- Python (peer): {meta['python']}",
            f"- C compiler (probes): {meta['cc']}",
            "",
            VM_CAVEAT,
            "",
            "Each side shows the median over forks and the spread (min–max, and how far each lies "
            "from the median); a row is marked **noisy** when a side's min or max lies more than "
            f"{NOISY * 100:.0f} % from its median ({noisy} of {len(rows)} lines here). Speedup "
            "(from the medians) > 1 means ours is better: peer/ours for times, ours/peer for rates. "
            "Reference rows are physical floors, not competitors. What each case measures: "
            "[bench/README.md](README.md).",
            "",
            table,
            "",
        ]
        if notes:
            md += notes + [""]
        drawable = [r for r in rows if not (dimension(r["unit"])[0] == "alloc"
                                            and (r["ours"].median or 0) < ALLOC_NONE)]
        chart_lines, skipped = charts.write_charts(drawable, args.out, speedup, POSIX_SUFFIX)
        md += ["## Charts per group", "",
               "Each bar is the speedup of ours against one peer (the table's speedup column) on a "
               "log scale; the whisker spans the smallest to the largest ratio of any fork of ours "
               "against any fork of the peer, so a whisker that crosses the dashed line at 1 is no "
               "difference this run shows. Blue: CPython; red: a C probe; grey: a reference "
               "(a JDK structure, the other backend, another of our paths).", ""]
        if skipped:
            md += [f"Charts skipped: {skipped}.", ""]
            print(f"report: charts skipped: {skipped}", file=sys.stderr)
        else:
            md += chart_lines
        if others:
            md += ["## Other JMH results (no peer)", "", "| benchmark | params | median | spread |",
                   "|---|---|---|---|", *others, ""]
        kept = kept_sections(args.out)
        if kept:
            md += [kept]
        with open(args.out, "w") as f:
            f.write("\n".join(md))
        print(f"\nwrote {args.out}", file=sys.stderr)

    if not jmh and not peers:
        print("report: no results at all (nothing ran?)", file=sys.stderr)
        return 1
    return 0


KEEP_MARKER = "<!-- Sections below this line are written by hand; report.py keeps them. -->"


def kept_sections(path):
    """The part of an existing results page from KEEP_MARKER on (hand-written sections such as a
    before/after study, which a rerun of the benchmarks must not erase); "" if none."""
    try:
        with open(path) as f:
            page = f.read()
    except OSError:
        return ""
    at = page.find(KEEP_MARKER)
    return page[at:].rstrip("\n") + "\n" if at >= 0 else ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
