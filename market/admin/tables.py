"""The dashboard's figures, trends, flows, grades and capacity gaps as tables (headers in
the reader's language, numbers as numbers), for the page and its CSV and XLSX exports."""

from flask_babel import gettext as _

from market.admin import capacity, dashboard
from market.admin.exports import Table
from market.admin.periods import Period
from market.formatting import role_label


def t(kg: int | None) -> float:
    return round(int(kg or 0) / 1000, 3)


def pct(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def figures_table(f: dashboard.Figures) -> Table:
    rows = [[_("Enterprises"), f.enterprises, ""]]
    rows += [[role_label(r), n, _("enterprises")] for r, n in f.roles.items()]
    rows += [
        [_("Open supply listings"), f.open_supply, ""],
        [_("Open demand listings"), f.open_demand, ""],
        [_("Deals made"), f.deals, ""],
        [_("Median time from listing to deal"), _days(f.median_days), _("days")],
        [_("Tonnage moved (received)"), t(f.received_kg), _("t")],
        [_("Manifests started"), f.started, ""],
        [_("Manifests closed (of those started)"), f.closed, ""],
        [_("Manifest closure rate"), pct(f.closure_rate), "%"],
        [_("Utilisation rate (资源化利用率)"), pct(f.utilisation_rate), "%"],
    ]
    if f.warnings is not None:
        rows += [[_("Warnings open"), f.warnings.get("open", 0), ""],
                 [_("Warnings closed"), f.warnings.get("closed", 0), ""]]  # fmt: skip
    return Table("figures", _("Headline figures"), [_("Figure"), _("Value"), _("Unit")], rows)


def _days(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def grades_table(f: dashboard.Figures) -> Table:
    rows = [[g or _("ungraded"), n] for g, n in f.grades.items()]
    return Table("grades", _("Credit grades in force"), [_("Grade"), _("Enterprises")], rows)


def trends_table(data: dict) -> Table:
    rows = [
        [m, t(kg), deals, started, closed, pct(closed / started if started else None)]
        for m, kg, deals, started, closed in zip(
            data["months"], data["kg"], data["deals"], data["started"], data["closed"],
            strict=True,
        )
    ]  # fmt: skip
    headers = [_("Month"), _("Tonnes received"), _("Deals"), _("Manifests started"),
               _("Closed"), _("Closure rate (%)")]  # fmt: skip
    return Table("trends", _("Monthly trends"), headers, rows)


def flows_table(rows: list[tuple]) -> Table:
    out = [
        [industry or _("Industry not stated"), f"{code} {name}",
         dashboard.treatment_label(treatment), receiver, t(kg)]
        for industry, code, name, treatment, _rid, receiver, kg in rows
    ]  # fmt: skip
    headers = [_("Generator's industry"), _("Waste class"), _("Treatment"), _("Receiver"),
               _("Tonnes")]  # fmt: skip
    return Table("flows", _("Material flow"), headers, out)


def capacity_table(gaps: list[capacity.ClassGap]) -> Table:
    status = {"none": _("no outlet nearby"), "short": _("short of capacity"), "ok": _("covered")}
    rows = [
        [g.code, g.name, _("yes") if g.hazardous else "", t(g.generated_kg), t(g.offered_kg),
         t(g.capacity_kg),
         g.recyclers, t(g.went["park"]), t(g.went["province"]), t(g.went["farther"]),
         status[g.status]]
        for g in gaps
    ]  # fmt: skip
    headers = [_("Class"), _("Name"), _("Hazardous"), _("Generated (t/yr)"), _("Offered (t/yr)"),
               _("Licensed capacity nearby (t/yr)"), _("Recyclers nearby"),
               _("Went: in the park (t)"), _("Went: in the province (t)"),
               _("Went: farther (t)"), _("Status")]  # fmt: skip
    return Table("capacity", _("Capacity gaps"), headers, rows)


def build(key: str, park, period: Period) -> Table | None:
    """One table by its key, or None for an unknown key."""
    if key in ("figures", "grades"):
        f = dashboard.figures(park.id, period)
        return figures_table(f) if key == "figures" else grades_table(f)
    if key == "trends":
        return trends_table(dashboard.trends(park.id, period))
    if key == "flows":
        return flows_table(dashboard.flow_rows(park.id, period))
    if key == "capacity":
        return capacity_table(capacity.gaps(park, period))
    return None
