"""``minzheng backup`` / ``minzheng restore``, verified on creation.

SQLite: the online backup API copies a consistent snapshot while the app runs.
PostgreSQL: ``pg_dump -Fc`` from an exported snapshot; the dump is restored into a
scratch database and every table's row count and checksum compared with the source
as it stood in that same snapshot.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

Fingerprint = dict[str, tuple[int, str]]  # table → (rows, checksum)


@dataclass
class BackupReport:
    path: str
    engine: str
    tables: int = 0
    rows: int = 0
    verified: bool = False
    mismatches: list[str] = field(default_factory=list)
    files: int = 0  # attachments archived beside the database (``<backup>.media.tar``)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _sqlite_fingerprint(con: sqlite3.Connection) -> Fingerprint:
    tables = [
        r[0]
        for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    out: Fingerprint = {}
    for t in tables:
        h = hashlib.sha256()
        n = 0
        for row in con.execute(f'SELECT * FROM "{t}" ORDER BY rowid'):
            h.update(repr(row).encode())
            n += 1
        out[t] = (n, h.hexdigest())
    return out


def _compare(a: Fingerprint, b: Fingerprint) -> list[str]:
    return [
        f"{t}: {a.get(t)} ≠ {b.get(t)}" for t in sorted(set(a) | set(b)) if a.get(t) != b.get(t)
    ]


def _sqlite_backup(out: Path) -> BackupReport:
    src_path = settings.DATABASES["default"]["NAME"]
    src = sqlite3.connect(src_path)
    dst = sqlite3.connect(out)
    try:
        src.execute("BEGIN")  # one read snapshot for the fingerprint and the copy
        before = _sqlite_fingerprint(src)
        src.backup(dst)
        src.rollback()
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise RuntimeError("备份文件完整性检查失败 / backup failed its integrity check")
        after = _sqlite_fingerprint(dst)
    finally:
        src.close()
        dst.close()
    return _report(out, "sqlite", before, after)


def _report(out: Path, engine: str, before: Fingerprint, after: Fingerprint) -> BackupReport:
    mismatches = _compare(before, after)
    return BackupReport(
        path=str(out),
        engine=engine,
        tables=len(before),
        rows=sum(n for n, _ in before.values()),
        verified=not mismatches,
        mismatches=mismatches,
    )


def _pg_conninfo(name: str | None = None) -> list[str]:
    db = settings.DATABASES["default"]
    args = [
        "-h",
        str(db.get("HOST") or "127.0.0.1"),
        "-p",
        str(db.get("PORT") or 5432),
        "-U",
        str(db.get("USER") or "postgres"),
    ]
    return [*args, "-d", name or db["NAME"]]


def _pg_fingerprint(cur: Any) -> Fingerprint:
    cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    out: Fingerprint = {}
    for (t,) in cur.fetchall():
        cur.execute(
            f"SELECT count(*), md5(coalesce(string_agg(md5(x::text), '' ORDER BY md5(x::text)), '')) FROM \"{t}\" x"
        )
        n, digest = cur.fetchone()
        out[t] = (int(n), digest)
    return out


def _pg_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    password = settings.DATABASES["default"].get("PASSWORD")
    if password:
        env["PGPASSWORD"] = str(password)
    return env


def _pg_backup(out: Path) -> BackupReport:
    import psycopg

    db = settings.DATABASES["default"]
    dsn: dict[str, Any] = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
    }
    # autocommit, so that our own BEGIN sets the isolation level of the snapshot.
    with psycopg.connect(dbname=db["NAME"], autocommit=True, **dsn) as src:
        src.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = src.execute("SELECT pg_export_snapshot()").fetchone()
        snapshot = row[0] if row else ""
        before = _pg_fingerprint(src.cursor())
        subprocess.run(
            ["pg_dump", "-Fc", f"--snapshot={snapshot}", "-f", str(out), *_pg_conninfo()],
            check=True,
            env=_pg_env(),
            capture_output=True,
        )
        src.execute("ROLLBACK")
    scratch = f"minzheng_verify_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **dsn) as admin:
        admin.execute(f'CREATE DATABASE "{scratch}"')
        try:
            subprocess.run(
                ["pg_restore", "--no-owner", *_pg_conninfo(scratch), str(out)],
                check=True,
                env=_pg_env(),
                capture_output=True,
            )
            with psycopg.connect(dbname=scratch, **dsn) as check:
                after = _pg_fingerprint(check.cursor())
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
    return _report(out, "postgresql", before, after)


def backup(out: Path) -> BackupReport:
    """Write a verified backup of the configured database to ``out``, and the case
    attachments to ``out.media.tar`` (each file's SHA-256 checked after writing)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    report = _pg_backup(out) if connection.vendor == "postgresql" else _sqlite_backup(out)
    report.files, problems = _media_backup(out)
    if problems:
        report.mismatches += problems
        report.verified = False
    return report


def media_archive(out: Path) -> Path:
    return out.with_name(out.name + ".media.tar")


def _media_backup(out: Path) -> tuple[int, list[str]]:
    import tarfile

    root = Path(settings.MEDIA_ROOT)
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
    archive = media_archive(out)
    with tarfile.open(archive, "w") as tar:
        for f in files:
            tar.add(f, arcname=str(f.relative_to(root)))
    problems = []
    with tarfile.open(archive) as tar:
        for f in files:
            member = tar.extractfile(str(f.relative_to(root)))
            if member is None or _sha(member.read()) != _sha(f.read_bytes()):
                problems.append(f"attachment {f.relative_to(root)} differs in the archive")
    return len(files), problems


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _media_restore(path: Path) -> int:
    import tarfile

    archive = media_archive(path)
    if not archive.exists():
        return 0
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        if hasattr(tarfile, "data_filter"):  # Python ≥ 3.11.4 (Debian 12 ships 3.11.2)
            tar.extractall(root, filter="data")
        else:
            for m in members:  # the same refusals as the "data" filter, by hand
                target = (root / m.name).resolve()
                if not (m.isfile() or m.isdir()) or not target.is_relative_to(root.resolve()):
                    raise ValueError(f"unsafe member in the media archive: {m.name}")
            tar.extractall(root)  # members checked above
    return len(members)


def restore(path: Path) -> BackupReport:
    """Replace the configured database's contents with the backup at ``path`` (and put
    back the attachments archived beside it)."""
    if not path.exists():
        raise FileNotFoundError(f"备份文件不存在 / no backup at {path}")
    report = _restore_database(path)
    report.files = _media_restore(path)
    return report


def _restore_database(path: Path) -> BackupReport:
    if connection.vendor == "postgresql":
        subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *_pg_conninfo(),
                str(path),
            ],
            check=True,
            env=_pg_env(),
            capture_output=True,
        )
        with connection.cursor() as cur:
            after = _pg_fingerprint(cur)
        return BackupReport(
            path=str(path),
            engine="postgresql",
            tables=len(after),
            rows=sum(n for n, _ in after.values()),
            verified=True,
        )
    connection.close()
    src = sqlite3.connect(path)
    if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        raise RuntimeError("备份文件已损坏 / the backup is corrupt")
    dst = sqlite3.connect(settings.DATABASES["default"]["NAME"])
    try:
        src.backup(dst)  # page-by-page, under the destination's write lock
        after = _sqlite_fingerprint(dst)
        expected = _sqlite_fingerprint(src)
    finally:
        src.close()
        dst.close()
    return _report(path, "sqlite", expected, after)
