"""The job queue (RQ on Redis) and the production scheduler: `flask jobs worker` runs
queued jobs, `flask jobs scheduler` queues the scheduled commands every
MARKET_SCHEDULER_SECONDS. The scheduled commands are the ones scripts/scheduler.sh lists
in COMMANDS (the demo's loop without Redis): one list for both profiles.

Without Redis there is no queue: `enabled()` is false and callers do the work inline.
"""

import contextlib
import io
import logging
import re
import shlex
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.job import JobStatus

from market.config import ROOT
from market.extensions import redis_client, redis_key

log = logging.getLogger(__name__)
SCHEDULE_FILE = ROOT / "scripts" / "scheduler.sh"
COMMANDS = re.compile(r"^COMMANDS=\(", re.MULTILINE)
WAITING = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}
COMMAND_TIMEOUT = 300  # seconds, as scheduler.sh's `timeout 300`
RUN = "market.jobs.run_command"

jobs_cli = AppGroup("jobs", help="The job queue and the scheduler (production profile).")


def scheduled_commands(path=SCHEDULE_FILE) -> list[str]:
    """The COMMANDS array of scripts/scheduler.sh, each entry as its words ("bids close-due"),
    read as bash reads it: quotes, escapes, comments (a `)` inside one too), several lines."""
    found = COMMANDS.search(path.read_text(encoding="utf-8"))
    if found is None:
        raise RuntimeError(f"no COMMANDS=( in {path}")
    lexer = shlex.shlex(found.string[found.end() :], posix=True, punctuation_chars="()")
    entries = []
    for token in lexer:
        if token == ")":
            return entries
        entries.append(token)
    raise RuntimeError(f"COMMANDS=( in {path} is not closed")


def enabled() -> bool:
    return redis_client() is not None


def queue() -> Queue:
    return Queue(current_app.config["REDIS_PREFIX"], connection=redis_client())


def job_id(*parts: object) -> str:
    """A job's id under this deployment's prefix, in the letters RQ accepts in one."""
    words = "-".join(map(str, [current_app.config["REDIS_PREFIX"], *parts]))
    return re.sub(r"[^A-Za-z0-9_-]+", "_", words)


def enqueue_once(key: str, func: str, *args, timeout: int = COMMAND_TIMEOUT):
    """Queue a job unless the one with this id still waits or runs (a slow round or a
    gateway outage does not pile up copies); the job, or None when one is still there."""
    q = queue()
    existing = q.fetch_job(key)
    if existing is not None and existing.get_status(refresh=False) in WAITING:
        return None
    return q.enqueue(
        func, *args, job_id=key, job_timeout=timeout, result_ttl=3600, failure_ttl=7 * 86400
    )


def run_command(words: str) -> str:
    """A job: one `flask …` command in the worker's app, its output as the result."""
    app = current_app._get_current_object()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        app.cli.main(
            args=shlex.split(words),
            prog_name="flask",
            standalone_mode=False,
            obj=ScriptInfo(create_app=lambda: app),
        )
    result = out.getvalue().strip()
    log.info("flask %s: %s", words, result, extra={"command": words})
    return result


def schedule_round(now: float | None = None) -> list[str]:
    """Queue every scheduled command once for this round; the commands queued. However
    many schedulers run, one round's slot is taken once (SET NX), so each command is
    queued once per interval."""
    every = current_app.config["SCHEDULER_SECONDS"]
    slot = int((time.time() if now is None else now) // every)
    taken = redis_client().set(redis_key("scheduler", slot), 1, nx=True, ex=int(every * 2) + 1)
    if not taken:
        return []
    return [
        words
        for words in scheduled_commands()
        if enqueue_once(job_id("command", words), RUN, words)
    ]


class AppWorker(SimpleWorker):
    """Runs each job in the worker process itself (no fork per job: the app, its
    connection pool and the PDF fonts are made once) inside a fresh app context, so a
    job's database session is its own and is removed when it ends."""

    app: Flask

    def execute_job(self, job, queue):
        with self.app.app_context():
            return super().execute_job(job, queue)


def _require_redis():
    if not enabled():
        raise click.ClickException(
            "MARKET_REDIS_URL is not set: without Redis, scripts/scheduler.sh runs the "
            "scheduled commands (bash run.sh starts it)."
        )


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run what is queued, then stop.")
def worker_command(burst: bool) -> None:
    """Run queued jobs (several workers may run on any number of machines)."""
    _require_redis()
    worker = AppWorker([queue()], connection=redis_client())
    worker.app = current_app._get_current_object()
    worker.work(burst=burst, with_scheduler=False)


@jobs_cli.command("scheduler")
@click.option("--once", is_flag=True, help="Queue one round, then stop.")
def scheduler_command(once: bool) -> None:
    """Queue the scheduled commands (scripts/scheduler.sh's COMMANDS) every
    MARKET_SCHEDULER_SECONDS."""
    _require_redis()
    if once:
        try:
            queued = schedule_round()
        except RedisError as exc:
            raise click.ClickException(f"Redis unavailable, nothing queued: {exc}") from None
        click.echo(f"Queued: {', '.join(queued) or 'nothing'}.")
        return
    every = current_app.config["SCHEDULER_SECONDS"]
    while True:
        try:
            queued = schedule_round()
        except RedisError as exc:  # Redis restarting: try again next round, do not exit
            log.warning("scheduler: Redis unavailable, round skipped: %s", exc)
        else:
            log.info("scheduler queued: %s", ", ".join(queued) or "nothing")
        time.sleep(every - time.time() % every)


@jobs_cli.command("commands")
def commands_command() -> None:
    """List the scheduled commands."""
    for words in scheduled_commands():
        click.echo(words)
