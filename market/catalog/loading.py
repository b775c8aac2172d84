"""Loading the national catalogue and a park's own list from the CSVs in seeds/catalog."""

from datetime import date

from market.accounts.models import Park
from market.catalog import services as catalog
from market.catalog.models import CodeEdition, Scheme
from market.config import ROOT
from market.extensions import db

CATALOG = ROOT / "seeds" / "catalog"


def load_national_catalogue() -> None:
    """The 2021 hazardous list and the general industrial classes, once."""
    if db.session.execute(db.select(CodeEdition.id).filter_by(scheme=Scheme.HW)).first():
        return
    catalog.load_edition(
        Scheme.HW,
        "2021",
        "国家危险废物名录（2021年版）",
        catalog.hw_rows(CATALOG / "hw_codes_2021.csv", CATALOG / "hw_aliases_2021.csv"),
        source="部令第15号; seeds/catalog/SOURCES.md",
        effective_from=date(2021, 1, 1),
    )
    catalog.load_edition(
        Scheme.SW,
        "provisional",
        "一般工业固体废物类别（暂定）",
        catalog.sw_rows(CATALOG / "sw_general_industrial_classes.csv"),
        source="seeds/catalog/SOURCES.md (provisional)",
    )


def load_park_catalogue(park: Park) -> None:
    catalog.load_edition(
        Scheme.ISW,
        "2024-demo",
        f"{park.name} 一般工业固体废物分类目录（演示）",
        catalog.isw_rows(CATALOG / "isw_demo_2024.csv"),
        park=park,
        is_demo=True,
        source="seeds/catalog/isw_demo_2024.csv (demo)",
        effective_from=date(2024, 1, 1),
    )
