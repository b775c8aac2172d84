"""The demo's credit grades, made through the grading workflow from the demo's own filings
and manifests: the first administrator opens and marks, the second approves.

Per park: grades of every level across recyclers, transporters and a share of the
generators, each aiming at the grade the builder drew for it (mostly A/B, a few D, one in
five left ungraded); the named generator's grade published three days ago (it may still appeal);
the other enterprise's grade under appeal (for the third administrator, who graded
nothing, to decide); the named recycler's new evaluation submitted by the second
administrator and awaiting the first (admin@<park>.demo has something to approve); a
grade published two years and ten days ago, expired by the daily command, and one
published two years less thirty days ago, ending within 60 days (reminded). Grades
dated before the demo enterprises registered stand for records carried over from before
the platform; the workflow runs on the clock of that day, so its online part finds no
filings due then.
"""

import random
from fractions import Fraction

from market.accounts.models import Enterprise, Park, User
from market.credit import queries, services
from market.credit.models import Evaluation
from market.demo.timeline import beijing, clock_at
from market.extensions import db

# Totals aimed at inside each grade's band (A ≥ 90, B ≥ 75, C ≥ 60, else D).
TARGET = {"A": Fraction(95), "B": Fraction(82), "C": Fraction(67), "D": Fraction(45)}
GENERATOR_SHARE = 3  # one generator in three is graded
EXPIRED_DAYS_AGO = 730 + 10
EXPIRING_DAYS_AGO = 730 - 30


def user(park: Park, local: str) -> User:
    return db.session.execute(
        db.select(User).filter_by(email=f"{local}@{park.slug}.demo")
    ).scalar_one()


class ParkGrading:
    def __init__(self, rng: random.Random, park: Park, aimed: dict[int, str | None]):
        self.rng, self.park, self.aimed = rng, park, aimed
        self.admin, self.second = user(park, "admin"), user(park, "admin2")
        self.counts: dict[str, int] = {}

    def run(self) -> None:
        named = {local: user(self.park, local).enterprise for local in
                 ("generator", "other", "recycler", "transporter")}  # fmt: skip
        chosen = self._chosen(set(e.id for e in named.values()))
        past = chosen[:2]
        self.grade(past[0], "B", days_ago=EXPIRED_DAYS_AGO)
        self.grade(past[1], "A", days_ago=EXPIRING_DAYS_AGO)
        for enterprise, grade in zip(chosen[2:6], "ABCD", strict=True):  # every level
            self.grade(enterprise, grade, days_ago=self.rng.randint(1, 12))
        for enterprise in chosen[6:]:
            grade = self.aimed.get(enterprise.id)
            if grade:
                self.grade(enterprise, grade, days_ago=self.rng.randint(1, 12))
        self._named(named)
        self.daily()

    def _chosen(self, named_ids: set[int]) -> list[Enterprise]:
        rows = db.session.execute(
            db.select(Enterprise).where(Enterprise.park_id == self.park.id).order_by(Enterprise.id)
        ).scalars()
        return [e for e in rows if e.id not in named_ids and (
            not e.is_generator or e.is_recycler or e.is_transporter
            or e.id % GENERATOR_SHARE == 0)]  # fmt: skip

    def _named(self, named: dict) -> None:
        self.grade(named["transporter"], "A", days_ago=6)
        self.grade(named["generator"], "B", days_ago=3)  # within its 15 appeal days
        appealed = self.grade(named["other"], "C", days_ago=5)
        with clock_at(beijing(2, 9, 30)):
            services.file_appeal(
                user(self.park, "other"), appealed.id, "贮存场所已于上月整改完毕，请复核现场评分。"
            )
            db.session.commit()
        self.count("appealed")
        self.grade(named["recycler"], "A", days_ago=10)
        with clock_at(beijing(1, 15)):  # a newer evaluation awaits the first administrator
            self.evaluate(named["recycler"], "B", grader=self.second)
            db.session.commit()
        self.count("awaiting approval")

    def grade(self, enterprise: Enterprise, grade: str, days_ago: int) -> Evaluation:
        with clock_at(beijing(days_ago, 10)):
            evaluation = self.evaluate(enterprise, grade, grader=self.admin)
            services.approve_evaluation(self.second, evaluation.id, "同意")
            db.session.commit()
        self.count(f"grade {evaluation.grade}")
        return evaluation

    def evaluate(self, enterprise: Enterprise, grade: str, grader: User) -> Evaluation:
        """Open, mark every item at the share of its maximum that brings the total near
        the grade's target given the online part found, and submit."""
        evaluation = services.open_evaluation(grader, enterprise.id)
        online = sum(Fraction(p["exact"]) for p in queries.online_part(evaluation)["parts"])
        offline = 100 - sum(p["max"] for p in queries.online_part(evaluation)["parts"])
        share = min(max((TARGET[grade] - online) / offline, Fraction(0)), Fraction(1))
        for mark in evaluation.marks:
            points = round(mark.max_points * share * 2) / 2  # half points, as on paper
            note = "现场核查，材料齐全。" if points == mark.max_points else "现场核查，有待改进。"
            services.set_mark(grader, evaluation.id, mark.item_key, str(points), note)
        services.submit_evaluation(grader, evaluation.id)
        return evaluation

    def daily(self) -> None:
        """What `flask credit expire` does each day, run now."""
        self.counts["expired"] = len(services.expire_grades())
        self.counts["reminded"] = len(services.send_reminders())
        db.session.commit()

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1
