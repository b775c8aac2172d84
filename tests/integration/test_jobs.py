"""The production profile's job queue, scheduler and rate limits on Redis: the scheduler
queues scripts/scheduler.sh's commands once per round, a worker runs them in the app,
payment retries go one job per payment, and the login limit is counted in Redis so
every process shares it."""

import subprocess
from datetime import timedelta

import pytest
from flask import current_app
from limits.storage import MemoryStorage, RedisStorage
from rq.job import JobStatus
from sqlalchemy import update

from market import clock, jobs
from market.config import ROOT
from market.deals import payments
from market.deals.gateway import StripeGateway
from market.deals.models import Payment
from market.extensions import db, limiter
from market.listings.models import SupplyListing
from market.listings.states import ListingStatus
from tests import factories
from tests.conftest import csrf_token
from tests.redis_support import redis_configured, redis_url_or_skip

SCHEDULER_SH = ROOT / "scripts" / "scheduler.sh"


def _bash_commands(path=SCHEDULER_SH) -> list[str]:
    """What bash itself makes of the COMMANDS array (the demo scheduler's reading): the
    script's lines from COMMANDS=( up to its first function, evaluated by bash."""
    lines = f"sed -n '/^COMMANDS=(/,/^[a-z_]*() {{/p' {path} | sed '$ d'"
    script = f'eval "$({lines})"; printf "%s\\n" "${{COMMANDS[@]}}"'
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def test_the_scheduled_commands_are_scheduler_sh_s_list_as_bash_reads_it():
    commands = jobs.scheduled_commands()
    assert commands == _bash_commands()
    assert {"bids close-due", "listings expire", "payments retry", "manifests overdue"} <= set(
        commands
    )


def test_a_list_over_several_lines_with_comments_is_read_as_bash_reads_it(tmp_path):
    script = tmp_path / "scheduler.sh"
    script.write_text(
        'EVERY=60\nCOMMANDS=(\n  "bids close-due"  # every minute (deadlines)\n'
        "  'credit expire'\n  warnings\\ scan \"odd)\"\n)\nround() { :; }\n",
        encoding="utf-8",
    )
    expected = ["bids close-due", "credit expire", "warnings scan", "odd)"]
    assert _bash_commands(script) == expected
    assert jobs.scheduled_commands(script) == expected


def _queued(q) -> list[str]:
    return [job.args[0] for job in q.get_jobs()]


def test_the_scheduler_queues_every_command_once_per_round(app, redis_on):
    every = app.config["SCHEDULER_SECONDS"]
    q = jobs.queue()
    assert jobs.schedule_round(now=1000 * every) == jobs.scheduled_commands()
    assert _queued(q) == jobs.scheduled_commands()
    # A second scheduler in the same round (another machine) queues nothing.
    assert jobs.schedule_round(now=1000 * every + 1) == []
    # The next round: the commands still waiting are not queued twice.
    assert jobs.schedule_round(now=1001 * every) == []
    assert len(q) == len(jobs.scheduled_commands())


def _worker():
    worker = jobs.AppWorker([jobs.queue()], connection=jobs.redis_client())
    worker.app = current_app._get_current_object()
    return worker


def _past_due_lot(world) -> int:
    lot = factories.supply(world.generator)
    db.session.execute(
        update(SupplyListing)
        .where(SupplyListing.id == lot.id)
        .values(
            available_from=clock.today() - timedelta(days=5),
            available_until=clock.today() - timedelta(days=1),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return lot.id


def test_a_worker_runs_a_queued_command_in_the_app(app, world, redis_on):
    lot_id = _past_due_lot(world)
    job = jobs.enqueue_once(jobs.job_id("command", "listings expire"), jobs.RUN, "listings expire")
    assert _worker().work(burst=True)
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == "1 listings expired."
    db.session.expire_all()
    assert db.session.get(SupplyListing, lot_id).status == ListingStatus.EXPIRED


def test_a_scheduled_round_runs_through_the_worker_and_queues_again_after(app, world, redis_on):
    lot_id = _past_due_lot(world)
    every = app.config["SCHEDULER_SECONDS"]
    assert jobs.schedule_round(now=2000 * every)
    _worker().work(burst=True)
    db.session.expire_all()
    assert db.session.get(SupplyListing, lot_id).status == ListingStatus.EXPIRED
    assert len(jobs.queue().finished_job_registry) == len(jobs.scheduled_commands())
    # Done, so the next round queues them all again.
    assert jobs.schedule_round(now=2001 * every) == jobs.scheduled_commands()


def test_a_failing_command_fails_its_job_not_the_worker(app, redis_on):
    job = jobs.enqueue_once(jobs.job_id("command", "no-such"), jobs.RUN, "no-such command")
    _worker().work(burst=True)
    job.refresh()
    assert job.get_status() == JobStatus.FAILED
    assert "No such command" in job.latest_result().exc_string


def _pending_payment(app, world) -> Payment:
    """A deal made while the gateway was down: its payment waits, pending."""
    from tests.integration.test_deals_payments import make_deal

    lot = factories.steel_lot(world.generator)
    db.session.commit()
    real = app.extensions["payments"]
    app.extensions["payments"] = StripeGateway("sk_test_x", "http://127.0.0.1:9", timeout=1)
    try:
        deal = make_deal(world, lot)
    finally:
        app.extensions["payments"] = real
    assert deal.payment.status == "pending"
    return deal.payment


def test_payment_retries_go_one_job_per_payment_and_the_worker_authorises(app, world, redis_on):
    payment = _pending_payment(app, world)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["payments", "retry"])
    assert result.exit_code == 0 and "Queued 1 of 1 pending payments." in result.output
    # Queued again before a worker took it: not twice.
    assert "Queued 0 of 1" in runner.invoke(args=["payments", "retry"]).output
    (job,) = jobs.queue().get_jobs()
    assert job.func_name == "market.deals.payments.retry_one" and job.args == (payment.id,)
    _worker().work(burst=True)
    assert job.return_value() == "authorised"
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "authorised"
    assert payments.pending_ids() == []


def test_without_redis_payment_retries_run_inline(app, world):
    payment = _pending_payment(app, world)
    result = app.test_cli_runner().invoke(args=["payments", "retry"])
    assert result.exit_code == 0 and result.output.strip() == "authorised: 1"
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "authorised"


def test_worker_and_scheduler_refuse_to_start_without_redis(app, ctx):
    runner = app.test_cli_runner()
    for args in (["jobs", "worker", "--burst"], ["jobs", "scheduler", "--once"]):
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and "MARKET_REDIS_URL is not set" in result.output


@pytest.fixture()
def limits_in_redis(app, ctx):
    """The limiter as a process with MARKET_REDIS_URL set makes it; back to memory after."""
    url = redis_url_or_skip()
    saved = {k: app.config[k] for k in ("RATELIMIT_STORAGE_URI", "LOGIN_RATE_LIMIT")}
    with redis_configured(app, url) as client:
        app.config.update(RATELIMIT_STORAGE_URI=url, LOGIN_RATE_LIMIT="2 per minute")
        limiter.init_app(app)
        try:
            yield client
        finally:
            limiter.reset()
            app.config.update(saved)
            limiter.init_app(app)


def _attempt(client):
    data = {"email": "nobody@example.com", "password": "x", "csrf_token": csrf_token(client)}
    return client.post("/login", data=data).status_code


def test_the_login_limit_is_counted_in_redis_and_shared_by_every_process(
    app, limits_in_redis, client
):
    assert isinstance(limiter.storage, RedisStorage)
    before = set(limits_in_redis.scan_iter("LIMITS*"))
    assert 429 not in [_attempt(client), _attempt(client)]  # refused as wrong, not as too many
    assert [k for k in limits_in_redis.scan_iter("LIMITS*") if k not in before]
    limiter.init_app(app)  # as another process would: a new storage object, the same Redis
    assert _attempt(client) == 429


def test_without_redis_the_limits_are_kept_in_memory(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert isinstance(limiter.storage, MemoryStorage)


@pytest.mark.parametrize("missing", ["DATABASE_URL", "MARKET_REDIS_URL", "MARKET_SECRET_KEY"])
def test_the_production_command_refuses_to_start_without_its_settings(missing, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "MARKET_REDIS_URL": "redis://127.0.0.1:1/0",
        "MARKET_SECRET_KEY": "x" * 40,
    }
    del env[missing]
    script = ROOT / "scripts" / "production.sh"
    done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
    assert done.returncode != 0 and f"{missing}: set {missing}" in done.stderr
