"""JSON endpoints for filings (申报), the filing status and the waste ledgers (台账): the
same services as the ledger pages, for one's own enterprise (a park administrator names
an enterprise of the park)."""

from datetime import date, timedelta

from flask import g
from flask_babel import gettext as _

from market import clock
from market.accounts.models import Enterprise, Role
from market.api import manifest_replies as replies
from market.api import manifest_schemas as schemas
from market.api.views import _add, named
from market.errors import DomainError, Forbidden, NotFound
from market.extensions import db
from market.manifests import filings, ledgers, periods
from market.manifests.models import Filing

LOOKBACK, LOOKAHEAD = timedelta(days=366), timedelta(days=100)  # as the filing page
LEDGER_PERIODS = 12  # the default window, as the ledger page
PER_PAGE = 50


def filing_json(row: Filing) -> dict:
    return {
        "id": row.id,
        "waste_code": row.waste_code.code,
        "period_kind": row.period_kind,
        "period_key": row.period_key,
        "period_start": row.period_start.isoformat(),
        "period_end": row.period_end.isoformat(),
        "generated_kg": row.generated_kg,
        "stock_kg": row.stock_kg,
        "note": row.note,
        "filed_on": row.filed_on.isoformat(),
        "version": row.version,
    }


def _own_generator() -> Enterprise:
    enterprise = g.api_user.enterprise
    if enterprise is None or not enterprise.has_role(Role.GENERATOR):
        raise Forbidden(_("Only generators file generation reports."))
    return enterprise


def _subject(enterprise_id: int | None) -> Enterprise:
    """The caller's enterprise; for a park administrator, the named enterprise of the park."""
    user = g.api_user
    if user.is_park_admin:
        if enterprise_id is None:
            message = _("Choose an enterprise from the list.")
            raise DomainError(message, field="enterprise_id")
        row = db.session.get(Enterprise, enterprise_id)
        if row is None or row.park_id != user.admin_park_id:
            raise NotFound(_("No such enterprise in your park."))
        return row
    if user.enterprise is None or enterprise_id not in (None, user.enterprise_id):
        raise NotFound(_("No such enterprise in your park."))
    return user.enterprise


def _in_order(start: date, end: date) -> None:
    if start > end:
        raise DomainError(_("The start of the window is after its end."), field="from")


def list_filings(args):
    enterprise = _own_generator()
    stmt = (
        db.select(Filing)
        .filter_by(enterprise_id=enterprise.id)
        .order_by(Filing.period_start.desc(), Filing.id.desc())
    )
    page = db.paginate(stmt, page=args.get("page", 1), per_page=PER_PAGE, error_out=False)
    items = [filing_json(f) for f in page.items]
    return {"page": page.page, "pages": page.pages, "total": page.total, "items": items}


def file_period(body):
    filing = filings.file_generation(g.api_user, filings.FilingInput(**body))
    db.session.commit()
    return filing_json(filing)


def filing_status(args):
    enterprise = _subject(args.get("enterprise_id"))
    today = clock.today()
    start, end = args.get("start", today - LOOKBACK), args.get("end", today + LOOKAHEAD)
    if start > end:
        raise DomainError(_("The start of the window is after its end."), field="start")
    rows = filings.filing_status(enterprise, (start, end))
    return {
        "enterprise_id": enterprise.id,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "rows": [
            {
                "waste_code": r.code.code,
                "period_key": r.period.key,
                "due": r.due.isoformat(),
                "state": str(r.state),
                "filing_id": r.filing.id if r.filing else None,
                "can_file": r.can_file,
            }
            for r in rows
        ],
    }


def _window(enterprise: Enterprise, args) -> tuple[periods.Kind, date, date]:
    """The asked periods, or the last twelve of the kind the enterprise files today."""
    today = clock.today()
    tier = filings.tier_on(filings.tiers_of(enterprise), today)
    kind = filings.KINDS[args["kind"]] if "kind" in args else (tier.kind if tier else None)
    kind = kind or periods.Kind.MONTH
    end = args.get("end", today)
    start = args.get("start")
    if start is None:
        start = periods.period_of(end, kind).start
        for _step in range(LEDGER_PERIODS - 1):
            start = periods.period_of(start, kind).previous().start
    if start > end:
        raise DomainError(_("The start of the window is after its end."), field="from")
    return kind, start, end


def _stock(book, row) -> dict:
    return {
        "period_key": row.period.key,
        "start": row.period.start.isoformat(),
        "end": row.period.end.isoformat(),
        "opening_kg": row.opening_kg,
        "closing_kg": row.closing_kg,
        "oldest_since": row.oldest_since.isoformat() if row.oldest_since else None,
        "held_days": row.held_days,
        "flags": [str(flag) for flag in book.flags(row)],
        "manifest_ids": list(row.manifest_ids),
    }


def _generator_row(book, row) -> dict:
    return {
        **_stock(book, row),
        "generated_kg": row.generated_kg,
        "transferred_kg": row.transferred_kg,
        "filing_ids": list(row.filing_ids),
    }


def _recycler_row(book, row) -> dict:
    return {
        **_stock(book, row),
        "received_kg": row.received_kg,
        "utilised_kg": row.utilised_kg,
        "disposed_kg": row.disposed_kg,
    }


def _book(enterprise: Enterprise, args) -> ledgers.Ledger:
    if not (enterprise.has_role(Role.GENERATOR) or enterprise.has_role(Role.RECYCLER)):
        raise Forbidden(_("Only generators and recyclers keep a waste ledger."))
    kind, start, end = _window(enterprise, args)
    try:
        return ledgers.ledger_for(enterprise, kind, start, end)
    except ValueError as error:
        message = _("Choose a shorter window: at most %(n)s periods.", n=ledgers.MAX_PERIODS)
        raise DomainError(message, field="from") from error


def ledger(args):
    enterprise = _subject(args.get("enterprise_id"))
    book = _book(enterprise, args)
    wanted = (args.get("code") or "").strip().upper()
    codes = [
        {
            "code": code.code,
            "name": code.name,
            "generator": [_generator_row(book, r) for r in book.generator.get(code_id, ())],
            "recycler": [_recycler_row(book, r) for r in book.recycler.get(code_id, ())],
        }
        for code_id, code in sorted(book.codes.items(), key=lambda pair: pair[1].code)
        if not wanted or code.code.upper() == wanted
    ]
    return {
        "enterprise_id": enterprise.id,
        "kind": filings.TIER_OF[book.kind],
        "start": book.start.isoformat(),
        "end": book.end.isoformat(),
        "other_kind_filings": book.other_kind_filings,
        "codes": codes,
    }


def _register() -> None:
    summary = "The caller's generation filings (申报), newest period first, 50 a page"
    page = (schemas.PageArgs, "query")
    _add(
        "/filings",
        "GET",
        named(list_filings, "filings"),
        summary,
        (200, replies.FilingPage),
        (400, 401, 403),
        args=page,
    )
    summary = "File one period's generation of one waste code (once; corrections on the page)"
    _add(
        "/filings",
        "POST",
        named(file_period, "file_period"),
        summary,
        (201, replies.FilingReply),
        (400, 401, 403, 409),
        args=(schemas.FilingIn, "json"),
    )
    summary = "Every code and period falling due in the window, and how each stands"
    _add(
        "/filings/status",
        "GET",
        filing_status,
        summary,
        (200, replies.StatusReply),
        (400, 401, 404),
        args=(schemas.StatusArgs, "query"),
    )
    summary = "The waste ledger (台账) per code and period: opening, in, out, closing, ageing"
    _add(
        "/ledger",
        "GET",
        named(ledger, "ledger"),
        summary,
        (200, replies.LedgerReply),
        (400, 401, 403, 404),
        args=(schemas.LedgerArgs, "query"),
    )


_register()
