"""Charts for bench/RESULTS.md: one per group of cases (connections, queues, locks, start, pool,
manager, …), each bar the speedup of ours against one peer (CPython, a C probe, a reference) on a
log scale, with the range the per-fork spreads allow, and a line at parity.

Why speedups and not raw values: a group mixes units (µs per round trip, messages per second,
milliseconds to start), and a ratio is what the table's reader computes anyway. The range of a
bar is the smallest and largest ratio any fork of ours against any fork of the peer gives
(min–max of both sides), so a bar whose range crosses 1 is not a difference the run shows.

Drawn with matplotlib (Debian: python3-matplotlib) when it is importable; without it the report
still writes its table and says that the charts were skipped (chart_data needs no matplotlib).
Output is SVG, made reproducible (no date, fixed hash salt) so that a rerun with the same numbers
changes nothing.
"""

import math
import os

# (group, file stem, benchmark class prefixes); a row belongs to the first group that matches
GROUPS = [
    ("connections", "connections", ("ConnectionBench.",)),
    ("queues", "queues", ("QueueBench.", "QueueLatencyBench.", "QueueAllocBench.")),
    ("locks and shared values", "locks", ("LockBench.", "LockRecoveryBench.", "SharedCounterBench.")),
    ("child start", "start", ("ChildStartBench.",)),
    ("pool", "pool", ("PoolBench.",)),
    ("manager and listener", "manager", ("ManagerBench.",)),
    ("shared memory", "shared-memory", ("SharedMemoryBench.",)),
    ("cluster", "cluster", ("ClusterBench.",)),
]
POSIX_GROUP = ("posix backend against linux", "posix")
CHART_DIR = "charts"  # next to RESULTS.md


def group_of(benchmark, posix_suffix="@posix"):
    """(group title, file stem) of a row's benchmark, or None if it belongs to no group."""
    if benchmark.endswith(posix_suffix):
        return POSIX_GROUP
    for title, stem, prefixes in GROUPS:
        if benchmark.startswith(prefixes):
            return title, stem
    return None


def peer_kind(label):
    """"CPython", "C" or "reference": the colour of a bar."""
    if label.startswith("CPython"):
        return "CPython"
    if label.startswith("C "):
        return "C"
    return "reference"


def ratio_range(ours, peer, unit, speedup):
    """(low, high) of the speedup over every fork of ours against every fork of the peer: the
    extremes lie at the corners, so min/max of both sides suffice; None if a side is missing."""
    if not ours.n or not peer.n:
        return None
    corners = [speedup(o, p, unit) for o in (ours.min, ours.max) for p in (peer.min, peer.max)]
    corners = [c for c in corners if c is not None and math.isfinite(c)]
    return (min(corners), max(corners)) if corners else None


def chart_data(rows, speedup, posix_suffix="@posix"):
    """{(group title, stem): [bar, ...]} in the table's order; a bar is a dict with label, peer,
    kind, speedup, low, high. Rows without a speedup (a side not measured, nothing allocated)
    have no bar."""
    groups = {}
    for r in rows:
        g = group_of(r["benchmark"], posix_suffix)
        s = r.get("speedup")
        if g is None or s is None or not math.isfinite(s) or s <= 0:
            continue
        rng = ratio_range(r["ours"], r["peer_stats"], r["unit"], speedup) or (s, s)
        groups.setdefault(g, []).append({
            "label": r["case"], "peer": r["peer"], "kind": peer_kind(r["peer"]),
            "speedup": s, "low": min(rng[0], s), "high": max(rng[1], s)})
    order = [(t, stem) for t, stem, _ in GROUPS] + [POSIX_GROUP]
    return {g: groups[g] for g in order if g in groups}


def matplotlib_or_reason():
    """(pyplot, None) if matplotlib can draw here, else (None, why not)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt, None
    except ImportError:
        return None, "matplotlib is not installed (Debian: apt-get install python3-matplotlib)"


COLOURS = {"CPython": "#3465a4", "C": "#cc0000", "reference": "#888a85"}


def _wrap(text, width=60):
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    lines.append(line)
    return "\n".join(lines[:3]) + ("…" if len(lines) > 3 else "")


def draw(plt, title, bars, path):
    """One horizontal bar chart: a bar per (case, peer), log x, error bars for the range."""
    height = 0.8 + 0.55 * len(bars)
    fig, ax = plt.subplots(figsize=(11, height))
    ys = list(range(len(bars)))[::-1]
    for y, b in zip(ys, bars):
        ax.barh(y, b["speedup"], color=COLOURS[b["kind"]], height=0.6)
        ax.errorbar(b["speedup"], y, xerr=[[b["speedup"] - b["low"]], [b["high"] - b["speedup"]]],
                    fmt="none", ecolor="black", capsize=3, linewidth=1)
        ax.annotate(f"{b['speedup']:.3g}×", (b["high"], y), xytext=(4, -3), textcoords="offset points",
                    fontsize=7)
    ax.set_yticks(ys)
    ax.set_yticklabels([_wrap(f"{b['label']} — vs {b['peer']}", 70) for b in bars], fontsize=6.5)
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=0.8, linestyle="--")
    lo = min(b["low"] for b in bars)
    hi = max(b["high"] for b in bars)
    ax.set_xlim(min(lo, 1.0) / 2, max(hi, 1.0) * 3)
    ax.set_xlabel("speedup of ours (log scale; > 1: ours better; bar: median ratio, whisker: "
                  "min–max over forks of both sides)", fontsize=7)
    ax.set_title(title, fontsize=10)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLOURS.values()]
    ax.legend(handles, [f"vs {k}" for k in COLOURS], fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None} if path.endswith(".svg") else None)
    plt.close(fig)


def write_charts(rows, results_path, speedup, posix_suffix="@posix"):
    """Writes one SVG per group into charts/ next to results_path.

    Returns (Markdown lines embedding the charts, None) or ([], why they were skipped)."""
    groups = chart_data(rows, speedup, posix_suffix)
    if not groups:
        return [], "no row has a speedup to draw"
    plt, reason = matplotlib_or_reason()
    if plt is None:
        return [], reason
    plt.rcParams["svg.hashsalt"] = "multiprocessing4j"
    plt.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, and diffs read
    directory = os.path.join(os.path.dirname(os.path.abspath(results_path)), CHART_DIR)
    os.makedirs(directory, exist_ok=True)
    lines = []
    for (title, stem), bars in groups.items():
        draw(plt, title, bars, os.path.join(directory, stem + ".svg"))
        lines += [f"### {title}", "", f"![{title}: speedup of ours per peer, log scale]({CHART_DIR}/{stem}.svg)", ""]
    return lines, None
