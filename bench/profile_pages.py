"""Where a page of the load mix spends its time: each page of bench/load/locustfile.py's
mix, requested in-process (Flask's test client, no gunicorn, no network) against the load
world (database bench_load, bench/load/world.json) as a signed-in user of that world.
Prints per page the mean milliseconds, the SQL statements it ran, and with --cpu the
functions that took the most time under cProfile.

    .venv/bin/python -m bench.profile_pages                  # every page, 50 requests each
    .venv/bin/python -m bench.profile_pages --page lot --cpu # one page, with a profile

Run it after `python -m bench.load.run --build` (or `python -m bench.load.world`).
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
SEARCHES = ("HW08", "HW49", "900-041-49", "ISW-17", "废机油", "废包装桶", "边角料", "SW59")


def pages(world: dict, rng: random.Random) -> dict:
    """Page name: (who asks: a lot's owner, a demand's owner or nobody, the next URL)."""
    lot_ids = [lot for lot, _ in world["lots"]]
    own_lot, _ = world["lots"][0]
    demand, _ = world["demands"][0]
    return {
        "hall": ("lot", lambda: "/listings/"),
        "hall_newest": ("lot", lambda: f"/listings/?sort=newest&page={rng.randint(1, 5)}"),
        "search": ("lot", lambda: f"/listings/?code={rng.choice(SEARCHES)}&sort=newest"),
        "demands": ("demand", lambda: "/listings/?kind=demand&sort=newest"),
        "lot": ("demand", lambda: f"/listings/supply/{rng.choice(lot_ids)}"),
        "desk": ("lot", lambda: "/"),
        "suggest": ("lot", lambda: f"/catalog/suggest?q={rng.choice(SEARCHES)}"),
        "match_lot": ("lot", lambda: f"/matching/supply/{own_lot}"),
        "match_demand": ("demand", lambda: f"/matching/demand/{demand}"),
        "public_hall": (None, lambda: f"/listings/?page={rng.randint(1, 3)}"),
        "front": (None, lambda: "/"),
    }


class Statements:
    """Counts the statements the engine runs; prints each with its time while `show`."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count, self.show, self.began = 0, False, 0.0
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)

    def before(self, conn, cursor, statement, *rest):
        self.count += 1
        self.began = time.perf_counter()

    def after(self, conn, cursor, statement, *rest):
        if self.show:
            took = (time.perf_counter() - self.began) * 1000
            print(f"   {took:6.2f} ms", " ".join(statement.split())[:200])


def signed_in(app, world: dict) -> dict:
    """A test client per role: nobody, a lot's owner, a demand's owner."""
    clients = {None: app.test_client()}
    for role, email in (("lot", world["lots"][0][1]), ("demand", world["demands"][0][1])):
        client = clients[role] = app.test_client()
        form = client.get("/login").get_data(as_text=True)
        token = CSRF.search(form).group(1)
        answer = client.post(
            "/login", data={"email": email, "password": world["password"], "csrf_token": token}
        )
        if answer.status_code != 302:
            raise SystemExit(f"login refused for {email}: {answer.status_code}")
    return clients


def measure(name, client, make, statements: Statements, args) -> None:
    for _ in range(3):  # warm: the first request builds caches and the matching index
        client.get(make())
    if args.sql:
        print(f"-- {name}")
        statements.show = True
        client.get(make())
        statements.show = False
    statements.count = 0
    profile = cProfile.Profile() if args.cpu else None
    started = time.perf_counter()
    if profile:
        profile.enable()
    for _ in range(args.requests):
        response = client.get(make())
        if response.status_code != 200:
            raise SystemExit(f"{name}: {response.status_code}")
    if profile:
        profile.disable()
    took = (time.perf_counter() - started) / args.requests * 1000
    print(f"{name:14} {took:7.2f} {statements.count / args.requests:5.1f}", flush=True)
    if profile:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/bench_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--world", default=str(ROOT / "bench" / "load" / "world.json"))
    parser.add_argument("--page", action="append", help="only these pages (repeatable)")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--cpu", action="store_true", help="a cProfile summary per page")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (tottime…)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sql", action="store_true", help="print one request's statements")
    args = parser.parse_args(argv)

    os.environ["DATABASE_URL"] = args.database_url
    os.environ["MARKET_REDIS_URL"] = args.redis_url
    os.environ.setdefault("MARKET_REDIS_PREFIX", "profile")
    os.environ.setdefault("MARKET_LOGIN_RATE_LIMIT", "100000 per minute")
    os.environ.setdefault("MARKET_LOG_FORMAT", "json")
    from market.app import create_app
    from market.extensions import db

    world = json.loads(Path(args.world).read_text())
    app = create_app()
    with app.app_context():
        statements = Statements(db.engine)
        from market.matching import service

        service.warm_in_background(app).join()  # as each gunicorn worker does at start
    clients = signed_in(app, world)
    chosen = pages(world, random.Random(7))
    print(f"{'page':14} {'ms':>7} {'SQL':>5}")
    for name in args.page or list(chosen):
        role, make = chosen[name]
        measure(name, clients[role], make, statements, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
