"""Capacity gaps for investment attraction (招商): per waste class, what the park generates
in a year against the licensed capacity of recyclers within the park's match radius, and
where the waste actually went (in the park, in the province, farther)."""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, func

from market import clock
from market.accounts.models import Enterprise, Licence, Park, licence_codes
from market.admin.dashboard import combined, park_enterprise_ids
from market.admin.periods import Period
from market.catalog.models import WasteCode
from market.extensions import db
from market.geo import haversine_km
from market.listings.models import SupplyListing
from market.manifests.models import Filing, Manifest, ParkFlowSummary
from market.matching import service as matching

DESTINATIONS = ("park", "province", "farther")


@dataclass
class ClassGap:
    code: str
    name: str
    hazardous: bool
    generated_kg: int = 0
    offered_kg: int = 0
    capacity_kg: int = 0
    recyclers: int = 0
    went: dict = field(default_factory=lambda: dict.fromkeys(DESTINATIONS, 0))

    @property
    def shipped_kg(self) -> int:
        return sum(self.went.values())

    @property
    def need_kg(self) -> int:
        """What a year asks of the outlets: declared generation, or what was offered on the
        exchange or left on manifests if more (not every generator files yet)."""
        return max(self.generated_kg, self.offered_kg, self.shipped_kg)

    @property
    def status(self) -> str:
        if self.capacity_kg == 0:
            return "none"
        return "short" if self.capacity_kg < self.need_kg else "ok"


def year_to(period: Period) -> Period:
    """The twelve months ending with the period's last day: "per year" whatever the period."""
    return Period("custom", period.last - timedelta(days=364), period.last)


def gaps(park: Park, period: Period) -> list[ClassGap]:
    year = year_to(period)
    rows: dict[str, ClassGap] = {}
    _generated(rows, park.id, year)
    _offered(rows, park.id, year)
    _went(rows, park, year)
    _capacity(rows, park)
    return sorted(rows.values(), key=lambda g: ({"none": 0, "short": 1, "ok": 2}[g.status],
                                                -g.need_kg, g.code))  # fmt: skip


def _row(rows: dict, code: str, name: str, hazardous: bool) -> ClassGap:
    if code not in rows:
        rows[code] = ClassGap(code, name, bool(hazardous))
    return rows[code]


def _generated(rows: dict, park_id: int, year: Period) -> None:
    """Declared generation (申报) of the park's enterprises in filings that end in the year."""
    for code, name, hazardous, kg in db.session.execute(
        db.select(
            WasteCode.category_code,
            WasteCode.category_name,
            func.max(WasteCode.is_hazardous.cast(db.Integer)),
            func.sum(Filing.generated_kg),
        )
        .join(WasteCode, WasteCode.id == Filing.waste_code_id)
        .where(
            Filing.enterprise_id.in_(park_enterprise_ids(park_id)),
            Filing.period_end >= year.first,
            Filing.period_end <= year.last,
        )
        .group_by(WasteCode.category_code, WasteCode.category_name)
    ):
        _row(rows, code, name, hazardous).generated_kg += int(kg or 0)


def _offered(rows: dict, park_id: int, year: Period) -> None:
    """Lots the park's enterprises published on the exchange in the year."""
    for code, name, hazardous, kg in db.session.execute(
        db.select(
            WasteCode.category_code,
            WasteCode.category_name,
            func.max(WasteCode.is_hazardous.cast(db.Integer)),
            func.sum(SupplyListing.quantity_kg),
        )
        .join(WasteCode, WasteCode.id == SupplyListing.waste_code_id)
        .where(
            SupplyListing.enterprise_id.in_(park_enterprise_ids(park_id)),
            SupplyListing.published_at >= year.starts,
            SupplyListing.published_at < year.ends,
        )
        .group_by(WasteCode.category_code, WasteCode.category_name)
    ):
        _row(rows, code, name, hazardous).offered_kg += int(kg or 0)


def _went(rows: dict, park: Park, year: Period) -> None:
    """Received weight of the park's manifests by the receiver's park: this one, another in
    the same province (first two digits of the division code), or farther (from the
    monthly flow summary and, for part months, the manifests: see dashboard.combined)."""
    receiver_park = db.aliased(Park)
    hazardous = WasteCode.is_hazardous.cast(db.Integer)
    keys = (WasteCode.category_code, WasteCode.category_name, hazardous, receiver_park.id,
            receiver_park.region_code)  # fmt: skip
    Summary = ParkFlowSummary
    found = combined(
        park.id, year, Manifest.received_at,
        db.select(*keys, func.sum(Summary.received_kg))
        .join(WasteCode, WasteCode.id == Summary.waste_code_id)
        .join(Enterprise, Enterprise.id == Summary.receiver_id)
        .join(receiver_park, receiver_park.id == Enterprise.park_id)
        .where(Summary.received_kg > 0)
        .group_by(*keys),
        db.select(*keys, func.sum(Manifest.received_kg))
        .join(WasteCode, WasteCode.id == Manifest.waste_code_id)
        .join(Enterprise, Enterprise.id == Manifest.receiver_id)
        .join(receiver_park, receiver_park.id == Enterprise.park_id)
        .where(Manifest.park_id == park.id, Manifest.received_kg > 0)
        .group_by(*keys),
        keys=len(keys),
    )  # fmt: skip
    # as one group per class and receiving park, hazardous if any of its codes is
    went: dict[tuple, list] = {}
    for (code, name, hazard, park_id, region), (kg,) in found.items():
        if kg > 0:
            group = went.setdefault((code, name, park_id, region), [0, 0])
            group[0], group[1] = max(group[0], int(hazard)), group[1] + kg
    for (code, name, park_id, region), (hazard, kg) in sorted(went.items()):
        where = (
            "park"
            if park_id == park.id
            else "province"
            if region[:2] == park.region_code[:2]
            else "farther"
        )
        _row(rows, code, name, hazard).went[where] += kg


def _capacity(rows: dict, park: Park) -> None:
    """Licences valid today of recyclers within the park's default match radius of its
    centre; a licence counts once per class it covers, with its whole annual capacity."""
    today = clock.today()
    radius = matching.settings_row(park.id).default_radius_km
    found = db.session.execute(
        db.select(
            Licence.id,
            Licence.capacity_kg_per_year,
            Enterprise.id,
            Enterprise.lat,
            Enterprise.lon,
            WasteCode.category_code,
        )
        .join(Enterprise, Enterprise.id == Licence.enterprise_id)
        .join(licence_codes, licence_codes.c.licence_id == Licence.id)
        .join(WasteCode, WasteCode.id == licence_codes.c.waste_code_id)
        .where(
            and_(Licence.valid_from <= today, Licence.valid_until >= today),
            Enterprise.is_recycler.is_(True),
            WasteCode.category_code.in_(list(rows)),
        )
        .distinct()
    ).all()
    counted: set[tuple[int, str]] = set()
    recyclers: dict[str, set[int]] = {}
    for licence_id, capacity, enterprise_id, lat, lon, code in found:
        if (licence_id, code) in counted or haversine_km(park.lat, park.lon, lat, lon) > radius:
            continue
        counted.add((licence_id, code))
        rows[code].capacity_kg += capacity
        recyclers.setdefault(code, set()).add(enterprise_id)
    for code, ids in recyclers.items():
        rows[code].recyclers = len(ids)


def radius_km(park: Park) -> int:
    return matching.settings_row(park.id).default_radius_km


def chart_series(gaps: list[ClassGap]) -> dict:
    """Tonnes per class for the bar chart; nothing (None) rather than 0 on its log axis."""

    def t(kg: int) -> float | None:
        return round(kg / 1000, 3) if kg > 0 else None

    return {
        "generated": [t(g.generated_kg) for g in gaps],
        "offered": [t(g.offered_kg) for g in gaps],
        "capacity": [t(g.capacity_kg) for g in gaps],
        **{where: [t(g.went[where]) for g in gaps] for where in DESTINATIONS},
    }
