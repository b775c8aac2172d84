"""Benchmark of the warning run (`flask warnings run`) on PostgreSQL at the scale issue 10
names: over a park with 1 million manifests and 100k listings it must finish in under a
minute.

The park is the dashboard benchmark's (`bench.dashboard.build`, bulk inserts), plus what
makes every rule find causes: enterprises registered two years ago (monthly filings owed
since then), pickups on every shipped manifest, one in-transit manifest in 50 picked up
long ago (late receipts), one closed manifest in 200 weighed 10 % light and one in 1,000
30 % light (discrepancies), one receipt in 5,000 with no treatment (recycler stock),
twelve stockpiling generators that file two years of generation and ship nothing (stock
held past a year), half the recyclers licensed for far less than they receive (over
capacity), one recycler whose licence expired ten days ago (receipts without a licence);
the dashboard park already has spiking filings, under-declared generation and open lots
without bids.

Then `market.warnings.services.run_park` is timed twice on that park: the first run (raises
what it finds) and a second run right after (raises nothing new); each is committed like
`flask warnings run` does. The feeds alone are timed too, and against them the baseline in
the same run: `market.warnings.feed_reference`, the per-enterprise feed (ledgers built
enterprise by enterprise) the run used before; both must yield the same rule inputs
(checked; the exit status is 1 when they differ).

Run from the repository root (database `bench_warnings` by default, created once with
`psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE bench_warnings'`; its schema is dropped
and recreated unless `--reuse`):

    .venv/bin/python -m bench.warnings                    # 1,000,000 / 100,000
    .venv/bin/python -m bench.warnings --quick            # smoke run: 5,000 / 1,000
    .venv/bin/python -m bench.warnings --reuse            # the park built before; warnings reset
    .venv/bin/python -m bench.warnings --reuse --profile 30   # cProfile of one run, top 30
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench.dashboard import CODES, Builder, _enterprise, build, make_app  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_warnings"
TARGET_SECONDS = 60.0
STOCKPILERS = 12


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def add_causes(app, park_id: int, seed: int = 11) -> None:
    """What the dashboard park lacks for every rule to find causes (see the module's text)."""
    from market import clock
    from market.catalog.models import WasteCode
    from market.extensions import db

    today = clock.today()
    with app.app_context(), db.engine.begin() as conn:
        b = Builder(conn, random.Random(seed), datetime.now(UTC))
        p = {"park": park_id}
        conn.execute(text("UPDATE enterprises SET created_at = created_at - interval '800 days' "
                          "WHERE park_id = :park"), p)  # fmt: skip
        conn.execute(text("UPDATE manifests SET picked_up_at = submitted_at + interval '2 hours' "
                          "WHERE status IN ('closed', 'received')"))  # fmt: skip
        conn.execute(text(
            "UPDATE manifests SET picked_up_at = CASE WHEN id % 50 = 0 "
            "THEN submitted_at + interval '2 hours' "
            "ELSE now() - (id % 60) * interval '1 hour' END "
            "WHERE status = 'in_transit'"))  # fmt: skip
        conn.execute(text("UPDATE manifests SET received_kg = declared_kg * 9 / 10 "
                          "WHERE status = 'closed' AND id % 200 = 0"))  # fmt: skip
        conn.execute(text("UPDATE manifests SET received_kg = declared_kg * 7 / 10 "
                          "WHERE status = 'closed' AND id % 1000 = 500"))  # fmt: skip
        conn.execute(text("UPDATE manifests SET treatment = NULL "
                          "WHERE status = 'closed' AND id % 5000 = 7"))  # fmt: skip
        recyclers = conn.execute(text(
            "SELECT id FROM enterprises WHERE park_id = :park AND is_recycler ORDER BY id"), p
        ).scalars().all()  # fmt: skip
        conn.execute(text("UPDATE licences SET capacity_kg_per_year = 400000000 "
                          "WHERE enterprise_id = ANY(:ids)"), {"ids": recyclers[::2]})  # fmt: skip
        conn.execute(text("UPDATE licences SET valid_until = :day WHERE enterprise_id = :e"),
                     {"day": today - timedelta(days=10), "e": recyclers[1]})  # fmt: skip
        code = conn.execute(db.select(WasteCode.id).where(WasteCode.code == CODES[3])).scalar()
        rows = [_enterprise(b, park_id, 9000 + i, "generator", 5) for i in range(STOCKPILERS)]
        for row in rows:
            row["created_at"] = b.now - timedelta(days=800)
        piles = b.ids("enterprises", rows)
        users = b.ids("users", [dict(email=f"pile{e}@bench.test", name="用户", password_hash="x",
                                     enterprise_id=e, locale="", active=True, created_at=b.now)
                                for e in piles])  # fmt: skip
        filings = []
        month = today.replace(day=1)
        for _ in range(24):
            end = month - timedelta(days=1)
            month = end.replace(day=1)
            for e, u in zip(piles, users, strict=True):
                filings.append(dict(enterprise_id=e, waste_code_id=code, period_kind="monthly",
                                    period_key=month.strftime("%Y-%m"), period_start=month,
                                    period_end=end, generated_kg=b.rng.randint(1, 20) * 1000,
                                    note="", filed_at=b.now, filed_on=end + timedelta(days=3),
                                    filed_by_id=u, version=1))  # fmt: skip
        b.put("filings", filings)
        conn.execute(text("ANALYZE"))


def reset_warnings(app) -> None:
    from market.extensions import db

    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("TRUNCATE warning_files, warning_events, warnings RESTART IDENTITY"))


def park_of(app) -> int:
    from market.accounts.models import Park
    from market.extensions import db

    with app.app_context():
        return db.session.execute(db.select(Park.id).filter_by(slug="bench")).scalar_one()


def counts_of(app) -> dict:
    from market.extensions import db

    with app.app_context():
        rows = db.session.execute(text(
            "SELECT (SELECT count(*) FROM manifests), (SELECT count(*) FROM supply_listings), "
            "(SELECT count(*) FROM enterprises), (SELECT count(*) FROM filings)")
        ).one()  # fmt: skip
    return dict(zip(("manifests", "listings", "enterprises", "filings"), rows, strict=True))


def time_run(app, park_id: int, profile: int = 0) -> tuple[float, object]:
    from market.extensions import db
    from market.warnings import services

    with app.app_context():
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        counts = services.run_park(park_id)
        db.session.commit()
        if profiler:
            profiler.disable()
        took = time.perf_counter() - started
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(profile)
            print(out.getvalue())
    return took, counts


def time_feeds(app, park_id: int, module) -> tuple[dict, dict]:
    """Each rule's inputs from one feed module, timed rule by rule."""
    from market import clock

    times, inputs = {}, {}
    with app.app_context():
        today = clock.today()
        for rule, fetch in module.INPUTS.items():
            started = time.perf_counter()
            inputs[rule] = module.normalised(rule, fetch(park_id, today))
            times[rule.value] = round(time.perf_counter() - started, 3)
    return times, inputs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--manifests", type=int, default=1_000_000)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="5,000 manifests, 1,000 listings")
    parser.add_argument("--reuse", action="store_true", help="the park already built there")
    parser.add_argument("--no-baseline", action="store_true", help="skip the reference feed")
    parser.add_argument("--profile", type=int, default=0, help="cProfile the first run: top N")
    parser.add_argument("--build-only", action="store_true", help="build the park and stop")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.manifests, args.listings = 5_000, 1_000
    from bench.manifest_world import reset

    app = make_app(args.url)
    out: dict = {"args": vars(args)}
    if args.reuse:
        park_id = park_of(app)
        reset_warnings(app)
    else:
        started = time.perf_counter()
        reset(app)
        park_id = build(app, args.manifests, args.listings)["park_id"]
        add_causes(app, park_id)
        out["built_s"] = round(time.perf_counter() - started, 1)
        print(f"built in {out['built_s']} s | {load()}")
        if args.build_only:
            return 0
    from market.warnings import feed, feed_reference

    out["park"] = counts_of(app)
    commit = os.popen("git rev-parse --short HEAD 2>/dev/null").read().strip()
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out["commit"], out["started"] = commit, started_at
    print(f"commit {commit}, {started_at}; park:", json.dumps(out["park"]), "|", load())

    new_times, new_inputs = time_feeds(app, park_id, feed)
    out["feed_s"] = {"set-based": new_times, "set-based total": round(sum(new_times.values()), 2)}
    print(f"set-based feed: {out['feed_s']['set-based total']:.2f} s {new_times} | {load()}")
    out["inputs"] = {r.value: len(v[0]) for r, v in new_inputs.items()}
    print("rule inputs (rows):", json.dumps(out["inputs"]))
    first, counts = time_run(app, park_id, args.profile)
    out["first_run"] = {"s": round(first, 2), "raised": counts.raised, "by_rule": counts.by_rule,
                        "auto_closed": counts.auto_closed, "escalated": counts.escalated,
                        "load": load()}  # fmt: skip
    print(f"first run: {first:.2f} s, raised {counts.raised:,} | {load()}")
    print("  raised per rule:", json.dumps(counts.by_rule))
    second, again = time_run(app, park_id)
    out["second_run"] = {"s": round(second, 2), "raised": again.raised,
                         "auto_closed": again.auto_closed, "load": load()}  # fmt: skip
    print(f"second run: {second:.2f} s, raised {again.raised:,}, "
          f"auto-closed {again.auto_closed:,} | {load()}")  # fmt: skip
    same = True
    if not args.no_baseline:
        old_times, old_inputs = time_feeds(app, park_id, feed_reference)
        out["feed_s"]["per-enterprise"] = old_times
        out["feed_s"]["per-enterprise total"] = round(sum(old_times.values()), 2)
        differ = [r.value for r in old_inputs if old_inputs[r] != new_inputs[r]]
        same = not differ
        out["same_inputs"] = same
        print(f"per-enterprise feed (baseline): {out['feed_s']['per-enterprise total']:.2f} s "
              f"{old_times} | {load()}")  # fmt: skip
        print("rule inputs identical:", "yes" if same else f"NO: {differ}")

    idle = again.raised == 0 and again.auto_closed == 0
    every = all(counts.by_rule.get(r, 0) > 0 for r in out["inputs"])
    verdict = max(first, second) < TARGET_SECONDS
    print(f"every rule raised: {'yes' if every else 'NO'}; second run idle: "
          f"{'yes' if idle else 'NO'}; both runs under {TARGET_SECONDS:.0f} s: "
          f"{'yes' if verdict else 'NO'}")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(out, default=str, indent=2))
    return 0 if same and idle else 1


if __name__ == "__main__":
    raise SystemExit(main())
