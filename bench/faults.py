"""The fault run: the production profile (scripts/production.sh: gunicorn, an RQ worker,
the scheduler) on its own PostgreSQL database, Redis and localstripe, under a stream of
mixed requests, while PostgreSQL itself is RESTARTED.

Which server is restarted (`--pg`):
- `private` (the default): a PostgreSQL server of its own, made with the machine's
  PostgreSQL binaries (initdb, as the postgres user) in /tmp and listening on
  127.0.0.1:--pg-port (6601); `pg_ctl restart -m fast` restarts it. The same server
  program and the same restart as the shared one, and nobody else's work is touched.
!!! `shared`: the machine's own cluster (`pg_ctlcluster … main restart`): every other
!!! connection to it — other test runs, other benchmarks — is cut for a few seconds. Run
!!! it only when nobody else needs the server.
`--no-restart` runs the same stream without any restart (a dry run of everything else).

The stream (clients retry a 503 or a dropped connection, as a browser's user would):
- readers: the trading hall page, /api/v1/me, /api/v1/deals, /readyz;
- a dealer: accepts prepared bids one by one (POST /api/v1/bids/<id>/accept; a retry
  answered 409 means the earlier try had made the deal);
- a manifest clerk: start, pickup, receipt for prepared deals, over the API (a start
  carries an Idempotency-Key: sent again after a lost answer, it is answered 200 with the
  manifest the earlier try made).

Afterwards, with the scheduler's `payments retry` given time to finish what the restart
left pending, it checks: deals and manifests in the database are exactly those the
clients were told of; each deal has one payment; each payment with an intent has exactly
one PaymentIntent at localstripe with its key, and localstripe holds no other; no
payment is left pending; `flask manifests verify` passes; no 500 was answered; and all
processes of the profile still run. Figures: requests, errors by kind, the restart's
length and the time from its start to the first good answer after the last failure.

    .venv/bin/python -m bench.faults                 # private server on 6601; ports 5601/7601/6602
    .venv/bin/python -m bench.faults --pg shared     # RESTARTS THE MACHINE'S POSTGRESQL
    .venv/bin/python -m bench.faults --no-restart    # everything but the restart
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql")
SHARED_PG = "postgresql://postgres@127.0.0.1:5432"
PG = SHARED_PG  # the server's URL without a database; main() sets it


def pg_tool(name: str) -> str:
    versions = sorted(os.listdir("/etc/postgresql"))
    return str(PG_BIN / versions[-1] / "bin" / name)


class PrivatePostgres:
    """A throwaway PostgreSQL server in /tmp, run as the postgres user (initdb refuses
    root), trust authentication on 127.0.0.1 only."""

    def __init__(self, port: int):
        self.port = port
        self.dir = Path(f"/tmp/faults-pg-{port}")
        self.url = f"postgresql://postgres@127.0.0.1:{port}"

    def _as_postgres(self, *args) -> None:
        sh("runuser", "-u", "postgres", "--", *args)

    def start(self) -> "PrivatePostgres":
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir()
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(pg_tool("initdb"), "-D", str(self.dir / "data"), "-A", "trust",
                          "-U", "postgres", "-E", "UTF8", "--locale", "C.UTF-8")  # fmt: skip
        self._ctl("start")
        return self

    def _ctl(self, action: str) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir}"
        data, log = str(self.dir / "data"), str(self.dir / "log")
        self._as_postgres(pg_tool("pg_ctl"), "-D", data, "-l", log, "-o", options, "-w",
                          "-m", "fast", action)  # fmt: skip

    def restart(self) -> None:
        self._ctl("restart")

    def stop(self) -> None:
        try:
            self._ctl("stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def sh(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


class Log:
    """Every answer the clients saw, with its time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows: list[tuple[float, str, str]] = []  # (time, kind, outcome)

    def add(self, kind: str, outcome: str) -> None:
        with self.lock:
            self.rows.append((time.monotonic(), kind, outcome))


def call(session, log, kind, method, url, ok=(200, 201, 302), settle=(), **kw):
    """One request, retried on 503 and dropped connections until it is answered `ok` or
    `settle` (e.g. 409: an earlier try went through); the final response."""
    for _ in range(200):
        try:
            response = session.request(method, url, timeout=15, allow_redirects=False, **kw)
        except requests.RequestException as exc:
            log.add(kind, f"conn:{type(exc).__name__}")
            time.sleep(0.25)
            continue
        outcome = str(response.status_code)
        log.add(kind, outcome)
        if response.status_code in ok or response.status_code in settle:
            return response
        if response.status_code == 503:
            body = response.text
            assert "Traceback" not in body
            time.sleep(0.25)
            continue
        return response  # anything else is reported as it is
    raise RuntimeError(f"{kind}: no answer after 200 tries")


def prepare(args) -> dict:
    """A fresh database with a cast, N lots each with a bid, M deals ready for manifests,
    and API tokens; run in this process (the app's services)."""
    os.environ["DATABASE_URL"] = f"{PG}/{args.database}"
    os.environ["MARKET_STRIPE_API_BASE"] = f"http://127.0.0.1:{args.stripe_port}"
    os.environ["MARKET_REDIS_URL"] = ""
    from datetime import timedelta
    from decimal import Decimal

    from bench import manifest_world as world
    from market import clock
    from market.accounts.auth import issue_token
    from market.accounts.models import User
    from market.app import create_app
    from market.extensions import db
    from market.listings import bidding
    from market.listings import services as listings

    app = create_app()
    world.reset(app)
    cast, template = world.build_cast(app)
    with app.app_context():
        generator = db.session.get(User, cast.generator_user)
        recycler = db.session.get(User, cast.recycler_user)
        bids = []
        for i in range(args.lots):
            lot = listings.create_supply(generator, listings.SupplyInput(
                waste_code=world.CODE, title=f"故障测试批次{i}", local_name="废包装桶",
                quantity=Decimal(world.QUANTITY_KG) / 1000, available_from=clock.today(),
                available_until=clock.today() + timedelta(60),
                asking_price_yuan=world.PRICE_YUAN))  # fmt: skip
            listings.publish(generator, lot)
            db.session.commit()
            tonnes = Decimal(world.QUANTITY_KG) / 1000
            offer = bidding.BidInput(price_yuan=world.PRICE_YUAN, quantity_t=tonnes)
            bid = bidding.place_bid(recycler, lot.id, offer)
            db.session.commit()
            bids.append(bid.id)
        tokens = {}
        for role, uid in (("generator", cast.generator_user), ("recycler", cast.recycler_user),
                          ("transporter", cast.transporter_user)):  # fmt: skip
            _row, tokens[role] = issue_token(db.session.get(User, uid), "faults")
        db.session.commit()
    deals = world.clone_deals(
        app, template, args.manifests, world.stripe_authoriser(app, _payer(app, template))
    )
    with app.app_context():
        db.engine.dispose()
    return {"bids": bids, "deals": deals, "tokens": tokens, "transporter": cast.transporter}


def _payer(app, deal_id: int) -> int:
    from market.deals.models import Deal
    from market.extensions import db

    with app.app_context():
        return db.session.get(Deal, deal_id).recycler_id


def start_profile(args, env) -> subprocess.Popen:
    proc = subprocess.Popen(
        ["bash", "scripts/production.sh"],
        cwd=ROOT,
        env=env,
        stdout=open(args.logdir / "profile.out", "w"),  # noqa: SIM115
        stderr=open(args.logdir / "profile.err", "w"),  # noqa: SIM115
        start_new_session=True,
    )
    deadline = time.monotonic() + 400  # it pip-installs first; slow on a busy machine
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{args.base}/readyz", timeout=2).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"production.sh exited ({proc.returncode}); see {args.logdir}")
        time.sleep(0.5)
    raise RuntimeError("the profile did not become ready")


def readers(args, log, stop, tokens):
    s = requests.Session()
    api = {"Authorization": f"Bearer {tokens['recycler']}", "Accept-Language": "en"}
    paths = [("GET", "/listings/", {}), ("GET", "/api/v1/me", {"headers": api}),
             ("GET", "/api/v1/deals", {"headers": api}), ("GET", "/healthz", {})]  # fmt: skip
    i = 0
    while not stop.is_set():
        method, path, kw = paths[i % len(paths)]
        call(s, log, "read", method, args.base + path, **kw)
        i += 1


def dealer(args, log, stop, plan, made):
    s = requests.Session()
    api = {"Authorization": f"Bearer {plan['tokens']['generator']}"}
    for bid in plan["bids"]:
        if stop.is_set():
            return
        r = call(s, log, "accept", "POST", f"{args.base}/api/v1/bids/{bid}/accept",
                 ok=(200, 201), settle=(409,), headers=api)  # fmt: skip
        made.append((bid, r.status_code))
        time.sleep(args.pause)


def clerk(args, log, stop, plan, manifests):
    s = requests.Session()
    auth = {role: {"Authorization": f"Bearer {t}"} for role, t in plan["tokens"].items()}
    for deal in plan["deals"]:
        if stop.is_set():
            return
        body = {"declared_kg": 5_000, "transporter_id": plan["transporter"]}
        # one key per trip: a start sent again after a lost answer finds the manifest it made
        headers = {**auth["generator"], "Idempotency-Key": f"faults-{deal}-{uuid.uuid4().hex}"}
        manifest_id = None
        for _ in range(200):
            try:
                r = s.post(f"{args.base}/api/v1/deals/{deal}/manifests", json=body,
                           headers=headers, timeout=15)  # fmt: skip
            except requests.RequestException as exc:
                log.add("manifest", f"conn:{type(exc).__name__}")
                r = None
            if r is not None:
                log.add("manifest", str(r.status_code))
                if r.status_code in (200, 201):  # 200: an earlier try had gone through
                    manifest_id = r.json()["id"]
                    break
                if r.status_code != 503:
                    raise RuntimeError(f"start on deal {deal}: {r.status_code} {r.text[:300]}")
            time.sleep(0.25)  # the answer lost or refused: the same start again
        manifests.append((deal, manifest_id))
        pickup = {"plate": "浙B12345", "driver_name": "李师傅", "driver_phone": "13912345678"}
        call(s, log, "manifest", "POST", f"{args.base}/api/v1/manifests/{manifest_id}/pickup",
             ok=(200,), settle=(409,), json=pickup, headers=auth["transporter"])  # fmt: skip
        receipt = {"received_kg": 4_900, "treatment": "utilise", "treatment_method": "再生利用"}
        call(s, log, "manifest", "POST", f"{args.base}/api/v1/manifests/{manifest_id}/receipt",
             ok=(200,), settle=(409,), json=receipt, headers=auth["recycler"])  # fmt: skip
        time.sleep(args.pause)


def wait_for_pending(database: str, limit: float) -> float | None:
    """Seconds until no payment is pending (None: still some after `limit`)."""
    import psycopg

    started = time.monotonic()
    time.sleep(6)  # at least one scheduler round after the load
    while time.monotonic() - started < limit:
        try:
            with psycopg.connect(f"{PG}/{database}") as conn:
                sql = "SELECT count(*) FROM payments WHERE status = 'pending'"
                if conn.execute(sql).fetchone()[0] == 0:
                    return round(time.monotonic() - started, 1)
        except psycopg.OperationalError:
            pass
        time.sleep(2)
    return None


def restart_postgres(private: "PrivatePostgres | None") -> float:
    started = time.monotonic()
    if private is not None:
        private.restart()
    else:
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        sh("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart")
    return time.monotonic() - started


def check(args, env, plan, made, manifests) -> dict:
    """Rows against what the clients were told and against localstripe's intents."""
    import psycopg

    with psycopg.connect(f"{PG}/{args.database}") as conn:
        q = lambda sql: conn.execute(sql).fetchall()  # noqa: E731
        deals = q("SELECT id, bid_id FROM deals")
        payments = q("SELECT deal_id, idempotency_key, intent_id, status FROM payments")
        mrows = q("SELECT id, deal_id, status FROM manifests")
    accepted_bids = {b for b, _ in made}
    deal_bids = {b for _, b in deals}
    by_key = intents_by_key(f"http://127.0.0.1:{args.stripe_port}")
    per_deal = Counter(d for d, *_ in payments)
    result = {
        "accepts_answered": len(made),
        "deals_from_accepts": len(deal_bids & accepted_bids),
        "deals_not_told_of": len(deal_bids - accepted_bids - _prepared_bids(deals, plan)),
        "accepts_without_deal": len(accepted_bids - deal_bids),
        "deals_with_not_one_payment": sum(1 for d, _ in deals if per_deal[d] != 1),
        "payments": len(payments),
        "payments_pending": sum(1 for *_, s in payments if s == "pending"),
        "intents": sum(len(v) for v in by_key.values()),
        "intents_duplicated": sum(1 for v in by_key.values() if len(v) > 1),
        "intents_without_row": len(set(by_key) - {k for _, k, *_ in payments}),
        "payments_intent_mismatch": sum(
            1 for _, k, i, _s in payments if i and [x["id"] for x in by_key.get(k, [])] != [i]
        ),
        "manifests_told": len(manifests),
        "manifests_in_db": len(mrows),
        "manifests_duplicated": len(mrows) - len({d for _, d, _ in mrows}),
        "manifests_closed": sum(1 for *_, s in mrows if s == "closed"),
    }
    verify = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "manifests", "verify"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    result["manifests_verify"] = (verify.stdout + verify.stderr).strip().splitlines()[-1:]
    result["manifests_verify_ok"] = verify.returncode == 0
    return result


def intents_by_key(stripe_url: str) -> dict[str, list[dict]]:
    """Every PaymentIntent localstripe holds, by the payment key in its metadata."""
    from market.deals.gateway import StripeGateway

    client = StripeGateway("sk_test_faults", stripe_url).client
    found: dict[str, list[dict]] = {}
    params: dict = {"limit": 100}
    while True:
        page = client.v1.payment_intents.list(params=params)
        for obj in page.data:
            intent = obj.to_dict()
            found.setdefault(intent["metadata"].get("payment_key"), []).append(intent)
        if not page.has_more or not page.data:
            return found
        params["starting_after"] = page.data[-1].id


def _prepared_bids(deals, plan) -> set:
    """The bids of the deals made in preparation (the template and its clones)."""
    prepared = set(plan["deals"])
    return {b for d, b in deals if d in prepared or d < min(prepared)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="faults_bench")
    parser.add_argument("--pg", choices=("private", "shared"), default="private")
    parser.add_argument("--pg-port", type=int, default=6601, help="the private server's")
    parser.add_argument("--port", type=int, default=5601)
    parser.add_argument("--stripe-port", type=int, default=7601)
    parser.add_argument("--redis-port", type=int, default=6602)
    parser.add_argument("--lots", type=int, default=80)
    parser.add_argument("--manifests", type=int, default=40)
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0.15, help="between a writer's steps")
    parser.add_argument("--restart-after", type=float, default=8.0, help="seconds into the load")
    parser.add_argument("--after", type=float, default=12.0, help="load after the restart")
    parser.add_argument("--no-restart", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.base = f"http://127.0.0.1:{args.port}"
    args.logdir = ROOT / "instance" / "faults-run"
    args.logdir.mkdir(parents=True, exist_ok=True)
    print("uptime:", sh("uptime").stdout.strip(), flush=True)
    global PG
    private = PrivatePostgres(args.pg_port).start() if args.pg == "private" else None
    PG = private.url if private else SHARED_PG
    port = str(args.pg_port if private else 5432)
    print(f"PostgreSQL: {args.pg} ({PG}), database {args.database}", flush=True)
    where = ["-h", "127.0.0.1", "-p", port, "-U", "postgres"]
    subprocess.run(["dropdb", *where, "--if-exists", args.database])
    sh("createdb", *where, args.database)
    sys.path.insert(0, str(ROOT))
    from tests.localstripe_server import LocalStripe

    stripe = LocalStripe(args.stripe_port).start()
    redis = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(args.redis_port),
         "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    profile = None
    try:
        plan = prepare(args)
        env = {
            **os.environ,
            "DATABASE_URL": f"{PG}/{args.database}",
            "MARKET_REDIS_URL": f"redis://127.0.0.1:{args.redis_port}/0",
            "MARKET_REDIS_PREFIX": "faults",
            "MARKET_SECRET_KEY": "faults-bench-secret-key-not-for-production",
            "MARKET_STRIPE_API_BASE": f"http://127.0.0.1:{args.stripe_port}",
            "PORT": str(args.port),
            "MARKET_WEB_WORKERS": "2",
            "MARKET_JOB_WORKERS": "1",
            "MARKET_SCHEDULER_SECONDS": "5",
            "MARKET_LOGIN_RATE_LIMIT": "1000 per minute",
            "FLASK_APP": "wsgi",
        }
        profile = start_profile(args, env)
        print(f"profile ready: {args.base} (logs in {args.logdir})", flush=True)
        log, stop, made, manifests = Log(), threading.Event(), [], []
        threads = [threading.Thread(target=readers, args=(args, log, stop, plan["tokens"]))
                   for _ in range(args.readers)]  # fmt: skip
        threads.append(threading.Thread(target=dealer, args=(args, log, stop, plan, made)))
        threads.append(threading.Thread(target=clerk, args=(args, log, stop, plan, manifests)))
        began = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(args.restart_after)
        restart_at = time.monotonic()
        restart_s = None
        if not args.no_restart:
            print("restarting PostgreSQL …", flush=True)
            restart_s = restart_postgres(private)
            print(f"PostgreSQL restarted in {restart_s:.2f} s", flush=True)
        time.sleep(args.after)
        stop.set()
        for t in threads:
            t.join(120)
        ended = time.monotonic()
        # The scheduler (every 5 s) queues `payments retry`: let it finish what is
        # pending. A payment whose attempt the restart cut keeps its lease (LEASE, 120 s)
        # — another worker might still be at the gateway with it — so this can take two
        # minutes; it must end by itself.
        pending_s = wait_for_pending(args.database, limit=200)
        alive = profile.poll() is None
        rows = log.rows
        failures = [r for r in rows if not r[2].startswith(("2", "3", "409"))]
        after = [r for r in rows if r[0] >= restart_at]
        last_fail = max((r[0] for r in failures), default=None)
        recovered = (
            min((r[0] for r in after if r[0] > last_fail and r[2].startswith("2")), default=None)
            if last_fail
            else None
        )
        figures = {
            "requests": len(rows),
            "seconds": round(ended - began, 1),
            "by_outcome": dict(Counter(o for _, _, o in rows)),
            "errors": len(failures),
            "http_500": sum(1 for r in rows if r[2] == "500"),
            "restart_seconds": round(restart_s, 2) if restart_s else None,
            "first_error_after_restart_start_s": round(min(r[0] for r in failures) - restart_at, 2)
            if failures
            else None,
            "recovered_after_restart_start_s": round(recovered - restart_at, 2)
            if recovered
            else None,
            "profile_processes_alive": alive,
            "pending_payments_done_after_load_s": pending_s,
            "postgres": "restarted" if restart_s else "not restarted",
            "server": args.pg,
        }
        figures.update(check(args, env, plan, made, manifests))
        print("uptime:", sh("uptime").stdout.strip())
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
        bad = [
            figures["http_500"],
            figures["accepts_without_deal"],
            figures["deals_not_told_of"],
            figures["deals_with_not_one_payment"],
            figures["payments_pending"],
            figures["intents_duplicated"],
            figures["intents_without_row"],
            figures["payments_intent_mismatch"],
            figures["manifests_duplicated"],
            figures["manifests_in_db"] - figures["manifests_told"],
            0 if figures["manifests_verify_ok"] else 1,
            0 if alive else 1,
        ]
        print("RESULT:", "PASS" if not any(bad) else "FAIL")
        return 0 if not any(bad) else 1
    finally:
        if profile is not None and profile.poll() is None:
            os.killpg(profile.pid, signal.SIGTERM)
            try:
                profile.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(profile.pid, signal.SIGKILL)
        redis.terminate()
        redis.wait(5)
        stripe.stop()
        if private is not None:
            private.stop()


if __name__ == "__main__":
    sys.exit(main())
