"""Benchmark of the manifest lifecycle on PostgreSQL, through the services.

Each lifecycle is one deal of 10 t and one manifest: the generator starts it
(`start_manifest`), the transporter signs pickup (`sign_pickup`), the receiver signs
receipt (`sign_receipt`: weighed 9.9 t, the manifest closes), and the generator marks the
deal complete (`complete_deal`: it settles on the received total, capturing that amount
and releasing the rest). Every step commits, as a view would. Several worker processes
(each its own app context and connection) run lifecycles at once on deals made before
(bench/manifest_world.py); all workers share one region, so they share its serial row.

Two runs, reported side by side:

- without the gateway: the payment gateway is an in-process stand-in that answers at once
  (every database write of the settlement still happens) — the target figure;
- with the gateway: captures go to localstripe over HTTP; the capture call alone is timed.

The baseline in the same run: Ningbo's ~1.99 million construction-waste e-manifests in
2024 at a 10x peak, per second (over the calendar year, and over working hours).

Run from the repository root (database `bench_manifests` on 127.0.0.1:5432, created once
with `psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE bench_manifests'`; its schema is
dropped and recreated):

    .venv/bin/python -m bench.manifests                  # 4 workers, 4,000 + 400 lifecycles
    .venv/bin/python -m bench.manifests --quick          # smoke run: 200 + 40
    .venv/bin/python -m bench.manifests --workers 2 --lifecycles 2000 --json /tmp/m.json
"""

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import manifest_world as world  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_manifests"
TARGET_PER_SECOND = 200
NINGBO_PER_YEAR = 1_990_000  # construction-waste e-manifests, 2024
SHANDONG_PER_YEAR = 360_000  # 36万 batches a year
PEAK = 10
WORKING_SECONDS = 250 * 8 * 3600  # 250 working days of 8 hours
STEPS = ("start", "pickup", "receive_close", "settle")


def needed_per_second(per_year: int) -> dict[str, float]:
    return {
        "calendar_10x": per_year / (365 * 86400) * PEAK,
        "working_hours_10x": per_year / WORKING_SECONDS * PEAK,
    }


def make_app(url: str, stripe_base: str):
    from market.app import create_app
    from market.config import Config, normalise_database_url

    config = type("BenchConfig", (Config,), {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(url), "STRIPE_API_BASE": stripe_base,
    })  # fmt: skip
    app = create_app(config)
    from market.deals.gateway import gateway_from_config

    app.extensions["payments"] = gateway_from_config(app.config)
    return app


class TimedGateway:
    """The gateway, with every capture call timed."""

    def __init__(self, inner):
        self.inner, self.captures = inner, []

    def capture(self, *args, **kwargs):
        began = time.perf_counter()
        try:
            return self.inner.capture(*args, **kwargs)
        finally:
            self.captures.append(time.perf_counter() - began)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _lifecycle(svc, db, users, cast, deal_id: int, times: dict) -> None:
    from market.db import utcnow

    began = time.perf_counter()
    start = svc.StartInput(declared_kg=world.QUANTITY_KG, transporter_id=cast.transporter)
    manifest_id = svc.start_manifest(users["generator"], deal_id, start).id
    db.session.commit()
    mark = _lap(times, "start", began)
    pickup = svc.PickupInput(plate="浙B12345", driver_name="李师傅", driver_phone="13912345678",
                             picked_up_at=utcnow())  # fmt: skip
    svc.sign_pickup(users["transporter"], manifest_id, pickup)
    db.session.commit()
    mark = _lap(times, "pickup", mark)
    receipt = svc.ReceiptInput(received_kg=world.QUANTITY_KG - 100, received_at=utcnow(),
                               treatment="utilise", treatment_method="再生利用")  # fmt: skip
    svc.sign_receipt(users["recycler"], manifest_id, receipt)
    db.session.commit()
    svc.after_commit(deal_id)
    mark = _lap(times, "receive_close", mark)
    svc.complete_deal(users["generator"], deal_id)
    db.session.commit()
    svc.after_commit(deal_id)
    _lap(times, "settle", mark)
    times["lifecycle"].append(time.perf_counter() - began)


def _lap(times: dict, step: str, since: float) -> float:
    now = time.perf_counter()
    times[step].append(now - since)
    return now


def backend_ticks(dbname: str) -> dict[int, int]:
    """CPU clock ticks (user + system) of each PostgreSQL backend serving `dbname` on this
    machine, by pid, read from /proc (a backend's title names its database); {} elsewhere."""
    out: dict[int, int] = {}
    needle = f" {dbname} ".encode()
    for pid in filter(str.isdigit, os.listdir("/proc") if os.path.isdir("/proc") else ()):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                title = f.read()
            if not title.startswith(b"postgres: ") or needle not in title:
                continue
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        out[int(pid)] = int(fields[11]) + int(fields[12])
    return out


def _database_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).database or ""


def _ticks_since(before: dict[int, int], dbname: str) -> float:
    """CPU seconds the database's backends used since `before` (new backends wholly)."""
    after = backend_ticks(dbname)
    ticks = sum(t - before.get(pid, 0) for pid, t in after.items())
    return ticks / os.sysconf("SC_CLK_TCK")


def worker(url, stripe_base, use_gateway, cast, deal_ids, barrier, results) -> None:
    from market.accounts.models import User
    from market.extensions import db
    from market.manifests import services as svc

    app = make_app(url, stripe_base)
    with app.app_context():
        inner = app.extensions["payments"] if use_gateway else world.NullGateway()
        gateway = app.extensions["payments"] = TimedGateway(inner)
        users = {role: db.session.get(User, getattr(cast, f"{role}_user"))
                 for role in ("generator", "recycler", "transporter")}  # fmt: skip
        db.session.commit()
        times = {step: [] for step in (*STEPS, "lifecycle")}
        errors: list[str] = []
        leader = barrier.wait() == 0  # one worker reads the backends' CPU for all
        server_before = backend_ticks(_database_name(url)) if leader else None
        began, cpu_before = time.monotonic(), time.process_time()
        for deal_id in deal_ids:
            try:
                _lifecycle(svc, db, users, cast, deal_id, times)
            except Exception as exc:  # noqa: BLE001 — counted and reported, the run goes on
                db.session.rollback()
                errors.append(f"deal {deal_id}: {type(exc).__name__}: {exc}"[:300])
        ended, cpu = time.monotonic(), time.process_time() - cpu_before
        barrier.wait()  # every worker done (its backend still connected): read them now
        server = _ticks_since(server_before, _database_name(url)) if leader else None
    results.put({"began": began, "ended": ended, "times": times, "cpu_s": cpu,
                 "server_cpu_s": server, "captures": gateway.captures,
                 "errors": errors})  # fmt: skip


def run_phase(url, stripe_base, use_gateway, cast, deal_ids, workers: int) -> dict:
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    shares = [deal_ids[i::workers] for i in range(workers)]
    procs = [ctx.Process(target=worker, args=(url, stripe_base, use_gateway, cast, share,
                                              barrier, results)) for share in shares]  # fmt: skip
    for proc in procs:
        proc.start()
    parts = [results.get() for _ in procs]
    for proc in procs:
        proc.join()
    wall = max(p["ended"] for p in parts) - min(p["began"] for p in parts)
    merged = {k: [x for p in parts for x in p["times"][k]] for k in (*STEPS, "lifecycle")}
    done = len(merged["lifecycle"])
    server = [p["server_cpu_s"] for p in parts if p["server_cpu_s"] is not None]
    return {
        "workers_cpu_ms": sum(p["cpu_s"] for p in parts) * 1000 / done if done else None,
        "server_cpu_ms": server[0] * 1000 / done if done and server else None,
        "gateway": "localstripe" if use_gateway else "in-process stand-in",
        "workers": workers,
        "lifecycles": done,
        "errors": [e for p in parts for e in p["errors"]],
        "wall_s": wall,
        "per_second": done / wall if wall else 0.0,
        "steps_ms": {k: _quantiles(v) for k, v in merged.items()},
        "capture_ms": _quantiles([x for p in parts for x in p["captures"]]),
    }


def _quantiles(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {"n": 0}
    ms = sorted(s * 1000 for s in seconds)
    return {"n": len(ms), "p50": statistics.median(ms),
            "p99": ms[min(len(ms) - 1, int(0.99 * len(ms)))], "max": ms[-1]}  # fmt: skip


def check(app, expected: int) -> dict:
    """After the runs: every lifecycle closed and settled, every chain verifies."""
    from market.deals.models import Deal
    from market.extensions import db
    from market.manifests.models import Manifest
    from market.manifests.services import verify_chains

    with app.app_context():
        closed = db.session.scalar(db.select(db.func.count(Manifest.id)).filter_by(status="closed"))
        settled = db.session.scalar(db.select(db.func.count(Deal.id)).filter_by(status="completed"))
        return {"closed": closed, "settled": settled, "expected": expected,
                "broken_chains": len(verify_chains())}  # fmt: skip


def main(argv=None) -> int:
    from tests.localstripe_server import LocalStripe

    opts = parse(argv)
    load_before = os.getloadavg()
    stripe = LocalStripe(opts.stripe_port).start()
    try:
        app = make_app(opts.database_url, stripe.url)
        world.reset(app)
        cast, template = world.build_cast(app)
        null_ids = world.clone_deals(app, template, opts.lifecycles)
        runs = [run_phase(opts.database_url, stripe.url, False, cast, null_ids, opts.workers)]
        payer = _payer(app, template)
        gw_ids = world.clone_deals(app, template, opts.gateway_lifecycles,
                                   world.stripe_authoriser(app, payer))  # fmt: skip
        runs.append(run_phase(opts.database_url, stripe.url, True, cast, gw_ids, opts.workers))
        checked = check(app, len(null_ids) + len(gw_ids))  # the template has no manifest
    finally:
        stripe.stop()
    report = {"runs": runs, "check": checked, "load_before": load_before,
              "load_after": os.getloadavg(), "uptime": _uptime(), "cpus": os.cpu_count(),
              "ningbo": needed_per_second(NINGBO_PER_YEAR),
              "shandong": needed_per_second(SHANDONG_PER_YEAR)}  # fmt: skip
    print_report(report)
    if opts.json:
        Path(opts.json).write_text(json.dumps(report, indent=2, ensure_ascii=False))
    broken = checked["broken_chains"] or any(r["errors"] for r in runs)
    return 1 if broken else 0


def _payer(app, deal_id: int) -> int:
    from market.deals.models import Deal
    from market.extensions import db

    with app.app_context():
        return db.session.get(Deal, deal_id).payment.payer_id


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _print_cpu(run: dict, cpus: int) -> None:
    """Where a lifecycle's CPU goes, and the rate the machine's cores allow at that cost."""
    mine, server = run.get("workers_cpu_ms"), run.get("server_cpu_ms")
    if mine is None:
        return
    line = f"   CPU per lifecycle: workers (Python) {mine:.1f} ms"
    if server:
        total = mine + server
        line += (f", PostgreSQL backends {server:.1f} ms; {cpus} cores allow "
                 f"{cpus * 1000 / total:.0f}/s at this cost, {cpus * 1000 / server:.0f}/s "
                 "if the Python cost nothing")  # fmt: skip
    print(line)


def print_report(report: dict) -> None:
    print(f"\nload: {report['uptime']}  ({report['cpus']} CPUs)")
    for run in report["runs"]:
        print(f"\n== gateway: {run['gateway']}; {run['workers']} workers, "
              f"{run['lifecycles']} lifecycles in {run['wall_s']:.1f} s "
              f"= {run['per_second']:.1f} lifecycles/s; errors {len(run['errors'])}")  # fmt: skip
        for step, q in run["steps_ms"].items():
            if q["n"]:
                print(f"   {step:14} p50 {q['p50']:7.1f} ms   p99 {q['p99']:7.1f} ms  (n={q['n']})")
        q = run["capture_ms"]
        if q["n"]:
            print(f"   {'gateway capture':14} p50 {q['p50']:7.1f} ms   p99 {q['p99']:7.1f} ms")
        _print_cpu(run, report["cpus"])
        for error in run["errors"][:5]:
            print("   !", error)
    nb, sd = report["ningbo"], report["shandong"]
    print(
        f"\nNingbo 1.99M/yr at 10x peak: {nb['calendar_10x']:.2f}/s over the calendar year, "
        f"{nb['working_hours_10x']:.2f}/s over working hours (250 d x 8 h)"
    )
    print(f"Shandong 360k/yr at 10x peak: {sd['calendar_10x']:.2f}/s; "
          f"{sd['working_hours_10x']:.2f}/s over working hours")  # fmt: skip
    best = report["runs"][0]["per_second"]
    verdict = "PASS" if best >= TARGET_PER_SECOND else "MISS"
    print(
        f"target {TARGET_PER_SECOND}/s full lifecycles (without the gateway's HTTP): "
        f"{best:.1f}/s {verdict}; {best / nb['working_hours_10x']:.0f}x what Ningbo's peak needs"
    )
    print(f"check: {report['check']}")


def parse(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--lifecycles", type=int, default=4000, help="without the gateway")
    parser.add_argument("--gateway-lifecycles", type=int, default=400, help="with localstripe")
    parser.add_argument("--quick", action="store_true", help="smoke run: 200 + 40 lifecycles")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--stripe-port", type=int, help="localstripe's port (default: a free one)")
    opts = parser.parse_args(argv)
    if opts.quick:
        opts.lifecycles, opts.gateway_lifecycles = 200, 40
    return opts


if __name__ == "__main__":
    sys.exit(main())
