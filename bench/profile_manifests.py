"""cProfile of manifest lifecycles in one process, on the bench database as
`bench.manifests` left it (run that first): new deals are cloned from its template.

    .venv/bin/python -m bench.profile_manifests --lifecycles 50 --sort cumulative
    .venv/bin/python -m bench.profile_manifests --cpu --sort tottime   # CPU time only
    .venv/bin/python -m bench.profile_manifests --statements           # SQL per lifecycle
    .venv/bin/python -m bench.profile_manifests --plain                # CPU ms per lifecycle
"""

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import manifest_world as world  # noqa: E402
from bench.manifests import DEFAULT_URL, STEPS, TimedGateway, _lifecycle, make_app  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lifecycles", type=int, default=50)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--limit", type=int, default=45)
    parser.add_argument("--cpu", action="store_true", help="CPU time, not wall time")
    parser.add_argument("--statements", action="store_true", help="count SQL, no profile")
    parser.add_argument("--plain", action="store_true", help="no profiler: CPU and wall time")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    opts = parser.parse_args(argv)
    from market.accounts.models import User
    from market.deals.models import Deal
    from market.extensions import db
    from market.manifests import services as svc

    app = make_app(opts.database_url, "http://127.0.0.1:9")
    with app.app_context():
        template = db.session.scalar(db.select(db.func.min(Deal.id)))
        deal = db.session.get(Deal, template)
        cast = world.Cast(deal.generator.users[0].id, deal.recycler.users[0].id,
                          *_transporter(db, User))  # fmt: skip
    ids = world.clone_deals(app, template, opts.lifecycles)
    with app.app_context():
        app.extensions["payments"] = TimedGateway(world.NullGateway())
        users = {role: db.session.get(User, getattr(cast, f"{role}_user"))
                 for role in ("generator", "recycler", "transporter")}  # fmt: skip
        times = {step: [] for step in (*STEPS, "lifecycle")}
        if opts.statements:
            return _count_statements(db, svc, users, cast, ids, times)
        if opts.plain:
            return _plain(db, svc, users, cast, ids, times)
        profile = cProfile.Profile(time.process_time) if opts.cpu else cProfile.Profile()
        profile.enable()
        for deal_id in ids:
            _lifecycle(svc, db, users, cast, deal_id, times)
        profile.disable()
    pstats.Stats(profile).sort_stats(opts.sort).print_stats(opts.limit)


def _plain(db, svc, users, cast, ids, times) -> None:
    """This process's CPU time and the wall time per lifecycle, without a profiler's cost."""
    cpu, wall = time.process_time(), time.perf_counter()
    for deal_id in ids:
        _lifecycle(svc, db, users, cast, deal_id, times)
    n = len(ids)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{n} lifecycles: {1000 * cpu / n:.1f} ms CPU (this process), "
          f"{1000 * wall / n:.1f} ms wall per lifecycle")  # fmt: skip


def _count_statements(db, svc, users, cast, ids, times) -> None:
    """SQL statements and commits per lifecycle, by kind (an engine event listener)."""
    from collections import Counter

    from sqlalchemy import event

    kinds: Counter = Counter()

    def statement(conn, cursor, sql, params, context, executemany):
        words = sql.split()
        verb = words[0]
        table = {"INSERT": words[2], "UPDATE": words[1]}.get(verb)
        if table is None:  # SELECT: the first table after FROM
            table = words[words.index("FROM") + 1] if "FROM" in words else "-"
        kinds[f"{verb} {table}"] += 1

    def commit(conn):
        kinds["COMMIT"] += 1

    def checkout(dbapi_connection, record, proxy):
        kinds["CHECKOUT"] += 1  # with pool_pre_ping, one more round trip each

    from market.manifests import checks

    engines = [db.engine]
    if db.engine.dialect.name == "postgresql":  # serials: their own autocommit engine
        engines.append(checks._allocator())
    for engine in engines:
        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "commit", commit)
        event.listen(engine.pool, "checkout", checkout)
    for deal_id in ids:
        _lifecycle(svc, db, users, cast, deal_id, times)
    n = len(ids)
    for kind, count in kinds.most_common():
        print(f"{count / n:5.1f}  {kind}")
    total = sum(c for k, c in kinds.items() if k not in ("COMMIT", "CHECKOUT"))
    print(f"{total / n:5.1f}  statements per lifecycle, {kinds['COMMIT'] / n:.1f} commits, "
          f"{kinds['CHECKOUT'] / n:.1f} pool checkouts")  # fmt: skip


def _transporter(db, User):
    user = db.session.execute(
        db.select(User).filter_by(email="transporter@bench.test")
    ).scalar_one()
    return user.id, user.enterprise_id


if __name__ == "__main__":
    main()
