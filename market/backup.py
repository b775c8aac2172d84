"""Backups: one tar.gz holding the database (SQLite through its online backup API, consistent
while the app runs; PostgreSQL through `pg_dump -Fc`), every uploaded file (credit evidence,
listing attachments, licence documents) and manifest.json — the alembic revision, the time,
and the sha256 of every part.

Restore checks the whole archive (members, checksums, database kind, revision) before it
touches anything, then replaces the database and the upload folders and migrates an older
archive up to this code's revision. `flask backup create|restore` (market/cli.py) call it."""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from flask import current_app
from sqlalchemy import inspect as inspect_db
from sqlalchemy import text
from sqlalchemy.engine import URL

from market import clock
from market.extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why, for the command line."""


@dataclass
class Restored:
    revision: str
    migrated_to: str | None  # the head it was upgraded to, if the archive was older
    files: dict[str, int] = field(default_factory=dict)  # store name -> files restored


def stores() -> dict[str, Path]:
    """Every folder of uploaded files, by a stable name (its default subfolder). Refused
    when one lies inside another: a restore empties each folder."""
    from market.accounts.licences import DOCUMENTS
    from market.credit.files import STORE as EVIDENCE
    from market.listings.attachments import STORE as ATTACHMENTS

    found = {s.subfolder: s.folder().resolve() for s in (EVIDENCE, ATTACHMENTS, DOCUMENTS)}
    for name, folder in found.items():
        for other, inner in found.items():
            if other != name and inner.is_relative_to(folder):
                raise BackupError(
                    f"The {other} folder {inner} lies inside the {name} folder {folder}; "
                    "give each kind of upload its own folder."
                )
    return found


def database_kind() -> str:
    name = db.engine.dialect.name
    if name not in DUMPS:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {name}.")
    return name


def current_revision() -> str | None:
    """The database's alembic revision (None: never migrated)."""
    with db.engine.connect() as conn:
        if not inspect_db(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _script_directory():
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions["migrate"]
    return ScriptDirectory(str(Path(current_app.root_path).parent / migrate.directory))


def known_revisions() -> tuple[set[str], str]:
    """Every revision this code's migrations know, and their head."""
    script = _script_directory()
    return {r.revision for r in script.walk_revisions()}, script.get_current_head()


def default_path() -> Path:
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    return Path(current_app.instance_path) / "backups" / f"market-{stamp}.tar.gz"


# --- create ------------------------------------------------------------------------------


def create(path: Path | None = None) -> tuple[Path, dict]:
    """Write the archive to `path` (default instance/backups/market-<UTC time>.tar.gz)."""
    kind = database_kind()
    path = Path(path) if path else default_path()
    if path.is_dir():
        raise BackupError(f"{path} is a folder; give a file name ending in .tar.gz.")
    path.parent.mkdir(parents=True, exist_ok=True)
    revision = current_revision()
    with tempfile.TemporaryDirectory(prefix="market-backup-") as tmp:
        dump = Path(tmp) / DUMPS[kind]
        _dump_sqlite(dump) if kind == "sqlite" else _dump_postgresql(dump)
        parts = {DUMPS[kind]: (dump, _sha256(dump))}
        counts = {}
        for name, folder in stores().items():
            files = _files(folder)
            counts[name] = len(files)
            for file in files:
                arcname = f"files/{name}/{file.relative_to(folder).as_posix()}"
                parts[arcname] = (file, _sha256(file))
        manifest = {
            "format": FORMAT,
            "created_at": clock.now().isoformat(timespec="seconds"),
            "database": kind,
            "alembic_revision": revision,
            "stores": counts,
            "parts": {arcname: digest for arcname, (_, digest) in parts.items()},
        }
        partial = path.with_name(path.name + ".partial")
        try:
            _write(partial, manifest, parts)
        except BaseException:
            partial.unlink(missing_ok=True)  # never a half-written archive under any name
            raise
        os.replace(partial, path)
    return path, manifest


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and STAGING not in p.relative_to(folder).parts
    )


def _write(out: Path, manifest: dict, parts: dict[str, tuple[Path, str]]) -> None:
    with tarfile.open(out, "w:gz") as tar:
        body = json.dumps(manifest, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(body), int(clock.now().timestamp()), 0o600
        tar.addfile(info, io.BytesIO(body))
        for arcname, (source, _) in parts.items():
            tar.add(source, arcname=arcname, recursive=False)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest archives named market-<time>.tar.gz in `folder`
    (the names sort by time); the ones deleted."""
    archives = sorted(folder.glob("market-*.tar.gz"))
    gone = archives[: max(len(archives) - keep, 0)]
    for path in gone:
        path.unlink()
    return gone


def _sqlite_file() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:":
        raise BackupError("The database is in memory; there is nothing on disk to back up.")
    return Path(database)


def _dump_sqlite(out: Path) -> None:
    source = sqlite3.connect(_sqlite_file())
    target = sqlite3.connect(out)
    try:
        with target:
            source.backup(target)  # the online backup API: a consistent copy while others write
    finally:
        target.close()
        source.close()


def _libpq(url: URL) -> tuple[str, dict]:
    """A libpq address for pg_dump/pg_restore, the password passed in the environment."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return found


def _run(args: list[str], env: dict) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _dump_postgresql(out: Path) -> None:
    address, env = _libpq(db.engine.url)
    _run([_tool("pg_dump"), "-Fc", "--file", str(out), "--dbname", address], env)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- restore -----------------------------------------------------------------------------


def inspect(path: Path, into: Path) -> dict:
    """Unpack the archive into `into` and return its manifest, or refuse it: not an archive,
    members missing, unexpected or unsafe, a checksum that does not match, the wrong
    database kind, or a revision this code does not know (newer than its migrations)."""
    path = Path(path)
    if not path.exists():
        raise BackupError(f"No file {path}.")
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    if not tarfile.is_tarfile(path):
        raise BackupError(f"{path} is not a backup archive (a .tar.gz made by flask backup).")
    try:
        with tarfile.open(path, "r:*") as tar:
            manifest = _unpack(tar, into)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{path} is damaged: {error}.") from error
    kind = database_kind()
    if manifest["database"] != kind:
        raise BackupError(
            f"This archive holds a {KINDS.get(manifest['database'], manifest['database'])} "
            f"database; this app uses {KINDS[kind]}."
        )
    revision = manifest.get("alembic_revision")
    known, head = known_revisions()
    if not isinstance(revision, str):
        raise BackupError("The archive's database was never migrated (no alembic revision).")
    if revision not in known:
        raise BackupError(
            f"The archive's database is at revision {revision}, which this code's migrations "
            f"do not know (their head is {head}): it is newer. Restore it with newer code."
        )
    return manifest


def _unpack(tar: tarfile.TarFile, into: Path) -> dict:
    members = _members(tar)
    manifest = _read_manifest(tar, members.pop(MANIFEST))
    parts = manifest["parts"]
    missing = sorted(set(parts) - set(members))
    extra = sorted(set(members) - set(parts))
    if missing or extra:
        said = [f"missing {', '.join(missing)}"] if missing else []
        said += [f"not listed {', '.join(extra)}"] if extra else []
        raise BackupError(f"The archive does not match its manifest: {'; '.join(said)}. Refused.")
    bad = sorted(
        name for name, member in members.items() if _extract(tar, member, into) != parts[name]
    )
    if bad:
        raise BackupError(
            f"Checksums do not match for {', '.join(bad)}: the archive was changed "
            "or damaged. Refused; nothing was restored."
        )
    return manifest


def _members(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    members = {}
    for member in tar.getmembers():
        name = PurePosixPath(member.name)
        if not member.isfile() or name.is_absolute() or ".." in name.parts:
            raise BackupError(f"The archive holds an unexpected entry {member.name!r}; refused.")
        if member.name in members:
            raise BackupError(f"The archive holds {member.name!r} twice; refused.")
        members[member.name] = member
    if MANIFEST not in members:
        raise BackupError("The archive has no manifest.json; it was not made by flask backup.")
    return members


def _read_manifest(tar: tarfile.TarFile, member: tarfile.TarInfo) -> dict:
    try:
        manifest = json.load(tar.extractfile(member))
        parts = manifest["parts"]
        ok = isinstance(parts, dict) and all(isinstance(v, str) for v in parts.values())
        fmt = manifest.get("format")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupError("The archive's manifest.json is unreadable; refused.") from error
    if not ok or fmt != FORMAT:
        raise BackupError(f"Unknown archive format {fmt!r} or unreadable manifest; refused.")
    if DUMPS.get(str(manifest.get("database"))) not in parts:
        raise BackupError("The archive's manifest names no database dump; refused.")
    return manifest


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, into: Path) -> str:
    """Write one member under `into`; its sha256."""
    target = into / member.name
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tar.extractfile(member) as source, open(target, "wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def restore(path: Path, confirm: Callable[[dict], None] | None = None) -> Restored:
    """Replace the database and the upload folders with the archive's, then bring the
    database up to this code's migrations. Nothing changes when the archive is refused, or
    when `confirm` (called with the checked archive's manifest) raises."""
    with tempfile.TemporaryDirectory(prefix="market-restore-") as tmp:
        unpacked = Path(tmp)
        manifest = inspect(path, unpacked)
        if confirm is not None:
            confirm(manifest)
        kind = manifest["database"]
        if kind == "postgresql":
            _tool("pg_restore"), _tool("psql")  # before anything changes
        db.session.remove()
        db.engine.dispose()  # no pooled connection keeps the old schema or file open
        dump = unpacked / DUMPS[kind]
        _load_sqlite(dump) if kind == "sqlite" else _load_postgresql(dump)
        db.engine.dispose()
        files = _restore_files(unpacked / "files", manifest.get("stores", {}))
    revision = manifest["alembic_revision"]
    migrated_to = None
    _, head = known_revisions()
    if revision != head:
        from flask_migrate import upgrade

        upgrade()
        migrated_to = head
    return Restored(revision=revision, migrated_to=migrated_to, files=files)


def _load_sqlite(dump: Path) -> None:
    source = sqlite3.connect(dump)
    target = sqlite3.connect(_sqlite_file(), timeout=30)
    try:
        with target:
            source.backup(target)  # page by page, under the target's lock: all or nothing
    finally:
        target.close()
        source.close()


def _load_postgresql(dump: Path) -> None:
    """pg_restore --clean --if-exists writes the restore as SQL; psql runs it in one
    transaction after emptying the public schema, so tables a newer migration added do not
    outlive an older archive, and a failure anywhere leaves the database as it was."""
    address, env = _libpq(db.engine.url)
    script = dump.with_suffix(".sql")
    args = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    _run([*args, "--file", str(script), str(dump)], env)
    psql = [
        _tool("psql"),
        "--no-psqlrc",
        "--quiet",
        "--single-transaction",
        "-v",
        "ON_ERROR_STOP=1",
    ]
    empty = "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"
    _run([*psql, "--dbname", address, "-c", empty, "-f", str(script)], env)


STAGING = ".restoring"


def _restore_files(root: Path, names: dict) -> dict[str, int]:
    """Each store's folder emptied and filled with the archive's (a file uploaded after the
    backup would belong to no row of the restored database). The files are copied into a
    staging folder inside it first, then moved up: renames on one file system, and the
    folder itself stays (it may be a mount of shared storage)."""
    counts = {}
    for name, folder in stores().items():
        if name not in names:
            continue  # an archive from before this store existed: leave its folder alone
        source = root / name
        staging = folder / STAGING
        shutil.rmtree(staging, ignore_errors=True)
        if source.is_dir():
            shutil.copytree(source, staging)
        else:
            staging.mkdir(parents=True)
        for entry in folder.iterdir():
            if entry.name != STAGING:
                shutil.rmtree(
                    entry
                ) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        for entry in staging.iterdir():
            entry.rename(folder / entry.name)
        staging.rmdir()
        counts[name] = sum(1 for p in folder.rglob("*") if p.is_file())
    return counts
