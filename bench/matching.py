"""Benchmark of the matching index (market.matching.index.DemandIndex) at province scale.

What it measures, in one run, for each size of open demand listings (default 10k, 100k
and 1M; synthetic, deterministic, see bench/synthetic.py):

1. DemandIndex build time and extra memory (VmRSS before/after, peak VmRSS during the
   build via /proc/self/clear_refs, and the tracemalloc peak of a second, untimed build).
2. Latency p50/p99 of index.rank(lot, Settings(), today, k=10) over random supply lots.
3. All-pairs: every lot of 100k ranked against the 100k-demand index with
   index.rank_many (5,000 lots a call); when the first 5,000 say that would clearly take
   over twice the budget, it stops there and extrapolates, and the output says so.
4. Baseline (a): market.matching.reference.rank_demand, the plain per-candidate loop,
   on a sample of the same lots: p50 and the index's speed-up (ratio of p50s over the
   same lots).
5. Baseline (b): the same ranking as one SQL query per lot in PostgreSQL (database
   `bench`, loaded with COPY); (b2) the same with a PostGIS GiST prefilter, if PostGIS
   is installed.
   Every baseline's top-10 must agree with the index's (bench/agree.py); the script
   exits 1 if any lot disagrees, else 0 even when a target is missed.
6. A table of all figures and PASS/MISS against the targets for the 1M size.

Run from the repository root:

    /work/venv/bin/python -m bench.matching                   # 10k, 100k, 1M (minutes)
    /work/venv/bin/python -m bench.matching --quick           # smoke run, seconds
    /work/venv/bin/python bench/matching.py --sizes 10000,100000 --no-postgres
"""

import argparse
import gc
import json
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pgbaseline, synthetic  # noqa: E402
from bench.agree import disagreement  # noqa: E402
from market.matching.index import DemandIndex  # noqa: E402
from market.matching.reference import rank_demand  # noqa: E402
from market.matching.types import Settings  # noqa: E402

K = 10
TODAY = synthetic.TODAY
BATCH = 5_000  # lots per rank_many call in the all-pairs run


@dataclass
class Options:
    sizes: list[int]
    lots: int = 1_000
    lots_1m: int = 500
    allpairs: int = 100_000
    allpairs_budget_s: float = 60.0
    postgres: bool = True
    tracemalloc: bool = True
    json: str | None = None

    def ref_sample(self, n: int) -> int:
        return 20 if n >= 1_000_000 else 50 if n >= 100_000 else 200

    def pg_sample(self, n: int) -> int:
        return 50 if n >= 1_000_000 else 100 if n >= 100_000 else 200


@dataclass
class Latency:
    lots: int
    p50_ms: float
    p99_ms: float
    mean_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> "Latency":
        ms = np.asarray(seconds) * 1e3
        return cls(len(ms), *(float(x) for x in (np.median(ms), np.percentile(ms, 99), ms.mean())))


@dataclass
class Baseline:
    name: str
    latency: Latency
    index_p50_ms: float  # the index's p50 over the same lots
    load_s: float = 0.0
    disagreements: list[str] = field(default_factory=list)

    @property
    def speedup(self) -> float:
        return self.latency.p50_ms / self.index_p50_ms


@dataclass
class AllPairs:
    lots: int
    demands: int
    timed_lots: int
    seconds: float  # for all lots; extrapolated when timed_lots < lots

    @property
    def extrapolated(self) -> bool:
        return self.timed_lots < self.lots


@dataclass
class SizeReport:
    n: int
    postings: int = 0
    generate_s: float = 0.0
    build_s: float = 0.0
    rss_mb: float = 0.0  # VmRSS after − before the build
    peak_mb: float = float("nan")  # peak VmRSS during the build − before
    traced_mb: float = float("nan")  # tracemalloc peak of a second build
    latency: Latency | None = None
    eligible: float = 0.0  # mean recyclers passing every hard filter per lot
    baselines: list[Baseline] = field(default_factory=list)
    allpairs: AllPairs | None = None


# ---------------------------------------------------------------- memory


def _status_mb(field_name: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current VmRSS
    except OSError:
        return False
    return True


def _traced_peak_mb(demands) -> float:
    gc.collect()
    tracemalloc.start()
    index = DemandIndex(demands)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del index
    return peak / 2**20


# ---------------------------------------------------------------- measurements


def measure_build(report: SizeReport, demands, opts: Options) -> DemandIndex:
    gc.collect()
    before = _status_mb("VmRSS")
    peak_ok = _reset_peak_rss()
    start = time.perf_counter()
    index = DemandIndex(demands)
    report.build_s = time.perf_counter() - start
    report.rss_mb = _status_mb("VmRSS") - before
    if peak_ok:
        report.peak_mb = _status_mb("VmHWM") - before
    report.postings = len(index.p_row)
    if opts.tracemalloc:
        report.traced_mb = _traced_peak_mb(demands)
    return index


def measure_latency(report: SizeReport, index: DemandIndex, lots) -> tuple[list, list]:
    settings = Settings()
    for lot in lots[:10]:  # warm-up
        index.rank(lot, settings, TODAY, k=K)
    seconds, rankings = [], []
    for lot in lots:
        start = time.perf_counter()
        ranking = index.rank(lot, settings, TODAY, k=K)
        seconds.append(time.perf_counter() - start)
        rankings.append(ranking)
    report.latency = Latency.of(seconds)
    report.eligible = float(np.mean([r.eligible for r in rankings]))
    return seconds, [r.matches for r in rankings]


def _check(name: str, lot, got, want, ctx) -> str | None:
    why = disagreement(got, want, K, (lot,) + ctx)
    return None if why is None else f"{name} lot {lot.id}: {why}"


def measure_reference(demands, lots, index_s, index_top, by_id) -> Baseline:
    settings, seconds, problems = Settings(), [], []
    for lot, got in zip(lots, index_top, strict=False):
        start = time.perf_counter()
        want = rank_demand(lot, demands, settings, TODAY, K)
        seconds.append(time.perf_counter() - start)
        problems.append(_check("(a)", lot, got, want, (by_id, settings, TODAY)))
    index_p50 = float(np.median(index_s[: len(seconds)])) * 1e3
    bad = [p for p in problems if p]
    return Baseline("(a) plain loop", Latency.of(seconds), index_p50, disagreements=bad)


def measure_sql(conn, postgis: bool, lots, index_s, index_top, ctx) -> Baseline:
    by_id, reach_km = ctx
    settings, sql = Settings(), pgbaseline.query(postgis)
    for lot in lots[:3]:  # warm-up: caches, prepared statement
        pgbaseline.rank(conn, sql, pgbaseline.params(lot, settings, TODAY, K, reach_km))
    seconds, problems = [], []
    for lot, got in zip(lots, index_top, strict=False):
        p = pgbaseline.params(lot, settings, TODAY, K, reach_km)
        start = time.perf_counter()
        want = pgbaseline.rank(conn, sql, p)
        seconds.append(time.perf_counter() - start)
        name = "(b2)" if postgis else "(b)"
        problems.append(_check(name, lot, got, want, (by_id, settings, TODAY)))
    index_p50 = float(np.median(index_s[: len(seconds)])) * 1e3
    name = "(b2) PostGIS" if postgis else "(b) PostgreSQL"
    bad = [p for p in problems if p]
    return Baseline(name, Latency.of(seconds), index_p50, disagreements=bad)


def measure_postgres(conn, demands, lots, index_s, index_top, sample: int) -> list[Baseline]:
    ctx = ({d.id: d for d in demands}, max(d.radius_km for d in demands))
    load_s = pgbaseline.load(conn, demands)
    plain = measure_sql(conn, False, lots[:sample], index_s, index_top, ctx)
    plain.load_s = load_s
    if not pgbaseline.postgis_available(conn):
        print("    (b2) skipped: PostGIS is not installed (postgresql-15-postgis-3)")
        return [plain]
    geo_s = pgbaseline.load_postgis(conn)
    geo = measure_sql(conn, True, lots[:sample], index_s, index_top, ctx)
    geo.load_s = geo_s
    return [plain, geo]


def measure_allpairs(index: DemandIndex, world, n: int, opts: Options):
    """Times the first batch, then goes on over every lot unless that batch says the whole
    run would clearly exceed the budget (then it is extrapolated from the first batch).
    The first batch also pays the index's caches built on first use (chord limits, day
    filters): extrapolating from it overstates the whole, so the full run is preferred.
    (The single-lot latency is no longer the predictor: rank_many ranks a category's lots
    together and is about twice as fast per lot.)"""
    lots = synthetic.lots(world, opts.allpairs, seed=13)
    settings = Settings()
    start = time.perf_counter()
    index.rank_many(lots[:BATCH], settings, TODAY, k=K)
    first = time.perf_counter() - start
    if first * len(lots) / min(BATCH, len(lots)) > 2 * opts.allpairs_budget_s:
        timed = min(BATCH, len(lots))
        return AllPairs(len(lots), n, timed, first * len(lots) / timed)
    for i in range(BATCH, len(lots), BATCH):
        index.rank_many(lots[i : i + BATCH], settings, TODAY, k=K)
    return AllPairs(len(lots), n, len(lots), time.perf_counter() - start)


# ---------------------------------------------------------------- one size


def measure_size(n: int, opts: Options, conn) -> SizeReport:
    report = SizeReport(n)
    start = time.perf_counter()
    world = synthetic.World.make(n)
    demands = synthetic.demands(world, n)
    lots = synthetic.lots(world, opts.lots_1m if n >= 1_000_000 else opts.lots)
    report.generate_s = time.perf_counter() - start
    _say(f"{n:,} demands generated in {report.generate_s:.1f} s")
    index = measure_build(report, demands, opts)
    _say(f"  built in {report.build_s:.2f} s, +{report.rss_mb:.0f} MB RSS")
    index_s, index_top = measure_latency(report, index, lots)
    _say(f"  rank p50 {report.latency.p50_ms:.2f} ms, p99 {report.latency.p99_ms:.2f} ms")
    by_id = {d.id: d for d in demands}
    sample = lots[: opts.ref_sample(n)]
    report.baselines.append(measure_reference(demands, sample, index_s, index_top, by_id))
    _say_baseline(report.baselines[-1])
    if conn is not None:
        pg = measure_postgres(conn, demands, lots, index_s, index_top, opts.pg_sample(n))
        for baseline in pg:
            _say_baseline(baseline)
        report.baselines += pg
    if n == opts.allpairs:
        report.allpairs = measure_allpairs(index, world, n, opts)
        _say(f"  all-pairs {report.allpairs.seconds:.1f} s")
    return report


def _say(text: str) -> None:
    print(text, flush=True)


def _say_baseline(b: Baseline) -> None:
    _say(
        f"  {b.name}: p50 {b.latency.p50_ms:.1f} ms over {b.latency.lots} lots, "
        f"index {b.speedup:.0f}x faster, {len(b.disagreements)} disagreements"
    )
    for problem in b.disagreements[:5]:
        _say(f"    DISAGREE {problem}")


# ---------------------------------------------------------------- report


def _row(cells, widths) -> str:
    return "  ".join(str(c).rjust(w) for c, w in zip(cells, widths, strict=True))


def print_index_table(reports: list[SizeReport]) -> None:
    head = ("demands", "postings", "build s", "+RSS MB", "peak MB", "traced MB",
            "lots", "p50 ms", "p99 ms", "mean ms", "eligible/lot")  # fmt: skip
    widths = [max(9, len(h)) for h in head]
    print("\nDemandIndex")
    print(_row(head, widths))
    for r in reports:
        lat = r.latency
        cells = (f"{r.n:,}", f"{r.postings:,}", f"{r.build_s:.2f}", f"{r.rss_mb:.0f}",
                 f"{r.peak_mb:.0f}", f"{r.traced_mb:.0f}", lat.lots, f"{lat.p50_ms:.2f}",
                 f"{lat.p99_ms:.2f}", f"{lat.mean_ms:.2f}", f"{r.eligible:,.0f}")  # fmt: skip
        print(_row(cells, widths))


def print_baseline_table(reports: list[SizeReport]) -> None:
    head = ("demands", "baseline", "lots", "load s", "p50 ms", "p99 ms", "index p50",
            "speed-up", "disagree")  # fmt: skip
    widths = [9, 15, 5, 7, 9, 9, 9, 9, 8]
    print("\nBaselines (index p50 over the same lots; speed-up = baseline p50 / index p50)")
    print(_row(head, widths))
    for r in reports:
        for b in r.baselines:
            lat = b.latency
            cells = (f"{r.n:,}", b.name, lat.lots, f"{b.load_s:.1f}", f"{lat.p50_ms:.2f}",
                     f"{lat.p99_ms:.2f}", f"{b.index_p50_ms:.2f}", f"{b.speedup:.1f}x",
                     len(b.disagreements))  # fmt: skip
            print(_row(cells, widths))


def print_allpairs(reports: list[SizeReport]) -> None:
    for r in reports:
        a = r.allpairs
        if a is None:
            continue
        how = (
            f"EXTRAPOLATED from {a.timed_lots:,} timed lots"
            if a.extrapolated
            else "measured, every lot"
        )
        size = f"{a.lots:,} lots x {a.demands:,} demands"
        print(f"\nAll-pairs top-{K}: {size}: {a.seconds:.1f} s ({how})")


def _verdict(name: str, value: float, target: float, unit: str, higher_better=False) -> str:
    ok = value >= target if higher_better else value <= target
    ratio = value / target if higher_better else target / value
    margin = f"{ratio:.1f}x headroom" if ok else f"missed by {1 / ratio:.2f}x"
    sign = ">=" if higher_better else "<="
    verdict = "PASS" if ok else "MISS"
    return f"  {verdict}  {name}: {value:.2f}{unit} (target {sign} {target:g}{unit}; {margin})"


def targets(reports: list[SizeReport]) -> list[str]:
    big = next((r for r in reports if r.n == 1_000_000), None)
    lines = []
    if big is None:
        lines.append("  (1,000,000 not measured: no verdicts on the 1M targets)")
    else:
        lines += _size_targets(big)
    pairs = next((r.allpairs for r in reports if r.allpairs), None)
    if pairs and pairs.lots == pairs.demands == 100_000:
        note = " (extrapolated)" if pairs.extrapolated else ""
        lines.append(_verdict(f"all-pairs 100k x 100k{note}", pairs.seconds, 60.0, " s"))
    return lines


def _memory_mb(r: SizeReport) -> float:
    return max(r.rss_mb, r.peak_mb, 0.0 if r.traced_mb != r.traced_mb else r.traced_mb)


def _size_targets(r: SizeReport) -> list[str]:
    lines = [
        _verdict("rank p50 at 1M", r.latency.p50_ms, 20.0, " ms"),
        _verdict("rank p99 at 1M", r.latency.p99_ms, 10.0, " ms"),
        _verdict("index build at 1M", r.build_s, 10.0, " s"),
        # RSS deltas depend on what the allocator kept from earlier sizes; the traced
        # peak of a build does not, so the larger of the two is judged.
        _verdict("extra memory at 1M (max of RSS delta, traced peak)", _memory_mb(r), 500.0, " MB"),
    ]
    wanted = {"(a)": 50.0, "(b)": 5.0, "(b2)": 5.0}
    for b in r.baselines:
        tag = b.name.split()[0]
        lines.append(_verdict(f"speed-up vs {b.name} at 1M", b.speedup, wanted[tag], "x", True))
    return lines


# ---------------------------------------------------------------- main


def parse(argv) -> Options:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000", help="demand counts")
    ap.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    ap.add_argument("--no-postgres", action="store_true", help="skip baselines (b), (b2)")
    ap.add_argument("--no-tracemalloc", action="store_true", help="skip the traced build")
    ap.add_argument("--lots", type=int, default=1000, help="lots timed per size (<1M)")
    ap.add_argument("--allpairs", type=int, default=100_000, help="all-pairs size")
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args(argv)
    opts = Options(
        sizes=[int(s) for s in a.sizes.split(",")],
        lots=a.lots,
        allpairs=a.allpairs,
        postgres=not a.no_postgres,
        tracemalloc=not a.no_tracemalloc,
        json=a.json,
    )
    if a.quick:
        opts.sizes, opts.lots, opts.allpairs = [2_000, 10_000], 200, 10_000
    return opts


def main(argv=None) -> int:
    opts = parse(argv)
    conn = pgbaseline.connect() if opts.postgres else None
    reports = []
    for n in opts.sizes:
        reports.append(measure_size(n, opts, conn))
        gc.collect()
    print_index_table(reports)
    print_baseline_table(reports)
    print_allpairs(reports)
    print("\nTargets")
    print("\n".join(targets(reports)))
    if opts.json:
        Path(opts.json).write_text(json.dumps([asdict(r) for r in reports], indent=1))
    bad = sum(len(b.disagreements) for r in reports for b in r.baselines)
    if bad:
        print(f"\nFAIL: {bad} lots where a baseline's top-{K} differs from the index's")
        return 1
    print(f"\nAll sampled top-{K}s agree with the index.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
