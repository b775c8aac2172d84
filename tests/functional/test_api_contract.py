"""The API keeps its OpenAPI contract. schemathesis (the CLI, as a client would run it)
generates calls to every operation from /api/v1/openapi.json against the app served on a
loopback port, over seeded data, and checks each answer: no 5xx, a documented status, the
documented content type, a body that fits the documented schema, 405 with Allow.

Three passes: ids as generated (mostly absent rows, beyond 2^31) with the generator's token,
valid and schema-violating calls (those must be refused); then valid calls on the seeded
rows' ids with the generator's token, and with the recycler's for its demand listing and
its bids. Examples are bounded (FUZZ_EXAMPLES per operation and phase, fewer when pinned)."""

import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from market.accounts.auth import issue_token
from market.extensions import db
from tests import factories
from tests import ledger_factories as lf
from tests import manifest_flow as flow
from tests.conftest import _wipe

POSITIVE = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "unsupported_method",
)
# Schema-violating calls (a missing `q`, a page of 0, an unknown field) must be refused.
NEGATIVE = (*POSITIVE, "negative_data_rejection", "missing_required_header")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))  # per operation and phase
CONFIG = "schemathesis.toml"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@dataclass
class Seeded:
    tokens: dict
    ids: dict


def _seed() -> Seeded:
    from market.deals.services import accept_bid, after_commit_payment

    world = factories.World.make()
    licence = world.recycler.enterprise.licences[0]
    demand = factories.demand(
        world.recycler, waste_codes=["ISW-17-01-01", "900-214-08"], licence_id=licence.id
    )
    lot = factories.steel_lot(world.generator)
    factories.supply(world.generator, publish=False, title="草稿批次")
    sold = factories.steel_lot(world.generator, title="已成交批次")
    won = factories.bid(world.recycler, sold, price="1200", quantity="3")
    bid = factories.bid(world.recycler, lot, price="900", quantity="2")
    factories.bid(factories.bidder(), lot, price="950", quantity="1")
    db.session.commit()
    deal = accept_bid(world.generator, won.id)
    db.session.commit()
    after_commit_payment(deal)
    manifests = _manifests(world, deal)
    lf.tier(world.generator.enterprise, "monthly", date(2020, 1, 1))
    tokens = {}
    for role in ("generator", "recycler"):
        _row, plain = issue_token(getattr(world, role), "schemathesis")
        tokens[role] = plain
    db.session.commit()
    ids = {"supply": lot.id, "demand": demand.id, "bid": bid.id, "deal": deal.id}
    return Seeded(tokens, ids | manifests)


def _manifests(world, deal) -> dict:
    """One manifest of the seeded deal in each state it can stand in, through the services."""
    from market.manifests import services as svc

    def start(kg: int):
        data = svc.StartInput(declared_kg=kg, transporter_id=world.transporter.enterprise_id)
        return svc.start_manifest(world.generator, deal.id, data)

    rows = {state: start(400) for state in ("submitted", "in_transit", "closed", "rejected")}
    rows["cancelled"] = start(100)
    svc.cancel_manifest(world.generator, rows["cancelled"].id, "改期")
    for state in ("in_transit", "closed", "rejected"):
        svc.sign_pickup(world.transporter, rows[state].id, flow.pickup_input())
    svc.sign_receipt(world.recycler, rows["closed"].id, flow.receipt_input(400))
    reject = svc.RejectInput(reason="混有生活垃圾", goes_to="generator")
    svc.reject_manifest(world.recycler, rows["rejected"].id, reject)
    db.session.commit()
    assert {m.status for m in rows.values()} == set(rows)
    return {"manifest": rows["in_transit"].id}


class QuietHandler(WSGIRequestHandler):
    def log(self, *args) -> None:
        """Thousands of requests; schemathesis reports the ones that matter."""


@pytest.fixture(scope="module")
def live(app):
    """The app on a loopback port, with seeded rows; they are wiped afterwards."""
    with app.app_context():
        seeded = _seed()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=False, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seeded
    server.shutdown()
    thread.join(10)
    with app.app_context():
        _wipe(app.config["BASELINE"])
        db.session.remove()


def _pin_ids(where: Path, ids: dict) -> None:
    """Path ids pinned to the seeded rows (per kind for listings)."""
    (where / CONFIG).write_text(
        f"[parameters]\nlot_id = {ids['supply']}\nbid_id = {ids['bid']}\n"
        f"deal_id = {ids['deal']}\nmanifest_id = {ids['manifest']}\n"
        f'[[operations]]\ninclude-path-regex = "/listings/supply/"\n'
        f"parameters = {{ listing_id = {ids['supply']} }}\n"
        f'[[operations]]\ninclude-path-regex = "/listings/demand/"\n'
        f"parameters = {{ listing_id = {ids['demand']} }}\n"
    )


def _run(base: str, token: str, mode: str, where: Path, *extra: str) -> None:
    """One schemathesis run; its cache of past failures goes to `where`, not the work tree."""
    command = [str(SCHEMATHESIS)]
    if (where / CONFIG).exists():
        command += ["--config-file", str(where / CONFIG)]
    command += [
        "run",
        f"{base}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        ",".join(NEGATIVE if mode == "all" else POSITIVE),
        "--mode",
        mode,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(EXAMPLES if mode == "all" else max(EXAMPLES // 2, 1)),
        "--seed",
        "2026",
        "--workers",
        "1",
        "--suppress-health-check",
        "all",
        "--no-color",
        "--output-truncate",
        "false",
        *extra,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=where)
    if os.environ.get("FUZZ_LOG"):
        Path(os.environ["FUZZ_LOG"]).write_text(done.stdout + done.stderr)
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-3000:]


@pytest.mark.fuzz
def test_every_operation_keeps_its_contract_on_generated_ids(live, tmp_path):
    base, seeded = live
    _run(base, seeded.tokens["generator"], "all", tmp_path)


@pytest.mark.fuzz
def test_every_operation_keeps_its_contract_on_the_seeded_rows(live, tmp_path):
    base, seeded = live
    _pin_ids(tmp_path, seeded.ids)
    _run(base, seeded.tokens["generator"], "positive", tmp_path)
    _run(
        base,
        seeded.tokens["recycler"],
        "positive",
        tmp_path,
        "--include-path-regex",
        "demand|bids|manifests|filings|ledger",
    )


def test_the_description_is_generated_from_the_schemas(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    # 47 before the seven warning operations
    assert len([op for item in paths.values() for op in item if op != "parameters"]) == 54
    body = paths["/api/v1/listings/supply"]["post"]["requestBody"]["content"]["application/json"]
    supply = spec["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert supply["properties"]["quantity"]["minimum"] == 0.001
    assert supply["additionalProperties"] is False
    for item in paths.values():
        for op, doc in item.items():
            if op != "parameters":
                assert "default" not in doc["responses"], "every status is listed, no catch-all"
    ids = [p for item in paths.values() for p in item.get("parameters", [])]
    assert ids and all(re.fullmatch(r"\w+_id", p["name"]) for p in ids)
    assert all(p["schema"]["maximum"] == 2**31 - 1 for p in ids)
