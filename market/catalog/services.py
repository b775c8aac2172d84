"""Loading catalogue editions, resolving a typed code, and the cached search index."""

import csv
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from market.catalog.models import CodeEdition, Scheme, WasteAlias, WasteCode
from market.catalog.search import Entry, Hit, Index
from market.errors import Conflict, DomainError
from market.extensions import db


@dataclass(frozen=True)
class CodeRow:
    code: str
    category_code: str
    category_name: str
    name: str
    description: str = ""
    subcategory_code: str = ""
    subcategory_name: str = ""
    industry_source: str = ""
    hazard: str = ""
    aliases: tuple[str, ...] = ()


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def hw_rows(path: Path, aliases_path: Path | None = None) -> list[CodeRow]:
    aliases: dict[str, list[str]] = {}
    if aliases_path is not None:
        for row in read_csv(aliases_path):
            aliases.setdefault(row["waste_code"].strip(), []).append(row["alias"].strip())
    return [
        CodeRow(
            code=r["waste_code"].strip(),
            category_code=r["category_code"].strip(),
            category_name=r["category_name"].strip(),
            name=r["description"].strip()[:200],
            description=r["description"].strip(),
            industry_source=r["industry_source"].strip(),
            hazard=r["hazard"].strip(),
            aliases=tuple(aliases.get(r["waste_code"].strip(), ())),
        )
        for r in read_csv(path)
    ]


def sw_rows(path: Path) -> list[CodeRow]:
    return [
        CodeRow(
            code=r["class_code"],
            category_code=r["class_code"],
            category_name=r["class_name"],
            name=r["class_name"],
        )
        for r in read_csv(path)
    ]


def isw_rows(path: Path) -> list[CodeRow]:
    return [
        CodeRow(
            code=r["code"],
            category_code=r["category_code"],
            category_name=r["category_name"],
            subcategory_code=r["subcategory_code"],
            subcategory_name=r["subcategory_name"],
            name=r["name"],
            description=r["description"],
            aliases=tuple(a.strip() for a in r["aliases"].split("|") if a.strip()),
        )
        for r in read_csv(path)
    ]


def load_edition(
    scheme: Scheme,
    name: str,
    title: str,
    rows: list[CodeRow],
    *,
    park=None,
    is_demo: bool = False,
    source: str = "",
    effective_from: date | None = None,
) -> CodeEdition:
    """Add one edition of a scheme with its codes; an edition is loaded once."""
    park_id = park.id if park is not None else None
    existing = db.session.execute(
        db.select(CodeEdition).filter_by(scheme=scheme, name=name, park_id=park_id)
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict(
            _("Edition %(name)s of %(scheme)s is already loaded.", name=name, scheme=scheme)
        )
    edition = CodeEdition(
        scheme=scheme,
        name=name,
        title=title,
        park_id=park_id,
        is_demo=is_demo,
        source=source,
        effective_from=effective_from,
    )
    db.session.add(edition)
    for row in rows:
        code = WasteCode(
            edition=edition,
            scheme=scheme,
            is_hazardous=scheme == Scheme.HW,
            **{k: v for k, v in row.__dict__.items() if k != "aliases"},
        )
        code.aliases = [WasteAlias(alias=a) for a in dict.fromkeys(row.aliases)]
        db.session.add(code)
    db.session.flush()
    invalidate_index()
    return edition


def retire_edition(edition: CodeEdition, on: date) -> None:
    """Codes of a retired edition stay on old listings but cannot be used for new ones."""
    edition.retired_on = on
    invalidate_index()


def usable_codes():
    """Codes that new listings may use: not retired, in a current edition, any park."""
    return (
        db.select(WasteCode)
        .join(CodeEdition)
        .where(WasteCode.retired.is_(False), CodeEdition.retired_on.is_(None))
    )


def usable_codes_query(park_id: int | None):
    """Usable codes of the national schemes and of one park's own catalogue."""
    return usable_codes().where((CodeEdition.park_id.is_(None)) | (CodeEdition.park_id == park_id))


def resolve_code(raw: str, park_id: int | None) -> WasteCode:
    """The usable code a user typed (or picked), or a DomainError saying why not."""
    text = (raw or "").strip().split(" ")[0].upper()
    if not text:
        raise DomainError(_("Choose a waste code."), field="waste_code")
    found = (
        db.session.execute(usable_codes_query(park_id).where(db.func.upper(WasteCode.code) == text))
        .scalars()
        .first()
    )
    if found is not None:
        return found
    if db.session.execute(
        db.select(WasteCode.id).where(db.func.upper(WasteCode.code) == text)
    ).first():
        raise DomainError(
            _("Waste code %(code)s is retired or not in your park's catalogue.", code=text),
            field="waste_code",
        )
    raise DomainError(_("Unknown waste code %(code)s.", code=text), field="waste_code")


_index_lock = threading.Lock()
_index_cache: dict[str, object] = {}


def invalidate_index() -> None:
    with _index_lock:
        _index_cache.clear()


def _fingerprint() -> tuple:
    """Cheap summary that changes whenever usable codes or aliases change."""
    codes = db.session.execute(
        db.select(db.func.count(WasteCode.id), db.func.max(WasteCode.id))
        .join(CodeEdition)
        .where(WasteCode.retired.is_(False), CodeEdition.retired_on.is_(None))
    ).one()
    aliases = db.session.execute(
        db.select(db.func.count(WasteAlias.id), db.func.max(WasteAlias.id))
    ).one()
    return (db.engine.url.render_as_string(), *codes, *aliases)


def _build_index() -> Index:
    codes = (
        db.session.execute(
            usable_codes().options(selectinload(WasteCode.aliases), selectinload(WasteCode.edition))
        )
        .scalars()
        .all()
    )
    return Index.build(
        [
            Entry(
                id=c.id,
                code=c.code,
                category_code=c.category_code,
                name=c.name,
                description=c.description,
                aliases=tuple(a.alias for a in c.aliases),
                park_id=c.edition.park_id,
            )
            for c in codes
        ]
    )


def current_index() -> Index:
    key = _fingerprint()
    with _index_lock:
        if _index_cache.get("key") == key:
            return _index_cache["index"]
    index = _build_index()
    with _index_lock:
        _index_cache.update(key=key, index=index)
    return index


def search_codes(query: str, park_id: int | None, limit: int = 10) -> list[tuple[WasteCode, Hit]]:
    hits = current_index().search(query[:80], limit=limit, park_id=park_id)
    rows = {
        c.id: c
        for c in db.session.execute(
            db.select(WasteCode)
            .where(WasteCode.id.in_([h.id for h in hits]))
            .options(selectinload(WasteCode.edition))
        ).scalars()
    }
    return [(rows[h.id], h) for h in hits if h.id in rows]
