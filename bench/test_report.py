"""Unit tests of bench/report.py: per-fork statistics, noise flags, summary and --compare.

    python3 -m unittest discover -s bench -p 'test_report.py'

Cheap: no benchmark runs; inputs are small JMH/peer documents written to a temporary directory.
Python 3.11 standard library only.
"""

import contextlib
import io
import json
import os
import re
import tempfile
import unittest

import charts
import report

B = report.BENCH


def jmh_entry(benchmark, forks, unit="us/op", params=None, alloc_forks=None):
    """A JMH -rf json entry whose rawData holds `forks` (one list of iteration values per fork)."""
    flat = [v for f in forks for v in f]
    e = {"benchmark": B + benchmark, "params": params or {}, "forks": len(forks),
         "primaryMetric": {"score": sum(flat) / len(flat), "scoreUnit": unit, "rawData": forks}}
    if alloc_forks is not None:
        e["secondaryMetrics"] = {"gc.alloc.rate.norm": {"score": 0, "scoreUnit": "B/op",
                                                        "rawData": alloc_forks}}
    return e


def summary_row(case, peer, unit, ours, peer_values):
    return {"case": case, "peer": peer, "unit": unit,
            "ours": report.Stats(ours).to_json(), "peer_value": report.Stats(peer_values).to_json()}


class StatisticsTest(unittest.TestCase):
    def test_median_of_odd_and_even_counts(self):
        self.assertEqual(report.median([3, 1, 2]), 2)
        self.assertEqual(report.median([4, 1, 3, 2]), 2.5)
        self.assertIsNone(report.median([]))

    def test_spread_is_the_farther_of_min_and_max_from_the_median(self):
        st = report.Stats([90, 100, 130])
        self.assertEqual((st.median, st.min, st.max, st.n), (100, 90, 130, 3))
        self.assertAlmostEqual(st.rel_low(), -0.10)
        self.assertAlmostEqual(st.rel_high(), 0.30)
        self.assertAlmostEqual(st.spread(), 0.30)

    def test_noisy_only_beyond_twenty_percent_on_either_side(self):
        self.assertFalse(report.Stats([81, 100, 119]).noisy())
        self.assertTrue(report.Stats([79, 100, 100]).noisy())
        self.assertTrue(report.Stats([100, 100, 121]).noisy())
        self.assertFalse(report.Stats([5]).noisy(), "one value has no spread to judge")

    def test_missing_values_are_dropped(self):
        self.assertEqual(report.Stats([None, 2.0, None]).values, [2.0])


class JmhForkValuesTest(unittest.TestCase):
    def test_a_fork_is_the_mean_of_its_iterations(self):
        e = jmh_entry("X.y", [[1, 3], [10, 20], [5, 5]])
        values, unit = report.jmh_fork_values(e, "score")
        self.assertEqual(values, [2, 15, 5])
        self.assertEqual(unit, "us/op")

    def test_single_shot_rows_take_the_median_of_each_forks_shots(self):
        e = jmh_entry("X.y", [[1, 2, 100], [7, 8, 9, 10]], unit="ms/op")
        self.assertEqual(report.jmh_fork_values(e, "median")[0], [2, 8.5])

    def test_allocation_rows_read_the_gc_profilers_raw_data(self):
        e = jmh_entry("X.y", [[1]], alloc_forks=[[80, 80], [0.5, 0.5]])
        self.assertEqual(report.jmh_fork_values(e, "alloc"), ([80, 0.5], "B/op"))
        self.assertEqual(report.jmh_fork_values(jmh_entry("X.y", [[1]]), "alloc"), ([], None))

    def test_a_file_without_raw_data_counts_as_one_fork_of_its_score(self):
        e = {"benchmark": B + "X.y", "primaryMetric": {"score": 4.0, "scoreUnit": "ms/op",
                                                      "scorePercentiles": {"50.0": 3.0}}}
        self.assertEqual(report.jmh_fork_values(e, "score"), ([4.0], "ms/op"))
        self.assertEqual(report.jmh_fork_values(e, "median"), ([3.0], "ms/op"))


class RowsTest(unittest.TestCase):
    def test_peer_lines_of_fresh_processes_are_grouped_per_case(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "peer.jsonl")
            with open(path, "w") as f:
                f.write('# a comment\n{"case": "a", "unit": "us/op", "value": 2}\n'
                        '{"case": "b", "unit": "ms", "value": 1}\n{"case": "a", "unit": "us/op", "value": 4}\n')
            self.assertEqual(report.load_results([path]), {"a": ([2.0, 4.0], "us/op"), "b": ([1.0], "ms")})

    def test_speedup_comes_from_the_medians_of_both_sides(self):
        jmh = [jmh_entry("ConnectionBench.roundTrip", [[10], [11], [30]], params={"size": "8"})]
        peers = {"pipe_roundtrip_8B": ([40.0, 44.0, 50.0], "us/op")}
        rows, _ = report.build_rows(jmh, peers, "scripts/bench")
        row = next(r for r in rows if r["case"] == "roundtrip 8B" and r["peer_case"] == "pipe_roundtrip_8B")
        self.assertEqual(row["ours"].median, 11)
        self.assertEqual(row["peer_stats"].median, 44)
        self.assertAlmostEqual(row["speedup"], 4.0)  # peer/ours for times, medians only
        self.assertTrue(row["ours"].noisy())  # 30 is +173 % from 11
        self.assertIn("**noisy**: ours", report.noise_cell(row["ours"], row["peer_stats"]))
        self.assertFalse(row["peer_stats"].noisy())

    def test_rates_convert_per_fork_before_the_median(self):
        size = 65536
        jmh = [jmh_entry("ConnectionBench.oneWay", [[1000], [2000], [3000]], unit="ops/s",
                         params={"size": str(size)})]
        rows, _ = report.build_rows(jmh, {}, "")
        row = next(r for r in rows if r["case"] == "one-way 64KiB")
        self.assertEqual(row["ours"].values, [v * size / 1e6 for v in (1000, 2000, 3000)])


class MainTest(unittest.TestCase):
    def run_main(self, argv):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = report.main(argv)
        return rc, out.getvalue()

    def test_writes_a_summary_and_a_results_page_that_flags_noisy_rows(self):
        with tempfile.TemporaryDirectory() as d:
            jmh, peer = os.path.join(d, "jmh.json"), os.path.join(d, "peer.jsonl")
            with open(jmh, "w") as f:
                json.dump([jmh_entry("ConnectionBench.roundTrip", [[10], [11], [30]], params={"size": "8"})], f)
            with open(peer, "w") as f:
                f.write("".join(json.dumps({"case": "pipe_roundtrip_8B", "unit": "us/op", "value": v}) + "\n"
                                for v in (40, 44, 50)))
            summary, md = os.path.join(d, "summary.json"), os.path.join(d, "RESULTS.md")
            rc, _ = self.run_main(["--jmh", jmh, "--results", peer, "--summary", summary, "--out", md,
                                   "--command", "scripts/bench roundtrip", "--forks", "3",
                                   "--jdk", "jdk", "--python", "py", "--cc", "cc"])
            self.assertEqual(rc, 0)
            with open(summary) as f:
                s = json.load(f)
            self.assertEqual(s["command"], "scripts/bench roundtrip")
            row = next(r for r in s["rows"] if r["case"] == "roundtrip 8B" and r["peer_case"] == "pipe_roundtrip_8B")
            self.assertEqual(row["ours"]["median"], 11)
            self.assertEqual((row["peer_value"]["min"], row["peer_value"]["max"]), (40, 50))
            self.assertEqual(row["command"], "scripts/bench roundtrip")
            self.assertEqual(row["ours_command"],
                             "java -jar bench/target/benchmarks.jar -f 3 -p size=8 'ConnectionBench.roundTrip$'")
            posix = next(r for r in s["rows"] if r["benchmark"].endswith("@posix"))
            self.assertIn("-jvmArgsAppend -Dmp4j.platform=posix", posix["ours_command"])
            self.assertNotIn("@posix", posix["ours_command"])
            self.assertTrue(row["ours"]["noisy"])
            with open(md) as f:
                page = f.read()
            self.assertIn("**noisy**", page)
            self.assertIn("Forks: 3", page)
            self.assertIn("Only ratios within one run count", page)

    def test_a_rewrite_keeps_the_hand_written_sections_below_the_marker(self):
        with tempfile.TemporaryDirectory() as d:
            jmh, md = os.path.join(d, "jmh.json"), os.path.join(d, "RESULTS.md")
            with open(jmh, "w") as f:
                json.dump([jmh_entry("ConnectionBench.roundTrip", [[10], [11], [12]], params={"size": "8"})], f)
            with open(md, "w") as f:
                f.write("# old generated table\n\n| stale |\n\n" + report.KEEP_MARKER
                        + "\n\n## Before/after\n\nkept text\n")
            argv = ["--jmh", jmh, "--out", md, "--command", "c", "--forks", "3", "--jdk", "jdk",
                    "--python", "py", "--cc", "cc"]
            for _ in range(2):  # twice: the kept part is not duplicated
                rc, _ = self.run_main(argv)
                self.assertEqual(rc, 0)
            with open(md) as f:
                page = f.read()
            self.assertNotIn("| stale |", page)
            self.assertIn("Forks: 3", page)
            self.assertEqual(page.count(report.KEEP_MARKER), 1)
            self.assertTrue(page.endswith(report.KEEP_MARKER + "\n\n## Before/after\n\nkept text\n"), page[-200:])

    def test_without_the_marker_the_page_is_all_generated(self):
        with tempfile.TemporaryDirectory() as d:
            jmh, md = os.path.join(d, "jmh.json"), os.path.join(d, "RESULTS.md")
            with open(jmh, "w") as f:
                json.dump([jmh_entry("ConnectionBench.roundTrip", [[10], [11], [12]], params={"size": "8"})], f)
            with open(md, "w") as f:
                f.write("## Before/after\n\nnot kept\n")
            rc, _ = self.run_main(["--jmh", jmh, "--out", md, "--command", "c", "--forks", "3",
                                   "--jdk", "jdk", "--python", "py", "--cc", "cc"])
            self.assertEqual(rc, 0)
            with open(md) as f:
                self.assertNotIn("not kept", f.read())

    def test_compare_exits_zero_and_reads_two_summaries(self):
        with tempfile.TemporaryDirectory() as d:
            old, new = os.path.join(d, "old.json"), os.path.join(d, "new.json")
            for path, ours in ((old, [10, 11, 12]), (new, [20, 21, 22])):
                with open(path, "w") as f:
                    json.dump({"command": "c", "rows": [summary_row("roundtrip 8B", "P", "us/op", ours,
                                                                    [40, 41, 42])]}, f)
            rc, out = self.run_main(["--compare", old, "--summary", new])
            self.assertEqual(rc, 0)
            self.assertRegex(out, r"\| roundtrip 8B \| ours \| 11\.00 us/op \| 21\.00 us/op \| \+90\.9 % \| moved \(worse\) \|")
            self.assertRegex(out, r"\| roundtrip 8B \| peer: P \|.*\| within noise \|")

    def test_compare_of_an_unreadable_summary_fails(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "bad.json")
            with open(bad, "w") as f:
                f.write("[]")
            rc, _ = self.run_main(["--compare", bad, "--summary", bad])
            self.assertEqual(rc, 1)


class CompareTest(unittest.TestCase):
    def test_moved_only_outside_the_union_of_both_spreads(self):
        old = report.Stats([90, 100, 110])       # -10 % .. +10 %
        wide = report.Stats([100, 115, 150])     # -13 % .. +30 %
        self.assertEqual(report.verdict(old, wide), "within noise")  # +15 % < +30 %
        self.assertEqual(report.verdict(old, report.Stats([104, 105, 106])), "within noise")
        self.assertEqual(report.verdict(old, report.Stats([118, 120, 122])), "moved")
        self.assertEqual(report.verdict(old, report.Stats([80, 85, 86])), "moved")

    def test_one_fork_cannot_tell(self):
        self.assertEqual(report.verdict(report.Stats([1]), report.Stats([2, 2])), "1 fork: cannot tell")
        self.assertEqual(report.verdict(report.Stats([]), report.Stats([2, 2])), "n/a")

    def test_direction_depends_on_the_unit(self):
        self.assertEqual(report.direction(0.5, "us/op"), "worse")
        self.assertEqual(report.direction(0.5, "msg/s"), "better")
        self.assertEqual(report.direction(-0.5, "B/op"), "better")

    def test_ours_once_per_case_new_and_gone_rows_and_filter(self):
        old = {"rows": [summary_row("a", "P1", "msg/s", [10, 10], [5, 5]),
                        summary_row("a", "P2", "msg/s", [10, 10], [7, 7]),
                        summary_row("gone case", "P", "msg/s", [1, 1], [1, 1])]}
        new = {"rows": [summary_row("a", "P1", "msg/s", [10, 10], [5, 5]),
                        summary_row("a", "P2", "msg/s", [10, 10], [7, 7]),
                        summary_row("b", "P", "msg/s", [3, 3], [3, 3])]}
        out = "\n".join(report.compare(old, new))
        self.assertEqual(len(re.findall(r"^\| a \| ours \|", out, re.M)), 1)
        self.assertRegex(out, r"\| b \| ours \|.*\| new row \|")
        self.assertRegex(out, r"\| gone case \|.*\| gone \|")
        unmeasured = {"rows": [{"case": "a", "peer": "P1", "unit": "msg/s", "ours": None, "peer_value": None}]}
        out = "\n".join(report.compare(old, unmeasured))
        self.assertNotRegex(out, r"^\| a \|", "a row a filtered run did not measure says nothing")
        self.assertIn("2 not measured now", out)
        filtered = "\n".join(report.compare(old, new, re.compile("P2")))
        self.assertNotIn("| b |", filtered)
        self.assertRegex(filtered, r"\| a \| peer: P2 \|")


if __name__ == "__main__":
    unittest.main()


class ChartsTest(unittest.TestCase):
    """bench/charts.py: the grouping and ratio ranges (no matplotlib needed) and the page."""

    def rows(self):
        jmh = [jmh_entry("ConnectionBench.roundTrip", [[10], [11], [12]], params={"size": "8"}),
               jmh_entry("QueueBench.sharedQueue", [[2e6], [3e6], [4e6]], unit="ops/s", params={"kind": "64B"})]
        peers = {"pipe_roundtrip_8B": ([40.0, 44.0, 50.0], "us/op"),
                 "queue_64B_1to1": ([1e5, 2e5], "msg/s")}
        rows, _ = report.build_rows(jmh, peers)
        return rows

    def test_bars_are_grouped_with_the_range_every_fork_pair_allows(self):
        groups = charts.chart_data(self.rows(), report.speedup)
        self.assertEqual([stem for _, stem in groups], ["connections", "queues"])
        pipe = next(b for b in groups[("connections", "connections")] if b["peer"] == report.CPYTHON_PIPE)
        self.assertEqual(pipe["kind"], "CPython")
        self.assertAlmostEqual(pipe["speedup"], 44 / 11)
        self.assertAlmostEqual(pipe["low"], 40 / 12)   # peer's best against ours' worst
        self.assertAlmostEqual(pipe["high"], 50 / 10)
        queue = groups[("queues", "queues")][0]
        self.assertAlmostEqual(queue["low"], 2e6 / 2e5)  # a rate: ours/peer
        self.assertAlmostEqual(queue["high"], 4e6 / 1e5)
        # rows without the peer measured draw no bar
        self.assertTrue(all(b["speedup"] > 0 for bars in groups.values() for b in bars))
        self.assertEqual(charts.group_of("LockBench.handoffSemaphore@posix"), charts.POSIX_GROUP)
        self.assertIsNone(charts.group_of("SomethingElse.x"))

    def write_page(self, d):
        jmh, md = os.path.join(d, "jmh.json"), os.path.join(d, "RESULTS.md")
        with open(jmh, "w") as f:
            json.dump([jmh_entry("ConnectionBench.roundTrip", [[10], [11], [12]], params={"size": "8"})], f)
        peer = os.path.join(d, "peer.jsonl")
        with open(peer, "w") as f:
            f.write(json.dumps({"case": "pipe_roundtrip_8B", "unit": "us/op", "value": 40}) + "\n")
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            rc = report.main(["--jmh", jmh, "--results", peer, "--out", md])
        self.assertEqual(rc, 0)
        with open(md) as f:
            return f.read(), err.getvalue()

    def test_without_matplotlib_the_page_says_the_charts_were_skipped(self):
        real = charts.matplotlib_or_reason
        charts.matplotlib_or_reason = lambda: (None, "matplotlib is not installed (test)")
        try:
            with tempfile.TemporaryDirectory() as d:
                page, err = self.write_page(d)
                self.assertIn("Charts skipped: matplotlib is not installed (test).", page)
                self.assertIn("| roundtrip 8B |", page)
                self.assertIn("charts skipped", err)
                self.assertFalse(os.path.exists(os.path.join(d, "charts")))
        finally:
            charts.matplotlib_or_reason = real

    @unittest.skipIf(charts.matplotlib_or_reason()[0] is None, "matplotlib is not installed")
    def test_with_matplotlib_each_group_gets_an_svg_embedded_and_a_rerun_writes_the_same_bytes(self):
        with tempfile.TemporaryDirectory() as d:
            page, _ = self.write_page(d)
            svg = os.path.join(d, "charts", "connections.svg")
            self.assertIn("](charts/connections.svg)", page)
            with open(svg, "rb") as f:
                first = f.read()
            self.assertIn(b"<svg", first)
            self.write_page(d)
            with open(svg, "rb") as f:
                self.assertEqual(first, f.read())
