"""cProfile of manifest lifecycles in one process, on the bench database as
`bench.manifests` left it (run that first): new deals are cloned from its template.

    .venv/bin/python -m bench.profile_manifests --lifecycles 50 --sort cumulative
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
        profile = cProfile.Profile(time.process_time) if opts.cpu else cProfile.Profile()
        profile.enable()
        for deal_id in ids:
            _lifecycle(svc, db, users, cast, deal_id, times)
        profile.disable()
    pstats.Stats(profile).sort_stats(opts.sort).print_stats(opts.limit)


def _transporter(db, User):
    user = db.session.execute(
        db.select(User).filter_by(email="transporter@bench.test")
    ).scalar_one()
    return user.id, user.enterprise_id


if __name__ == "__main__":
    main()
