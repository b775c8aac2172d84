"""Backups: `flask backup create` writes one archive (database, uploaded files, manifest with
checksums and the alembic revision); `flask backup restore` brings it all back — into the same
database after a change, or into an empty one on a "new machine" — then verifies every
manifest chain. A changed, incomplete, foreign or too new archive is refused before anything
is touched, with a message, never a traceback."""

import hashlib
import io
import json
import os
import shutil
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from market.app import create_app
from market.backup import DUMPS, MANIFEST
from market.config import TestConfig
from market.extensions import db
from market.manifests import services as svc
from market.manifests.models import Manifest
from tests.manifest_flow import trip

STORES = {
    "CREDIT_EVIDENCE_DIR": "credit_evidence",
    "LISTING_FILES_DIR": "listing_files",
    "LICENCE_DOCUMENT_DIR": "licences",
}


def dialect() -> str:
    return db.engine.dialect.name


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def point_uploads(app, root: Path) -> dict[str, Path]:
    folders = {}
    for key, name in STORES.items():
        folders[name] = root / name
        app.config[key] = str(folders[name])
    return folders


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    """The session app's upload folders moved to tmp, one file in each (two in one)."""
    saved = {key: app.config.get(key) for key in STORES}
    folders = point_uploads(app, tmp_path / "uploads")
    for name, folder in folders.items():
        (folder / "7").mkdir(parents=True)
        (folder / "7" / f"{name}.pdf").write_bytes(b"%PDF-1.4 " + name.encode())
    (folders["listing_files"] / "7" / "photo.png").write_bytes(b"\x89PNG not really")
    yield folders
    app.config.update(saved)


@pytest.fixture()
def manifests(world):
    t = trip(world)
    return [t.closed(5_000, 5_000).number, t.closed(5_000, 4_990).number]


def sql(statement: str, **params) -> None:
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(text(statement), params)
    db.session.expire_all()


def weights() -> list[str]:
    return list(
        db.session.execute(text("SELECT content FROM manifest_events ORDER BY id")).scalars()
    )


def backup(app, tmp_path) -> Path:
    archive = tmp_path / "out" / "market.tar.gz"
    result = cli(app, "backup", "create", "--to", str(archive))
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output and archive.is_file()
    return archive


def read_archive(path: Path) -> tuple[dict, dict[str, bytes]]:
    with tarfile.open(path) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    return json.loads(members.pop(MANIFEST)), members


def write_archive(path: Path, manifest: dict, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, body in {MANIFEST: json.dumps(manifest).encode(), **members}.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return path


def refused(app, path, *words):
    result = cli(app, "backup", "restore", str(path), "--yes")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for word in words:
        assert word in result.output, result.output
    return result


# --- the archive -------------------------------------------------------------------------


def test_the_archive_holds_the_database_the_files_and_their_checksums(
    app, manifests, uploads, tmp_path
):
    manifest, members = read_archive(backup(app, tmp_path))
    assert manifest["database"] == dialect()
    assert (
        manifest["alembic_revision"]
        == db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    )
    assert manifest["created_at"].endswith("+00:00")
    assert manifest["stores"] == {"credit_evidence": 1, "listing_files": 2, "licences": 1}
    assert (
        set(members)
        == set(manifest["parts"])
        == {
            DUMPS[dialect()],
            "files/credit_evidence/7/credit_evidence.pdf",
            "files/listing_files/7/listing_files.pdf",
            "files/listing_files/7/photo.png",
            "files/licences/7/licences.pdf",
        }
    )
    for name, body in members.items():
        assert manifest["parts"][name] == hashlib.sha256(body).hexdigest()


def test_keep_deletes_all_but_the_newest_archives(app, ctx, tmp_path):
    folder = tmp_path / "daily"
    folder.mkdir()
    for stamp in ("20261101T020000Z", "20261102T020000Z", "20261103T020000Z"):
        (folder / f"market-{stamp}.tar.gz").write_bytes(b"old")
    (folder / "other.tar.gz").write_bytes(b"not ours")
    newest = folder / "market-20261104T020000Z.tar.gz"
    result = cli(app, "backup", "create", "--to", str(newest), "--keep", "2")
    assert result.exit_code == 0, result.output
    assert "deleted 2" in result.output
    assert sorted(p.name for p in folder.iterdir()) == [
        "market-20261103T020000Z.tar.gz",
        "market-20261104T020000Z.tar.gz",
        "other.tar.gz",
    ]


def test_without_the_postgresql_tools_a_clear_message(app, ctx, tmp_path, monkeypatch):
    if dialect() != "postgresql":
        pytest.skip("SQLite needs no outside tool")
    monkeypatch.setattr("market.backup.shutil.which", lambda name: None)
    result = cli(app, "backup", "create", "--to", str(tmp_path / "x.tar.gz"))
    assert result.exit_code == 1 and "pg_dump is not installed" in result.output
    assert not list(tmp_path.glob("x.tar.gz*"))


# --- restore: round trips ----------------------------------------------------------------


def test_restore_brings_back_changed_rows_and_files_and_verifies_the_chains(
    app, manifests, uploads, tmp_path
):
    archive = backup(app, tmp_path)
    before = weights()
    sql(
        "UPDATE manifest_events SET content = REPLACE(content, '4990', '5990') "
        "WHERE event = 'receive'"
    )
    sql("DELETE FROM users WHERE email LIKE 'transporter%'")
    (uploads["licences"] / "7" / "licences.pdf").write_bytes(b"overwritten")
    (uploads["credit_evidence"] / "new.pdf").write_bytes(b"uploaded after the backup")
    shutil.rmtree(uploads["listing_files"])
    assert svc.verify_chains() != []
    kept = uploads["licences"].stat().st_ino  # the folder stays: it may be a mount

    result = cli(app, "backup", "restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    assert "Every manifest chain verifies" in result.output
    assert "Migrated" not in result.output  # same revision: nothing to migrate
    assert weights() == before
    assert svc.verify_chains() == []
    assert {m.number for m in db.session.scalars(db.select(Manifest))} == set(manifests)
    assert (uploads["licences"] / "7" / "licences.pdf").read_bytes() == b"%PDF-1.4 licences"
    assert not (uploads["credit_evidence"] / "new.pdf").exists()
    assert uploads["licences"].stat().st_ino == kept
    assert sorted(p.name for p in (uploads["listing_files"] / "7").iterdir()) == [
        "listing_files.pdf",
        "photo.png",
    ]


@pytest.fixture()
def scratch_url(app, ctx, tmp_path):
    """An empty database of the session's kind: a new SQLite file, or a new PostgreSQL
    database named after the test database (<name>_restore)."""
    if dialect() == "sqlite":
        yield f"sqlite:///{tmp_path / 'new-machine.db'}"
        return
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore not installed")
    url = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{url.database}_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_restore_on_a_new_machine_into_an_empty_database(
    app, manifests, uploads, tmp_path, scratch_url
):
    archive = backup(app, tmp_path)
    before = weights()

    class NewMachine(TestConfig):
        SQLALCHEMY_DATABASE_URI = scratch_url

    other = create_app(NewMachine)
    folders = point_uploads(other, tmp_path / "new-machine")
    try:
        with other.app_context():
            result = cli(other, "backup", "restore", str(archive), "--yes")
            assert result.exit_code == 0, result.output
            assert "Every manifest chain verifies" in result.output
            assert svc.verify_chains() == []
            assert weights() == before
            numbers = {m.number for m in db.session.scalars(db.select(Manifest))}
            assert numbers == set(manifests)
            db.session.remove()
    finally:
        with other.app_context():
            db.engine.dispose()
    assert (folders["listing_files"] / "7" / "photo.png").read_bytes() == b"\x89PNG not really"
    assert (folders["licences"] / "7" / "licences.pdf").is_file()


def test_an_older_archive_is_restored_then_migrated_to_this_code(app, tmp_path, scratch_url):
    """The database was migrated after the backup (a deploy); restoring yesterday's archive
    brings back the old schema whole — no table of the newer migration left over — then
    upgrades it."""
    from flask_migrate import upgrade

    from market.backup import known_revisions

    class Machine(TestConfig):
        SQLALCHEMY_DATABASE_URI = scratch_url

    other = create_app(Machine)
    point_uploads(other, tmp_path / "machine")
    archive = tmp_path / "old.tar.gz"
    try:
        with other.app_context():
            from market.backup import _script_directory

            _, head = known_revisions()
            previous = _script_directory().get_revision(head).down_revision
            upgrade(revision=previous)
            assert cli(other, "backup", "create", "--to", str(archive)).exit_code == 0
            upgrade()
            db.engine.dispose()
            result = cli(other, "backup", "restore", str(archive), "--yes")
            assert result.exit_code == 0, result.output
            assert f"revision {previous}" in result.output
            assert f"Migrated up to this code's revision {head}" in result.output
            version = db.session.execute(text("SELECT version_num FROM alembic_version"))
            assert version.scalar() == head
            assert "Every manifest chain verifies" in result.output
            db.session.remove()
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_manifest_changed_inside_the_archived_database_is_named_after_restore(
    app, manifests, tmp_path
):
    """Checksums recomputed by whoever changed the dump: the archive restores, but the
    chain verification names the manifest and the command fails."""
    if dialect() != "sqlite":
        pytest.skip("edits the SQLite dump in place")
    import sqlite3

    manifest, members = read_archive(backup(app, tmp_path))
    dump = tmp_path / "dump.sqlite3"
    dump.write_bytes(members[DUMPS["sqlite"]])
    with sqlite3.connect(dump) as conn:
        conn.execute(
            "UPDATE manifest_events SET content = REPLACE(content, '4990', '5990') "
            "WHERE event = 'receive'"
        )
    conn.close()
    members[DUMPS["sqlite"]] = dump.read_bytes()
    manifest["parts"][DUMPS["sqlite"]] = hashlib.sha256(dump.read_bytes()).hexdigest()
    forged = write_archive(tmp_path / "forged.tar.gz", manifest, members)
    result = cli(app, "backup", "restore", str(forged), "--yes")
    assert result.exit_code == 1
    assert "TAMPERED" in result.output and manifests[1] in result.output
    assert manifests[0] not in result.output
    assert "1 manifests fail verification" in result.output


# --- restore: refusals -------------------------------------------------------------------


def test_a_tampered_file_is_refused_and_nothing_changes(app, manifests, uploads, tmp_path):
    manifest, members = read_archive(backup(app, tmp_path))
    members["files/licences/7/licences.pdf"] = b"%PDF-1.4 forged"
    forged = write_archive(tmp_path / "forged.tar.gz", manifest, members)
    (uploads["credit_evidence"] / "new.pdf").write_bytes(b"kept")
    before = weights()
    refused(app, forged, "Checksums do not match", "files/licences/7/licences.pdf", "Refused")
    assert weights() == before
    assert (uploads["credit_evidence"] / "new.pdf").read_bytes() == b"kept"


def test_a_tampered_database_dump_is_refused(app, manifests, uploads, tmp_path):
    manifest, members = read_archive(backup(app, tmp_path))
    name = DUMPS[dialect()]
    members[name] = members[name][:-1] + bytes([members[name][-1] ^ 1])
    refused(app, write_archive(tmp_path / "f.tar.gz", manifest, members), name)


def test_members_missing_or_not_listed_are_refused(app, uploads, ctx, tmp_path):
    manifest, members = read_archive(backup(app, tmp_path))
    del members["files/listing_files/7/photo.png"]
    refused(app, write_archive(tmp_path / "a.tar.gz", manifest, members), "missing")
    manifest, members = read_archive(backup(app, tmp_path))
    members["files/licences/extra.pdf"] = b"smuggled"
    refused(app, write_archive(tmp_path / "b.tar.gz", manifest, members), "not listed")


def test_a_newer_revision_is_refused(app, ctx, tmp_path):
    manifest, members = read_archive(backup(app, tmp_path))
    manifest["alembic_revision"] = "9999_from_the_future"
    refused(
        app,
        write_archive(tmp_path / "new.tar.gz", manifest, members),
        "9999_from_the_future",
        "newer",
    )


def test_the_other_database_kind_is_refused(app, ctx, tmp_path):
    manifest, members = read_archive(backup(app, tmp_path))
    other = "postgresql" if dialect() == "sqlite" else "sqlite"
    body = members.pop(DUMPS[dialect()])
    members[DUMPS[other]] = body
    manifest["database"] = other
    manifest["parts"] = {
        DUMPS[other] if k == DUMPS[dialect()] else k: v for k, v in manifest["parts"].items()
    }
    expected = "holds a PostgreSQL database" if other == "postgresql" else "holds a SQLite"
    refused(app, write_archive(tmp_path / "other.tar.gz", manifest, members), expected)


def test_inputs_are_checked_with_clear_messages(app, ctx, tmp_path):
    refused(app, tmp_path / "nothing.tar.gz", "No file")
    (tmp_path / "notes.txt").write_text("not an archive")
    refused(app, tmp_path / "notes.txt", "not a backup archive")
    with tarfile.open(tmp_path / "plain.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "notes.txt", arcname="notes.txt")
    refused(app, tmp_path / "plain.tar.gz", "no manifest.json")
    result = cli(app, "backup", "create", "--to", str(tmp_path))
    assert result.exit_code != 0 and "Traceback" not in result.output


def test_nested_upload_folders_are_refused(app, ctx, uploads, tmp_path):
    app.config["LICENCE_DOCUMENT_DIR"] = str(uploads["listing_files"] / "licences")
    result = cli(app, "backup", "create", "--to", str(tmp_path / "x.tar.gz"))
    assert result.exit_code == 1 and "lies inside the listing_files folder" in result.output


def test_restore_asks_before_replacing_and_only_about_a_sound_archive(app, ctx, tmp_path):
    archive = backup(app, tmp_path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", "restore", str(archive)], input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert "The archive checks out" in result.output and "Replace the database" in result.output
    result = runner.invoke(args=["backup", "restore", str(archive)], input="y\n")
    assert result.exit_code == 0 and "Every manifest chain verifies" in result.output
    (tmp_path / "notes.txt").write_text("not an archive")
    result = runner.invoke(args=["backup", "restore", str(tmp_path / "notes.txt")], input="y\n")
    assert result.exit_code == 1 and "not a backup archive" in result.output
    assert "Replace the database" not in result.output
