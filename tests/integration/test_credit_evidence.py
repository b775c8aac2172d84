"""Evidence files: checked by content and size, kept outside the web root under their
SHA-256, and given only to the graded enterprise (once published) and its park's
administrators."""

import hashlib
from pathlib import Path

import pytest
from flask_babel import force_locale

from market.credit import files, queries, services
from market.credit.models import EvidenceFile
from market.errors import Conflict, DomainError, NotFound
from market.extensions import db
from tests import credit_flow as cf

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4


@pytest.fixture()
def folder(app, tmp_path):
    app.config["CREDIT_EVIDENCE_DIR"] = str(tmp_path / "evidence")
    yield tmp_path / "evidence"
    app.config["CREDIT_EVIDENCE_DIR"] = ""


@pytest.fixture()
def draft(world, folder):
    world.second, world.third = cf.admins()
    world.evaluation = services.open_evaluation(world.admin, world.generator.enterprise_id)
    with force_locale("en"):
        yield world


def attach(w, data=JPEG, name="库房.jpg", item="generator.storage_site"):
    return services.attach_evidence(w.admin, w.evaluation.id, item, files.Upload(name, data))


def test_a_photo_is_stored_by_its_hash_outside_the_web_root(draft, folder, app):
    row = attach(draft)
    digest = hashlib.sha256(JPEG).hexdigest()
    assert (row.sha256, row.stored_path, row.mime, row.size_bytes) == (
        digest, f"{digest}.jpg", "image/jpeg", len(JPEG))  # fmt: skip
    assert (folder / row.stored_path).read_bytes() == JPEG
    assert row.mark.item_key == "generator.storage_site" and row.uploaded_by_id == draft.admin.id
    assert ("attach", "draft", "draft") in cf.events(draft.evaluation)


def test_the_default_folder_is_in_the_instance_not_in_static(ctx, app):
    app.config["CREDIT_EVIDENCE_DIR"] = ""
    default = files.folder().resolve()
    assert default == (Path(app.instance_path) / "credit_evidence").resolve()
    assert Path(app.static_folder).resolve() not in default.parents


def test_the_same_content_twice_is_one_file(draft, folder):
    first, second = attach(draft), attach(draft, name="again.jpg", item="generator.reduction")
    assert first.stored_path == second.stored_path and len(list(folder.iterdir())) == 1


@pytest.mark.parametrize(
    "data, name, words",
    [
        (b"", "empty.jpg", "empty"),
        (b"<svg onload=alert(1)>", "photo.jpg", "PNG or JPEG"),  # the name lies
        (b"MZ\x90\x00", "scan.pdf", "PNG or JPEG"),
    ],
)
def test_a_file_refused_by_content_writes_nothing(draft, folder, data, name, words):
    with pytest.raises(DomainError) as refused:
        attach(draft, data, name)
    assert refused.value.field == "file" and words in refused.value.message
    assert not folder.exists() or not any(folder.iterdir())
    assert db.session.scalar(db.select(db.func.count(EvidenceFile.id))) == 0


def test_a_file_over_the_limit_is_refused(draft, app):
    app.config["CREDIT_EVIDENCE_MAX_BYTES"] = 1000
    try:
        with pytest.raises(DomainError) as refused:
            attach(draft)
        assert "larger than" in refused.value.message
    finally:
        app.config["CREDIT_EVIDENCE_MAX_BYTES"] = 5 << 20


def test_no_evidence_is_added_once_submitted(draft, folder):
    cf.mark_all(draft.admin, draft.evaluation)
    services.submit_evaluation(draft.admin, draft.evaluation.id)
    with pytest.raises(Conflict):
        attach(draft)
    assert not folder.exists()


def test_who_may_fetch_an_evidence_file(draft):
    row = attach(draft)
    assert queries.evidence_for(draft.admin, row.id)[1].read_bytes() == JPEG
    assert queries.evidence_for(draft.second, row.id)[0] is row
    for outsider in (draft.generator, draft.other, draft.admin_elsewhere, None):
        with pytest.raises(NotFound):
            queries.evidence_for(outsider, row.id)  # the enterprise: not before publication
    cf.mark_all(draft.admin, draft.evaluation)
    services.submit_evaluation(draft.admin, draft.evaluation.id)
    services.approve_evaluation(draft.second, draft.evaluation.id)
    assert queries.evidence_for(draft.generator, row.id)[0] is row
    with pytest.raises(NotFound):
        queries.evidence_for(draft.other, row.id)


def test_evidence_can_be_taken_off_a_draft(draft):
    row = attach(draft)
    services.remove_evidence(draft.admin, row.id)
    assert db.session.get(EvidenceFile, row.id) is None
    with pytest.raises(NotFound):
        services.remove_evidence(draft.admin, row.id)


def test_a_stored_name_never_leaves_the_folder(ctx, folder):
    with pytest.raises(ValueError):
        files.path_of("../secret.pdf")
