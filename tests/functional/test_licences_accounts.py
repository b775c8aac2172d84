"""Licence review, suspension, colleagues, password reset and company details through
the pages, and who may open each of their routes."""

import logging
import re
from datetime import timedelta
from io import BytesIO

import pytest

from market.accounts import licences, team
from market.accounts.models import Invitation, Licence, PasswordReset, User
from market.db import utcnow
from market.extensions import db
from market.uploads import Upload
from tests import factories
from tests.conftest import csrf_token, login
from tests.functional.test_access import LOGIN, ROLES

PDF = b"%PDF-1.4\n% licence\n"


@pytest.fixture(autouse=True)
def _documents(app, tmp_path):
    app.config["LICENCE_DOCUMENT_DIR"] = str(tmp_path / "licences")
    yield
    app.config["LICENCE_DOCUMENT_DIR"] = ""


@pytest.fixture()
def admins(world):
    """The generator administers its enterprise; the recycler is a plain member."""
    world.generator.is_enterprise_admin = True
    db.session.commit()
    return world


def _post(client, path, data, page="/login", **kw):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data}, **kw)


def _submit(client, number="HW-NEW-1", document=PDF, name="licence.pdf"):
    today = factories.clock.today()
    data = {
        "number": number, "codes": "900-214-08", "capacity_t": "100",
        "valid_from": today.isoformat(), "valid_until": (today + timedelta(days=365)).isoformat(),
        "document": (BytesIO(document), name),
    }  # fmt: skip
    return _post(client, "/account/licences", data, "/account/licences",
                 content_type="multipart/form-data")  # fmt: skip


def _logout(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


def test_recycler_submits_admin_rejects_with_a_note_the_recycler_reads_it(client, world):
    login(client, world.recycler)
    assert _submit(client).status_code == 302
    page = client.get("/account/licences").get_data(as_text=True)
    assert "HW-NEW-1" in page and ("awaiting" in page or "待审核" in page)
    lic = db.session.execute(db.select(Licence).filter_by(number="HW-NEW-1")).scalar_one()
    document = client.get(f"/licences/{lic.id}/document")
    document.close()
    assert document.status_code == 200
    _logout(client)
    login(client, world.admin)
    assert "data-pending-licences" in client.get("/admin/").get_data(as_text=True)
    assert "HW-NEW-1" in client.get("/admin/licences").get_data(as_text=True)
    empty = _post(client, f"/admin/licences/{lic.id}/reject", {"note": ""}, "/admin/licences")
    assert empty.status_code == 400
    done = _post(client, f"/admin/licences/{lic.id}/reject", {"note": "有效期看不清"}, "/admin/")
    assert done.status_code == 302
    _logout(client)
    login(client, world.recycler)
    page = client.get("/account/licences").get_data(as_text=True)
    assert "有效期看不清" in page
    assert f"/account/licences/{lic.id}/resubmit" in page and 'value="HW-NEW-1"' in page
    assert 'value="900-214-08"' in page  # the codes as typed, not their rows
    today = factories.clock.today()
    p = f"licence-{lic.id}-"
    again = {
        f"{p}number": "HW-NEW-1", f"{p}codes": "900-214-08", f"{p}capacity_t": "80",
        f"{p}valid_from": today.isoformat(),
        f"{p}valid_until": (today + timedelta(days=30)).isoformat(),
        f"{p}csrf_token": csrf_token(client, "/account/licences"),
    }  # fmt: skip
    path = f"/account/licences/{lic.id}/resubmit"
    no_file = _post(client, path, again, "/account/licences", content_type="multipart/form-data")
    assert no_file.status_code == 400 and db.session.get(Licence, lic.id).status == "rejected"
    done = _post(
        client, path, {**again, f"{p}document": (BytesIO(PDF + b"v2"), "v2.pdf")},
        "/account/licences", content_type="multipart/form-data",
    )  # fmt: skip
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Licence, lic.id).status == "pending"


def test_a_licence_without_a_proper_document_is_refused_beside_the_field(client, world):
    login(client, world.recycler)
    response = _submit(client, document=b"MZ\x90\x00", name="virus.exe")
    assert response.status_code == 400
    assert "PDF" in response.get_data(as_text=True)
    assert not db.session.execute(db.select(Licence).filter_by(number="HW-NEW-1")).first()


def test_the_bid_form_says_the_licence_awaits_review(client, world):
    lot = factories.supply(world.generator)  # hazardous 900-214-08
    e = factories.enterprise(("recycler",))
    bidder = factories.user(e)
    lic = factories.licence(e, codes=("900-214-08",), approved=False)
    factories.demand(bidder, waste_codes=["900-214-08"], licence_id=lic.id)
    db.session.commit()
    login(client, bidder)
    page = client.get(f"/listings/supply/{lot.id}").get_data(as_text=True)
    assert "awaiting the park administrator" in page or "等待园区管理员审核" in page


def test_suspended_enterprise_sees_the_banner_and_its_lots_are_hidden(client, world):
    lot = factories.supply(world.generator)
    db.session.commit()
    login(client, world.admin)
    response = _post(
        client, f"/admin/enterprises/{world.generator.enterprise_id}/suspend",
        {"reason": "危废贮存不规范，整改中"}, "/admin/",
    )  # fmt: skip
    assert response.status_code == 302
    _logout(client)
    login(client, world.generator)
    page = client.get("/account").get_data(as_text=True)
    assert "data-suspended" in page and "危废贮存不规范" in page
    assert client.get("/listings/supply/new").status_code in (200, 403)
    _logout(client)
    login(client, world.recycler)
    assert client.get(f"/listings/supply/{lot.id}").status_code == 404
    assert lot.title not in client.get("/listings/?kind=supply").get_data(as_text=True)


def test_invitation_is_accepted_once_and_refused_when_expired(client, admins, caplog):
    login(client, admins.generator)
    with caplog.at_level(logging.WARNING):
        response = _post(
            client, "/account/team/invite", {"email": "new@x.example"}, "/account/team"
        )
    assert response.status_code == 302
    link = re.search(r"/invite/([\w-]+)", caplog.text)
    assert link, caplog.text
    token = link.group(1)
    row = db.session.execute(db.select(Invitation)).scalar_one()
    assert token not in row.token_hash  # only the hash is stored
    _logout(client)
    data = {"name": "李新", "password": "a-long-pass", "confirm": "a-long-pass"}
    assert _post(client, f"/invite/{token}", data, f"/invite/{token}").status_code == 302
    joined = db.session.execute(db.select(User).filter_by(email="new@x.example")).scalar_one()
    assert joined.enterprise_id == admins.generator.enterprise_id
    assert not joined.is_enterprise_admin
    _logout(client)
    assert client.get(f"/invite/{token}").status_code == 404  # used
    _row, second = team.invite(admins.generator, "late@x.example")
    _row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/invite/{second}").status_code == 404  # expired


def test_a_deactivated_colleagues_open_session_ends(client, admins):
    colleague = factories.user(admins.generator.enterprise)
    db.session.commit()
    login(client, colleague)
    assert client.get("/account").status_code == 200
    team.deactivate(admins.generator, colleague.id)
    db.session.commit()
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_administrator_deactivates_a_colleague_but_not_the_last_administrator(client, admins):
    colleague = factories.user(admins.generator.enterprise)
    db.session.commit()
    login(client, admins.generator)
    page = client.get("/account/team").get_data(as_text=True)
    assert colleague.email in page
    assert (
        _post(client, f"/account/team/{colleague.id}/deactivate", {}, "/account").status_code == 302
    )
    assert db.session.get(User, colleague.id).active is False
    me = _post(client, f"/account/team/{admins.generator.id}/deactivate", {}, "/account")
    assert me.status_code == 409
    assert db.session.get(User, admins.generator.id).active


def test_password_reset_link_works_once_and_does_not_reveal_accounts(client, world, caplog):
    with caplog.at_level(logging.WARNING):
        known = _post(client, "/password/forgot", {"email": world.recycler.email})
        unknown = _post(client, "/password/forgot", {"email": "nobody@x.example"})
    strip = lambda r: re.sub(r'value="[^"]+"', "", r.get_data(as_text=True))  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert strip(known) == strip(unknown)
    tokens = re.findall(r"/password/reset/([\w-]+)", caplog.text)
    assert len(tokens) == 1
    path = f"/password/reset/{tokens[0]}"
    short = _post(client, path, {"password": "short", "confirm": "short"}, path)
    assert short.status_code == 400
    new = {"password": "brand-new-pass", "confirm": "brand-new-pass"}
    assert _post(client, path, new, path).status_code == 302
    login(client, db.session.get(User, world.recycler.id), password="brand-new-pass")
    _logout(client)
    assert client.get(path).status_code == 404  # single use


def test_an_expired_reset_link_is_refused(client, world):
    token = team.request_reset(world.recycler.email)
    db.session.execute(db.update(PasswordReset).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert client.get(f"/password/reset/{token}").status_code == 404


def test_company_details_are_validated_and_name_and_code_stay(client, admins):
    login(client, admins.generator)
    page = client.get("/account/company").get_data(as_text=True)
    assert admins.generator.enterprise.uscc in page
    base = {"contact_name": "赵工", "contact_email": "", "address": "北区 8 号", "industry": "化工"}
    bad = _post(client, "/account/company", {**base, "contact_phone": "abc"}, "/account/company")
    assert bad.status_code == 400
    assert "area code" in bad.get_data(as_text=True) or "区号" in bad.get_data(as_text=True)
    good = {**base, "contact_phone": "010-12345678", "name": "改名", "uscc": "X"}
    assert _post(client, "/account/company", good, "/account/company").status_code == 302
    e = db.session.get(type(admins.generator.enterprise), admins.generator.enterprise_id)
    assert e.contact_phone == "010-12345678" and e.address == "北区 8 号"
    assert e.name != "改名" and e.uscc != "X"


def test_a_member_who_is_not_an_administrator_may_not_edit_or_invite(client, admins):
    login(client, admins.recycler)
    assert client.get("/account/company").status_code == 403
    assert client.get("/account/team").status_code == 403


# Who may open each new route (the generator administers its enterprise).
def _expect(row: str, **by_role):
    default = by_role.pop("default")
    return [(row, role, by_role.get(role, default)) for role in ROLES]


ADMINS = {"admin": 200, "admin_elsewhere": 200}
MATRIX = [
    *_expect("GET /account/licences", anonymous=LOGIN, recycler=200, default=403),
    *_expect("POST /account/licences", anonymous=LOGIN, recycler=400, default=403),
    *_expect("POST resubmit", anonymous=LOGIN, recycler=409, admin=403, admin_elsewhere=403,
             default=404),
    *_expect("GET document", anonymous=LOGIN, recycler=200, admin=200, default=404),
    *_expect("GET /admin/licences", anonymous=LOGIN, default=403, **ADMINS),
    *_expect("GET licence review", anonymous=LOGIN, admin=200, admin_elsewhere=404, default=403),
    *_expect("POST approve", anonymous=LOGIN, admin=302, admin_elsewhere=404, default=403),
    *_expect("POST reject", anonymous=LOGIN, admin=400, admin_elsewhere=404, default=403),
    *_expect("POST suspend", anonymous=LOGIN, admin=302, admin_elsewhere=404, default=403),
    *_expect("POST reinstate", anonymous=LOGIN, admin=409, admin_elsewhere=404, default=403),
    *_expect("GET /account/team", anonymous=LOGIN, generator=200, admin=403,
             admin_elsewhere=403, default=403),
    *_expect("POST /account/team/invite", anonymous=LOGIN, generator=400, default=403),
    *_expect("POST deactivate colleague", anonymous=LOGIN, generator=302, default=403),
    *_expect("GET invitation", default=200),
    *_expect("GET /invite/not-a-token", default=404),
    *_expect("GET /password/forgot", default=200),
    *_expect("POST /password/forgot", default=400),  # no address given
    *_expect("GET reset link", default=200),
    *_expect("GET /password/reset/not-a-token", default=404),
    *_expect("GET /account/company", anonymous=LOGIN, generator=200, default=403),
    # fields not sent keep their saved values (WTForms reads the row for them)
    *_expect("POST /account/company", anonymous=LOGIN, generator=302, default=403),
]  # fmt: skip


@pytest.fixture()
def ids(admins):
    recycler = admins.recycler
    lic = recycler.enterprise.licences[0]
    pending = factories.licence(recycler.enterprise, codes=("900-214-08",), approved=False)
    pending.document_path, pending.document_name, pending.document_mime = (
        "x.pdf",
        "x.pdf",
        "application/pdf",
    )
    stored = licences.DOCUMENTS.store(Upload("x.pdf", PDF))
    pending.document_path = stored.stored_path
    colleague = factories.user(admins.generator.enterprise)
    _row, invitation = team.invite(admins.generator, "invitee@x.example")
    reset = team.request_reset(admins.transporter.email)
    db.session.commit()
    return {"licence": lic.id, "pending": pending.id, "colleague": colleague.id,
            "invitation": invitation, "reset": reset,
            "enterprise": admins.generator.enterprise_id}  # fmt: skip


def _request(client, key: str, ids: dict):
    paths = {
        "POST resubmit": f"/account/licences/{ids['licence']}/resubmit",
        "GET document": f"/licences/{ids['pending']}/document",
        "GET licence review": f"/admin/licences/{ids['pending']}",
        "POST approve": f"/admin/licences/{ids['pending']}/approve",
        "POST reject": f"/admin/licences/{ids['pending']}/reject",
        "POST suspend": f"/admin/enterprises/{ids['enterprise']}/suspend",
        "POST reinstate": f"/admin/enterprises/{ids['enterprise']}/reinstate",
        "POST deactivate colleague": f"/account/team/{ids['colleague']}/deactivate",
        "GET invitation": f"/invite/{ids['invitation']}",
        "GET reset link": f"/password/reset/{ids['reset']}",
    }
    method, _, path = key.partition(" ")
    path = paths.get(key, path)
    if method == "GET":
        response = client.get(path)
        response.close()
        return response
    data = {"csrf_token": csrf_token(client, "/login"), "reason": "检查", "email": ""}
    return client.post(path, data=data)


@pytest.mark.parametrize(
    ("key", "role", "expected"), MATRIX, ids=[f"{k} as {r}" for k, r, _ in MATRIX]
)
def test_route_access(client, admins, ids, key, role, expected):
    if role != "anonymous":
        login(client, getattr(admins, role))
    response = _request(client, key, ids)
    if expected == LOGIN:
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]


def test_the_matrix_covers_every_new_route(app):
    ours = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("team.", "review."))
        or rule.endpoint
        in ("accounts.licences", "accounts.resubmit_licence", "accounts.licence_document")
    }
    assert ours == {
        "team.index", "team.invite", "team.deactivate", "team.accept", "team.forgot",
        "team.reset", "team.company", "review.queue", "review.detail", "review.decide",
        "review.suspend", "review.reinstate", "accounts.licences", "accounts.resubmit_licence",
        "accounts.licence_document",
    }  # fmt: skip
