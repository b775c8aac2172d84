"""Who gets what on the filing and ledger pages: every new route against every visitor."""

from datetime import date

import pytest

from market.extensions import db
from market.manifests.filings import FilingInput, file_generation
from tests import ledger_factories as lf
from tests.conftest import csrf_token, login
from tests.functional.test_access import LOGIN, ROLES


def _expect(row: str, **by_role):
    default = by_role.pop("default")
    return [(row, role, by_role.get(role, default)) for role in ROLES]


MATRIX = [
    *_expect("GET /ledgers/filings", anonymous=LOGIN, generator=200, other=200, default=403),
    *_expect("POST /ledgers/filings", anonymous=LOGIN, generator=400, other=400, default=403),
    *_expect("GET amend", anonymous=LOGIN, generator=200, other=404, default=403),
    *_expect("POST amend", anonymous=LOGIN, generator=400, other=404, default=403),
    *_expect("GET /ledgers/", anonymous=LOGIN, transporter=403, admin=403, admin_elsewhere=403,
             default=200),
    *_expect("GET generator ledger", anonymous=LOGIN, generator=200, admin=200, default=403),
    *_expect("GET generator xlsx", anonymous=LOGIN, generator=200, admin=200, default=403),
    *_expect("GET generator csv", anonymous=LOGIN, generator=200, admin=200, default=403),
    *_expect("GET recycler ledger", anonymous=LOGIN, recycler=200, admin=200, default=403),
    *_expect("GET transporter ledger", anonymous=LOGIN, default=403),
    *_expect("GET /ledgers/status", anonymous=LOGIN, admin=200, admin_elsewhere=200,
             default=403),
    *_expect("POST generator tier", anonymous=LOGIN, admin=400, admin_elsewhere=404,
             default=403),
]  # fmt: skip


@pytest.fixture()
def ids(world):
    lf.tier(world.generator.enterprise, "monthly", date(2025, 1, 1))
    filing = file_generation(world.generator, FilingInput("ISW-17-01-01", "2025-03", 10))
    db.session.commit()
    return {
        "filing": filing.id,
        "generator": world.generator.enterprise_id,
        "recycler": world.recycler.enterprise_id,
        "transporter": world.transporter.enterprise_id,
    }


def _path(key: str, ids: dict) -> str:
    gen = f"/ledgers/enterprises/{ids['generator']}"
    paths = {
        "GET amend": f"/ledgers/filings/{ids['filing']}/amend",
        "POST amend": f"/ledgers/filings/{ids['filing']}/amend",
        "GET generator ledger": gen,
        "GET generator xlsx": f"{gen}/ledger.xlsx",
        "GET generator csv": f"{gen}/ledger.csv?table=storage",
        "GET recycler ledger": f"/ledgers/enterprises/{ids['recycler']}",
        "GET transporter ledger": f"/ledgers/enterprises/{ids['transporter']}",
        "POST generator tier": f"{gen}/tier",
    }
    return paths.get(key, key.partition(" ")[2])


@pytest.mark.parametrize(
    ("key", "role", "expected"), MATRIX, ids=[f"{k} as {r}" for k, r, _ in MATRIX]
)
def test_route_access(client, world, ids, key, role, expected):
    if role != "anonymous":
        login(client, getattr(world, role))
    path = _path(key, ids)
    if key.startswith("GET"):
        response = client.get(path)
    else:
        response = client.post(path, data={"csrf_token": csrf_token(client, "/login")})
    if expected == LOGIN:
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]
