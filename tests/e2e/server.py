"""The app in a real server for the browser tests: `python -m tests.e2e.server PORT DB STRIPE`.

A fresh SQLite file, migrations applied, the test catalogue (parks "north" and "east"),
two park administrators of "north" (the two-person rule for credit grades) and a
transporter, then werkzeug's threaded server. Its own process: the matching index and
the rate limiter are process-wide, and the suite's own app must not share them.
Prints READY when it serves.
"""

import os
import sys
from decimal import Decimal


def main(port: int, db_path: str, stripe_url: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["MARKET_STRIPE_API_BASE"] = stripe_url
    os.environ["MARKET_REDIS_URL"] = ""  # one process: limits in memory, no change notices
    os.environ["MARKET_LOGIN_RATE_LIMIT"] = "1000 per minute"
    os.environ.setdefault("MARKET_SECRET_KEY", "e2e-secret")
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from market.app import create_app
    from market.extensions import db
    from tests import factories

    app = create_app()
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    with app.app_context():
        upgrade()
        factories.base_catalogue()
        north = factories.park("north")
        for email in ("admin1@e2e.example", "admin2@e2e.example"):
            factories.user(admin_of=north, email=email)
        carrier = factories.enterprise(("transporter",), name="顺达危货运输有限公司")
        factories.user(carrier, email="driver@e2e.example")
        # A rival recycler already graded B: it outranks an ungraded newcomer until the
        # newcomer's own grade is published.
        rival = factories.enterprise(("recycler",), name="恒信环保科技有限公司")
        rival_licence = factories.licence(rival, codes=("900-214-08",))
        factories.graded(rival, "B")
        rival_user = factories.user(rival, email="rival@e2e.example")
        factories.demand(
            rival_user,
            waste_codes=["900-214-08"],
            title="常年回收废矿物油",
            service_radius_km=100,
            remaining_capacity_t=Decimal("200"),
            licence_id=rival_licence.id,
        )
        db.session.commit()
    server = make_server("127.0.0.1", port, app, threaded=True)
    print("READY", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
