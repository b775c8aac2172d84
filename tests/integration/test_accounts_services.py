"""Enterprise registration, users, licences and login on a real database."""

from datetime import timedelta

import pytest

from market import clock
from market.accounts import services
from market.accounts.models import Enterprise, Licence
from market.errors import Conflict, DomainError
from market.extensions import db
from tests import factories


def test_register_normalises_the_code_and_keeps_roles(ctx):
    e = factories.enterprise(("generator", "transporter"), uscc=" 91110108 551385082q ")
    assert e.uscc == "91110108551385082Q"
    assert [str(r) for r in e.roles] == ["generator", "transporter"]


def test_an_enterprise_needs_a_role(ctx):
    with pytest.raises(DomainError):
        factories.enterprise(roles=())


def test_duplicate_codes_are_refused(ctx):
    code = factories.valid_uscc()
    factories.enterprise(uscc=code)
    with pytest.raises(Conflict):
        factories.enterprise(uscc=code)
    assert db.session.scalar(db.select(db.func.count(Enterprise.id))) == 1


def test_licences_only_for_recyclers_and_only_known_codes(ctx):
    gen = factories.enterprise(("generator",))
    with pytest.raises(DomainError):
        factories.licence(gen)
    rec = factories.enterprise(("recycler",))
    with pytest.raises(DomainError) as info:
        factories.licence(rec, codes=["900-214-08", "123-456-78"])
    assert "123-456-78" in info.value.message
    with pytest.raises(DomainError):
        factories.licence(rec, valid_from=clock.today(), valid_until=clock.today() - timedelta(1))
    assert db.session.scalar(db.select(db.func.count(Licence.id))) == 0


def test_authenticate_checks_the_password_and_ignores_case_of_email(ctx):
    user = factories.user(factories.enterprise(), email="Mixed@Case.example")
    assert services.authenticate("mixed@case.EXAMPLE", factories.PASSWORD) == user
    assert services.authenticate("mixed@case.example", "wrong") is None
    assert services.authenticate("nobody@case.example", factories.PASSWORD) is None
    user.active = False
    assert services.authenticate("mixed@case.example", factories.PASSWORD) is None


def test_passwords_are_hashed(ctx):
    user = factories.user(factories.enterprise())
    assert factories.PASSWORD not in user.password_hash
