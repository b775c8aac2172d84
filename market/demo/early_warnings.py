"""The demo's warnings (预警): what the rules find in the demo's own rows, and a set made to
show the loop — every category at every level, every state, spread over the last weeks —
taken through the services on the days they would have happened.

Per park: the real run first (`run_park`, today). Then a warning for each of the five
categories at each of the three levels, and one for each state each level can reach, raised
3 to 24 days ago against an enterprise of the park and moved through the loop (low:
answered, waiting, escalated and then forwarded or rectified; medium: forwarded, rectified,
accepted, returned; high: waiting or its outcome recorded), and a batch of older ones
closed, so the console's closure rate is that of a park where most warnings are closed
(about 85 %; Shandong closed 97.4 %). The demo parks flag a lot after 30 days without a
bid (all demo lots are a fortnight old).
"""

import random
import struct
import zlib
from datetime import timedelta

from market import clock
from market.accounts.models import Enterprise, Park, User
from market.credit.files import Upload
from market.demo.timeline import beijing, clock_at
from market.extensions import db
from market.manifests.models import Manifest
from market.warnings import services
from market.warnings.models import EarlyWarning
from market.warnings.rules import Cause, Level, RuleKey, Settings

# One rule per category whose wording fits a made-up cause at any level.
BY_CATEGORY = {
    "generation": RuleKey.UNDER_DECLARED,
    "transfer": RuleKey.WEIGHT_DISCREPANCY,
    "stock": RuleKey.STOCK_HELD,
    "operation": RuleKey.OVER_CAPACITY,
    "declaration": RuleKey.MISSING_FILING,
}
# The ways through the loop each level can take, by the state they end in.
PATHS = {
    "low": ["sent", "answered", "escalated", "forwarded", "rectified", "auto_closed"],
    "medium": ["raised", "forwarded", "rectified", "accepted", "returned", "auto_closed"],
    "high": ["raised", "recorded", "auto_closed"],
}
WAITING = frozenset({"sent", "forwarded", "returned"})  # the enterprise's turn at the end
OLD_CLOSED = 120  # older warnings, all closed, for the closure rate
LOT_DAYS = 30


def tiny_png() -> bytes:
    """A real 1×1 green PNG, standing for a photo of the rectified site."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x2e\x8b\x57")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


class ParkWarnings:
    def __init__(self, rng: random.Random, park: Park):
        self.rng, self.park = rng, park
        self.admin = self._user("admin")
        self.counts: dict[str, int] = {}
        self.serial = 0

    def _user(self, local: str) -> User:
        return db.session.execute(
            db.select(User).filter_by(email=f"{local}@{self.park.slug}.demo")
        ).scalar_one()

    def run(self) -> None:
        # The demo lots were all published when the parks opened, a fortnight ago: a lot is
        # flagged after a month without a bid here, not after the default two weeks.
        services.update_settings(self.admin, self.park.id, {"no_bid_days": LOT_DAYS})
        found = services.run_park(self.park.id)
        db.session.commit()
        self.counts["found by the rules"] = found.raised
        enterprises = self._enterprises()
        named = self._user("generator").enterprise
        turn = 0
        for rule in BY_CATEGORY.values():  # every category at every level …
            for level, paths in PATHS.items():
                path = paths[turn % len(paths)]
                self.made(rule, Level(level), path, self.rng.choice(enterprises))
                turn += 1
        for level, paths in PATHS.items():  # … and every level in every state it can reach
            for path in paths:
                rule = self.rng.choice(list(BY_CATEGORY.values()))
                target = named if path in ("sent", "forwarded") and level == "low" else None
                self.made(rule, Level(level), path, target or self.rng.choice(enterprises))
        for _ in range(OLD_CLOSED):
            rule = self.rng.choice(list(BY_CATEGORY.values()))
            level = self.rng.choice(list(Level))
            path = {"low": "answered", "medium": "accepted", "high": "recorded"}[level]
            self.made(rule, level, path, self.rng.choice(enterprises), days_ago=(25, 60))

    def _enterprises(self) -> list[Enterprise]:
        return list(
            db.session.execute(
                db.select(Enterprise).filter_by(park_id=self.park.id).order_by(Enterprise.id)
            ).scalars()
        )

    def member(self, enterprise: Enterprise) -> User:
        return db.session.execute(
            db.select(User).filter_by(enterprise_id=enterprise.id).order_by(User.id)
        ).scalars().first()  # fmt: skip

    def made(self, rule, level, path, enterprise, days_ago=(3, 24)) -> EarlyWarning | None:
        # What waits on the enterprise now was sent or forwarded in the last days: its
        # answer day is still ahead (the scheduler escalates the rest).
        start = self.rng.randint(*((2, 4) if path in WAITING else days_ago))
        with clock_at(beijing(start, 8, 30)):
            cause = Cause(rule, enterprise.id, self._key(rule), level, self._facts(rule, start))
            row = services.raise_cause(self.park.id, cause, clock.today(), Settings())
            db.session.commit()
        if row is None:
            return None
        if path != "auto_closed":
            # A made-up cause is never found by the rules; without this the first
            # scheduled run would close it as gone.
            row.auto_close = False
            db.session.commit()
        self.walk(row, path, start, enterprise)
        self.counts[path] = self.counts.get(path, 0) + 1
        return row

    def _key(self, rule) -> str:
        self.serial += 1
        return f"demo:{rule.value}:{self.serial}"

    def _facts(self, rule: RuleKey, days_ago: int) -> dict:
        today = clock.today()
        kg = self.rng.randint(20, 400) * 100
        if rule is RuleKey.WEIGHT_DISCREPANCY:
            manifest = self._manifest()
            declared = manifest.declared_kg if manifest else kg
            weighed = round(declared * self.rng.choice((0.7, 0.9, 1.08, 1.25)))
            pct = round(abs(weighed - declared) / declared * 100, 1)
            return {"manifest_id": manifest.id if manifest else 0, "declared_kg": declared,
                    "weighed_kg": weighed, "pct": pct}  # fmt: skip
        if rule is RuleKey.STOCK_HELD:
            since = today - timedelta(days=365 + self.rng.randint(5, 90))
            return {
                "code": "ISW-17-01-01",
                "kg": kg,
                "days": (today - since).days,
                "since": since.isoformat(),
                "limit": 365,
            }
        if rule is RuleKey.OVER_CAPACITY:
            return {"year": today.year, "received_kg": kg * 12, "capacity_kg": kg * 10}
        if rule is RuleKey.MISSING_FILING:
            month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
            return {
                "code": "ISW-17-02-01",
                "period": month.strftime("%Y-%m"),
                "due": (today - timedelta(days=days_ago)).isoformat(),
            }
        return {"code": "ISW-17-01-01", "year": today.year, "declared_kg": kg,
                "shipped_kg": round(kg * 1.3)}  # fmt: skip

    def _manifest(self) -> Manifest | None:
        ids = db.session.execute(
            db.select(Manifest.id).where(Manifest.park_id == self.park.id,
                                         Manifest.status == "closed").order_by(Manifest.id)
        ).scalars().all()  # fmt: skip
        return db.session.get(Manifest, self.rng.choice(ids)) if ids else None

    def walk(self, row: EarlyWarning, path: str, start: int, enterprise: Enterprise) -> None:
        """Take the warning through the loop, one step a day or two after the last."""
        member, day = self.member(enterprise), start
        steps = {
            "answered": [("respond", "已核实情况并说明原因，今后加强过磅复核。")],
            "escalated": [("escalate", "")],
            "forwarded": [("escalate", ""), ("forward", "请于期限内整改并上传现场照片。")],
            "rectified": [("escalate", ""), ("forward", "请整改。"),
                          ("respond", "已完成整改，附现场照片。")],
            "accepted": [("forward", "请整改并上传照片。"), ("respond", "已整改，附照片。"),
                         ("accept", "整改到位，予以闭环。")],
            "returned": [("forward", "请整改。"), ("respond", "已整改。"),
                         ("return", "照片不清晰，请补充整改前后对比照片。")],
            "recorded": [("record", "现场核查属实，已约谈企业负责人并责令限期整改。")],
            "auto_closed": [("auto", "")],
        }.get(path, [])  # fmt: skip
        if row.level == "medium" and path in ("forwarded", "rectified"):
            steps = steps[1:]  # a medium warning is with the administrator already
        for action, text in steps:
            day = max(day - self.rng.randint(1, 3), 0)
            with clock_at(beijing(day, 14)):
                self.step(row, action, text, member)
                db.session.commit()

    def step(self, row: EarlyWarning, action: str, text: str, member: User) -> None:
        if action == "respond":
            files = [Upload("整改现场.png", tiny_png())] if row.status == "forwarded" else []
            services.respond(member, row.id, text, files)
        elif action == "escalate":  # its answer day passed unanswered
            services.escalate(services.lock(row.id))
        elif action == "forward":
            services.forward(self.admin, row.id, text)
        elif action == "accept":
            services.accept(self.admin, row.id, text)
        elif action == "return":
            services.return_(self.admin, row.id, text)
        elif action == "record":
            services.record_outcome(self.admin, row.id, text)
        elif action == "auto":
            services.close_by_itself(services.lock(row.id), clock.today())


def warning_counts() -> dict[str, int]:
    rows = db.session.execute(
        db.select(EarlyWarning.status, db.func.count(EarlyWarning.id)).group_by(EarlyWarning.status)
    )
    return {status: n for status, n in rows}
