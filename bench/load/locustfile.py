"""Locust users of a park's exchange, weighted as a park's traffic is: mostly people
browsing the trading hall, searching and reading lots; fewer one-click matches; fewer
bids; a trickle of manifests started, picked up and received through the API.

Reads the world the builder described (bench/load/world.py; BENCH_LOAD_WORLD, default
bench/load/world.json): logins and their open lots and demands, API tokens, ready deals.
Web users log in once (GET /login for the CSRF token, then POST) and send the form's CSRF
token with every POST. Run by bench/load/run.py; by hand:

    .venv/bin/locust -f bench/load/locustfile.py --host http://127.0.0.1:5501 \\
        --headless -u 150 -r 30 -t 2m
"""

import itertools
import json
import os
import random
import re
from pathlib import Path

from locust import between, constant, task
from locust.contrib.fasthttp import FastHttpUser

WORLD = json.loads(
    Path(os.environ.get("BENCH_LOAD_WORLD", Path(__file__).parent / "world.json")).read_text()
)
CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
PRICE = re.compile(r'name="price_yuan"[^>]*?value="([^"]*)"')
LOT_LINK = re.compile(r'href="/listings/supply/(\d+)"')
SEARCHES = ("HW08", "HW49", "900-041-49", "ISW-17", "废机油", "废包装桶", "边角料", "SW59")
DEALS = iter(WORLD["deal_ids"])  # each manifest lifecycle takes a deal of its own
PLATES = itertools.count(10000)

lots = WORLD["lots"]  # [lot id, owner's login]
demands = WORLD["demands"]
lot_ids = [lot for lot, _ in lots]


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    return found.group(1) if found else ""


class WebUser(FastHttpUser):
    """A person with a session: logs in once, as a real user would."""

    abstract = True
    wait_time = between(0.5, 1.5)
    login_as = None

    def on_start(self):
        email = self.choose_login()
        page = self.client.get("/login", name="login (form)")
        with self.client.post(
            "/login",
            data={"email": email, "password": WORLD["password"], "csrf_token": csrf_of(page.text)},
            name="login (post)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:  # the form again: the login was refused
                response.failure(f"login refused: {response.status_code}")
        self.email = email

    def choose_login(self) -> str:
        raise NotImplementedError


class Browser(WebUser):
    """A plant's staff in the trading hall: the hall (nearest first, as it opens for a
    signed-in plant), further pages, searches, lots, demands, the desk."""

    weight = 70

    def choose_login(self):
        self.mine = random.choice(lots if random.random() < 0.7 else demands)
        return self.mine[1]

    @task(6)
    def hall(self):
        self.client.get("/listings/", name="hall (nearest first)")

    @task(2)
    def hall_newest(self):
        page = random.randint(1, 5)
        self.client.get(f"/listings/?sort=newest&page={page}", name="hall (newest, pages 1-5)")

    @task(3)
    def search(self):
        q = random.choice(SEARCHES)
        self.client.get(f"/listings/?code={q}&sort=newest", name="hall search (code or name)")

    @task(1)
    def demands_hall(self):
        self.client.get("/listings/?kind=demand&sort=newest", name="hall (demands)")

    @task(6)
    def lot(self):
        self.client.get(f"/listings/supply/{random.choice(lot_ids)}", name="lot page")

    @task(2)
    def desk(self):
        self.client.get("/", name="desk")

    @task(1)
    def catalogue(self):
        q = random.choice(SEARCHES)
        self.client.get(f"/catalog/suggest?q={q}", name="catalogue suggest")


class Visitor(FastHttpUser):
    """Not signed in: the front page and the public window."""

    weight = 8
    wait_time = between(0.5, 1.5)

    @task(1)
    def front(self):
        self.client.get("/", name="front page (public)")

    @task(3)
    def window(self):
        self.client.get(f"/listings/?page={random.randint(1, 3)}", name="hall (public)")


class Matcher(WebUser):
    """A generator's one-click match on its own open lot, then a look at a recycler."""

    weight = 10

    def choose_login(self):
        self.lot = random.choice(lots)
        return self.lot[1]

    @task
    def match(self):
        self.client.get(f"/matching/supply/{self.lot[0]}", name="one-click match (lot)")
        self.client.get(f"/listings/supply/{self.lot[0]}", name="lot page (own)")


class Bidder(WebUser):
    """A recycler: one-click match on its demand, opens a matched lot, bids the
    pre-filled price (just above the best bid)."""

    weight = 9

    def choose_login(self):
        self.demand = random.choice(demands)
        return self.demand[1]

    @task
    def match_and_bid(self):
        page = self.client.get(
            f"/matching/demand/{self.demand[0]}", name="one-click match (demand)"
        )
        found = LOT_LINK.findall(page.text or "")
        if not found:
            return
        lot = random.choice(found[:10])
        detail = self.client.get(f"/listings/supply/{lot}", name="lot page")
        price = PRICE.search(detail.text or "")
        if price is None:  # not biddable for this recycler (the page says why)
            return
        with self.client.post(
            f"/listings/supply/{lot}/bids",
            data={
                "price_yuan": price.group(1),
                "quantity_t": "1",
                "csrf_token": csrf_of(detail.text),
            },
            name="bid (post)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                response.success()
            elif response.status_code in (400, 409):  # refused with a message: not a fault
                response.request_meta["name"] = "bid (post, refused with a message)"
                response.success()
            else:
                response.failure(f"bid: {response.status_code}")


class ManifestCrew(FastHttpUser):
    """One vehicle trip through the API: the generator starts and signs the manifest, the
    transporter signs pickup, the recycler receives it (the manifest closes); each
    party then reads it back."""

    weight = 3
    wait_time = between(1, 3)

    def _post(self, path, role, body, name):
        return self.client.post(
            path, json=body, name=name, headers={"Authorization": f"Bearer {WORLD['tokens'][role]}"}
        )

    @task
    def trip(self):
        deal = next(DEALS, None)
        if deal is None:
            return
        made = self._post(
            f"/api/v1/deals/{deal}/manifests",
            "generator",
            {"declared_kg": 10_000, "transporter_id": WORLD["transporter_id"]},
            "manifest start (API)",
        )
        if made.status_code != 201:
            return
        manifest = made.json()["id"]
        self._post(
            f"/api/v1/manifests/{manifest}/pickup",
            "transporter",
            {"plate": f"浙B{next(PLATES)}", "driver_name": "李师傅", "driver_phone": "13912345678"},
            "manifest pickup (API)",
        )
        self._post(
            f"/api/v1/manifests/{manifest}/receipt",
            "recycler",
            {"received_kg": 9_900, "treatment": "utilise", "treatment_method": "再生利用"},
            "manifest receipt (API)",
        )
        self.client.get(
            f"/api/v1/manifests/{manifest}",
            name="manifest read (API)",
            headers={"Authorization": f"Bearer {WORLD['tokens']['recycler']}"},
        )


class Health(FastHttpUser):
    """The baseline (run alone, by name): the cheapest request the server answers."""

    weight = 1  # bench/load/run.py names the classes of each run: this one alone first
    wait_time = constant(0)  # no pause: the most the server answers (its ceiling)

    @task
    def healthz(self):
        self.client.get("/healthz", name="/healthz")
