"""Command-line: flask seed, catalog, listings, users, bids, payments, deals, manifests, credit,
matching, backup."""

import click
from flask import Flask
from flask.cli import AppGroup
from redis.exceptions import RedisError

from market import clock
from market.extensions import db

seed = AppGroup("seed", help="Load demo data.")
catalog = AppGroup("catalog", help="Waste code catalogue editions.")
listings_cli = AppGroup("listings", help="Listing housekeeping.")
users = AppGroup("users", help="Users and API tokens.")
bids_cli = AppGroup("bids", help="Bidding housekeeping.")
payments_cli = AppGroup("payments", help="Payments housekeeping.")
deals_cli = AppGroup("deals", help="Deals.")
manifests_cli = AppGroup("manifests", help="Transfer manifests.")
credit_cli = AppGroup("credit", help="Credit grades (一表分级评价).")
matching_cli = AppGroup("matching", help="Matching outreach.")
warnings_cli = AppGroup("warnings", help="Early warnings (预警).")
backup_cli = AppGroup("backup", help="Back up and restore the database and uploaded files.")
dashboard_cli = AppGroup("dashboard", help="The park dashboard's monthly flow summary.")


@manifests_cli.command("fonts")
@click.option("--quiet", is_flag=True, help="Say nothing when the fonts are already built.")
def fonts(quiet: bool) -> None:
    """Build the static CJK fonts the manifest PDF uses (once per machine; else the first PDF)."""
    from time import perf_counter

    from market.manifests.pdf_font import CACHE, build_cache, cache_key, cache_paths, charset

    ready = all(p.exists() for p in cache_paths(CACHE, cache_key(charset())).values())
    if not ready:
        click.echo("Building the manifest PDF fonts (once per machine, about a minute)…")
    started = perf_counter()
    paths = build_cache()
    if not ready or not quiet:
        took = "" if ready else f" (built in {perf_counter() - started:.0f} s)"
        click.echo(f"Manifest PDF fonts ready{took}: " + ", ".join(p.name for p in paths.values()))


@bids_cli.command("close-due")
def close_due() -> None:
    """Close bidding on lots past their deadline (run every minute by a scheduler)."""
    from market.listings.bidding import close_due_bidding

    count = close_due_bidding()
    db.session.commit()
    click.echo(f"Bidding closed on {count} lots.")


RETRY_JOB = "market.deals.payments.retry_one"


@payments_cli.command("retry")
def retry() -> None:
    """Authorise payments left pending while the gateway was unreachable. With a job queue
    (MARKET_REDIS_URL), one job per payment: workers share them and one slow gateway call
    holds up no other payment."""
    from market import jobs
    from market.deals.payments import pending_ids, retry_pending

    if jobs.enabled():
        ids = pending_ids()
        try:
            queued = [i for i in ids if jobs.enqueue_once(jobs.job_id("payment", i), RETRY_JOB, i)]
        except RedisError as exc:
            # Redis down: the payments are tried here instead (each is leased, so a worker
            # that picks up an already queued job for one of them does not pay it twice).
            click.echo(f"Job queue unavailable ({type(exc).__name__}); retrying here.")
        else:
            click.echo(f"Queued {len(queued)} of {len(ids)} pending payments.")
            return
    counts = retry_pending()
    click.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "Nothing pending.")


@deals_cli.command("settle")
@click.argument("deal_id", type=int)
@click.option("--weighed-kg", type=click.IntRange(min=0), required=True)
def settle(deal_id: int, weighed_kg: int) -> None:
    """Settle a deal on a received quantity: capture it, release the rest, charge a top-up
    beyond the authorisation (for the scheduler and for repairs; manifests do it normally)."""
    from market.deals.services import after_commit_payment, settle_deal
    from market.errors import DomainError

    try:
        deal = settle_deal(deal_id, weighed_kg)
    except DomainError as exc:
        db.session.rollback()  # the deal's move before the refused capture is undone
        raise click.ClickException(exc.message) from None
    db.session.commit()
    after_commit_payment(deal)
    click.echo(f"Deal {deal.id} settled on {weighed_kg} kg.")
    if deal.top_up is not None:
        click.echo(f"Top-up of {deal.top_up.amount_fen} fen: {deal.top_up.status}.")


@manifests_cli.command("verify")
def verify() -> None:
    """Walk every manifest's hash chain; name each whose stored events no longer match."""
    from market.manifests.services import verify_chains

    problems = verify_chains()
    for problem in problems:
        click.echo(f"TAMPERED {problem}")
    if problems:
        raise click.ClickException(f"{len(problems)} manifests fail verification.")
    click.echo("Every manifest chain verifies.")


@manifests_cli.command("overdue")
def overdue() -> None:
    """Flag manifests in transit past their receipt due date (run daily by a scheduler)."""
    from market.manifests.services import mark_overdue

    count = mark_overdue()
    db.session.commit()
    click.echo(f"{count} manifests flagged overdue.")


@seed.command("demo")
@click.option("--seed", "seed_value", default=2026, show_default=True, type=int)
@click.option("--if-empty", is_flag=True, help="Do nothing when demo data already exists.")
def seed_demo_command(seed_value: int, if_empty: bool) -> None:
    """Two demo parks with enterprises, users, licences and listings."""
    from market.demo.builder import DEMO_PASSWORD, has_demo, seed_demo

    if has_demo():
        if if_empty:
            click.echo("Demo data already present.")
            return
        raise click.ClickException("Demo data already present; use a fresh database.")
    builder = seed_demo(seed_value)
    db.session.commit()
    click.echo(f"Demo data loaded (seed {seed_value}). Log in with password {DEMO_PASSWORD}:")
    for account in builder.accounts:
        click.echo(f"  {account.role:17} {account.email:28} {account.enterprise}")
    click.echo(
        "Every demo enterprise also has a user e<enterprise id>@<park>.demo with the same password."
    )
    states = ", ".join(f"{k} {v}" for k, v in sorted(builder.deals.items()))
    click.echo(f"Demo deals by payment state: {states or 'none (is localstripe running?)'}")
    made = ", ".join(f"{k} {v}" for k, v in sorted(builder.manifests.items()))
    click.echo(f"Demo manifests and filings: {made or 'none'}")
    graded = ", ".join(f"{k} {v}" for k, v in sorted(builder.grades.items()))
    click.echo(f"Demo credit grades (through the grading workflow): {graded}")
    click.echo(f"Demo thread messages: {builder.messages}")
    warned = ", ".join(f"{k} {v}" for k, v in sorted(builder.warnings.items()))
    click.echo(f"Demo warnings: {warned}")
    past = ", ".join(f"{k} {v}" for k, v in sorted(builder.history.items()))
    click.echo(f"Demo trade in the months before: {past or 'none'}")


@catalog.command("load-national")
def load_national() -> None:
    """The 2021 hazardous-waste list and the general industrial classes."""
    from market.catalog.loading import load_national_catalogue

    load_national_catalogue()
    db.session.commit()
    click.echo("National catalogue loaded.")


@catalog.command("retire")
@click.argument("scheme")
@click.argument("edition")
@click.option("--park", "park_slug", default=None)
def retire(scheme: str, edition: str, park_slug: str | None) -> None:
    """Retire an edition: its codes stay on old listings but not on new ones."""
    from market.accounts.models import Park
    from market.catalog.models import CodeEdition
    from market.catalog.services import retire_edition

    park_id = None
    if park_slug:
        park = db.session.execute(db.select(Park).filter_by(slug=park_slug)).scalar_one_or_none()
        if park is None:
            raise click.ClickException(f"No park {park_slug}.")
        park_id = park.id
    row = db.session.execute(
        db.select(CodeEdition).filter_by(scheme=scheme.upper(), name=edition, park_id=park_id)
    ).scalar_one_or_none()
    if row is None:
        raise click.ClickException(f"No edition {edition} of {scheme}.")
    retire_edition(row, clock.today())
    db.session.commit()
    click.echo(f"Retired {scheme} {edition}.")


@listings_cli.command("expire")
def expire() -> None:
    """Expire open listings past their end date (run daily by a scheduler)."""
    from market.listings.services import expire_due

    count = expire_due()
    db.session.commit()
    click.echo(f"{count} listings expired.")


@credit_cli.command("expire")
def credit_expire() -> None:
    """Expire grades past their validity and send the reminders before it ends (run daily
    by a scheduler; a grade past its validity already reads as expired before this runs)."""
    from market.credit.services import expire_grades, send_reminders

    expired = expire_grades()
    reminded = send_reminders()
    db.session.commit()
    click.echo(f"{len(expired)} grades expired, {len(reminded)} reminders sent.")


@matching_cli.command("digest")
def digest() -> None:
    """Send each opted-in user one digest of new good matches, once per business day (the
    scheduler runs it every minute; a user's second run of a day sends nothing)."""
    from market.outreach.services import send_digests

    count = send_digests()
    db.session.commit()
    click.echo(f"{count} match digests sent for {clock.today().isoformat()}.")


@warnings_cli.command("run")
@click.option("--park", "park_slug", default=None, help="One park only (its slug).")
def warnings_run(park_slug: str | None) -> None:
    """Run the warning rules: raise a warning once per new cause, close those whose cause
    is gone where the rule says so, escalate answers past their day (run by a scheduler)."""
    from market.accounts.models import Park
    from market.warnings.services import RunCounts, run_all, run_park

    if park_slug:
        park = db.session.execute(db.select(Park).filter_by(slug=park_slug)).scalar_one_or_none()
        if park is None:
            raise click.ClickException(f"No park {park_slug}.")
        counts: RunCounts = run_park(park.id)
        db.session.commit()
    else:
        counts = run_all()
    click.echo(
        f"{counts.raised} warnings raised, {counts.auto_closed} closed by themselves,"
        f" {counts.escalated} escalated."
    )


@users.command("token")
@click.argument("email")
@click.option("--name", default="cli", show_default=True)
def token(email: str, name: str) -> None:
    """Issue an API token for a user and print it once."""
    from market.accounts.auth import issue_token
    from market.accounts.models import User

    user = db.session.execute(db.select(User).filter_by(email=email.lower())).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"No user {email}.")
    _row, plain = issue_token(user, name)
    db.session.commit()
    click.echo(plain)


@backup_cli.command("create")
@click.option(
    "--to",
    "to",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Archive to write (default instance/backups/market-<UTC time>.tar.gz).",
)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    default=None,
    help="Then delete all but this many newest market-*.tar.gz archives in the same folder.",
)
def backup_create(to: str | None, keep: int | None) -> None:
    """Write one .tar.gz: the database (consistent while the app runs), the uploaded files
    and a manifest with the alembic revision, the time and each part's sha256."""
    from market.backup import KINDS, BackupError, create, prune

    try:
        path, manifest = create(to)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    files = sum(manifest["stores"].values())
    click.echo(
        f"Backup written: {path} ({KINDS[manifest['database']]} at revision "
        f"{manifest['alembic_revision']}, {files} uploaded files, {path.stat().st_size} bytes)."
    )
    if keep:
        gone = prune(path.parent, keep)
        click.echo(f"Kept the {keep} newest archives; deleted {len(gone)}.")


@backup_cli.command("restore")
@click.argument("path", type=click.Path())
@click.option("--yes", is_flag=True, help="Replace the database and files without asking.")
def backup_restore(path: str, yes: bool) -> None:
    """Replace the database and uploaded files with an archive's, after checking every
    checksum and the revision; then verify every manifest chain. Stop the web processes and
    workers first."""
    from pathlib import Path

    from market.backup import KINDS, BackupError, restore

    def ask(manifest: dict) -> None:
        where = db.engine.url.render_as_string()  # the password hidden
        click.echo(
            f"The archive checks out: {KINDS[manifest['database']]} at revision "
            f"{manifest['alembic_revision']}, made {manifest['created_at']}."
        )
        click.confirm(
            f"Replace the database {where} and every uploaded file with the archive's?",
            abort=True,
        )

    try:
        done = restore(Path(path), confirm=None if yes else ask)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {path}: database at revision {done.revision}.")
    if done.migrated_to:
        click.echo(f"Migrated up to this code's revision {done.migrated_to}.")
    for name, count in sorted(done.files.items()):
        click.echo(f"  {name}: {count} files restored")
    from market.manifests.services import verify_chains

    problems = verify_chains()
    for problem in problems:
        click.echo(f"TAMPERED {problem}")
    if problems:
        raise click.ClickException(f"Restored, but {len(problems)} manifests fail verification.")
    click.echo("Every manifest chain verifies.")


@dashboard_cli.command("rebuild")
@click.option("--park", "park_slug", help="Only this park (its slug); default every park.")
@click.option("--check", is_flag=True, help="Only compare the summary with the manifests.")
def dashboard_rebuild(park_slug: str | None, check: bool) -> None:
    """Recompute the dashboard's monthly flow summary from the manifests (a repair, or after
    manifests were loaded in bulk); with --check, say whether it differs, change nothing."""
    from market.accounts.models import Park
    from market.manifests import flows

    park_id = None
    if park_slug:
        park = db.session.scalar(db.select(Park).filter_by(slug=park_slug))
        if park is None:
            raise click.ClickException(f"No park {park_slug!r}.")
        park_id = park.id
    before = flows.snapshot(park_id)
    rows = flows.rebuild(park_id)
    after = flows.snapshot(park_id)
    differ = sum(before.get(k) != after.get(k) for k in before.keys() | after.keys())
    if check:
        db.session.rollback()
        click.echo(f"{differ} summary rows differ from the manifests.")
        if differ:
            raise click.ClickException("The summary is not current; run without --check.")
        return
    db.session.commit()
    click.echo(f"Summary rebuilt: {rows} rows ({differ} differed).")


def register_cli(app: Flask) -> None:
    groups = (
        seed, catalog, listings_cli, users, bids_cli, payments_cli, deals_cli, manifests_cli,
        credit_cli, matching_cli, warnings_cli, backup_cli, dashboard_cli,
    )  # fmt: skip
    for group in groups:
        app.cli.add_command(group)
    from market.jobs import jobs_cli

    app.cli.add_command(jobs_cli)
