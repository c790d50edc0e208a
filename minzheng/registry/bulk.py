"""Bulk loading of a generated population (Parquet tables) straight into the database.

Used by ``minzheng synth --load`` and the demo. Rows go in with COPY on PostgreSQL
and ``executemany`` on SQLite, never one ORM save per row. Households already
present (by ``ref``) are skipped, so loading the same output twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from minzheng.core.bulk import allocate_ids, insert_rows
from minzheng.divisions.models import Division
from minzheng.registry.models import (
    Asset,
    Condition,
    Household,
    Income,
    Location,
    Membership,
    Person,
)

Progress = Callable[[str, int], None]


@dataclass
class LoadCounts:
    households: int = 0
    persons: int = 0
    incomes: int = 0
    assets: int = 0
    skipped_households: int = 0


def _name_keys(names: list[str]) -> dict[str, tuple[str, str, str]]:
    from minzheng.identity.names import name_initials, name_key, name_pinyin

    return {n: (name_key(n), name_pinyin(n), name_initials(n)) for n in set(names)}


class PopulationLoader:
    """Loads the four tables of a :class:`minzheng.synth.Population` output directory."""

    def __init__(self, directory: Path, *, on: dt.date, progress: Progress | None = None) -> None:
        import pyarrow.parquet as pq

        self.tables = {
            n: pq.read_table(directory / f"{n}.parquet").to_pylist()
            for n in ("households", "persons", "incomes", "assets")
        }
        self.on = on
        self.now = timezone.now()
        self.progress = progress or (lambda stage, n: None)
        self.div = dict(Division.objects.current().values_list("code", "pk"))

    def run(self) -> LoadCounts:
        counts = LoadCounts()
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute(
                        f'LOCK TABLE "{Household._meta.db_table}", '
                        f'"{Person._meta.db_table}" IN EXCLUSIVE MODE'
                    )
            hh_ids = self._households(counts)
            self._persons(hh_ids, counts)
        return counts

    def _households(self, counts: LoadCounts) -> dict[str, int]:
        rows = self.tables["households"]
        refs = [r["household_ref"] for r in rows]
        existing = set()
        for i in range(0, len(refs), 5000):
            existing |= set(
                Household.objects.filter(ref__in=refs[i : i + 5000]).values_list("ref", flat=True)
            )
        fresh = [r for r in rows if r["household_ref"] not in existing]
        counts.skipped_households, counts.households = len(existing), len(fresh)
        pks = allocate_ids(Household, len(fresh))
        ids = {r["household_ref"]: pk for r, pk in zip(fresh, pks, strict=True)}
        names = (
            "id",
            "uid",
            "ref",
            "hukou_division",
            "residence_division",
            "address",
            "urban",
            "needs_review",
            "review_note",
            "created_at",
            "updated_at",
        )
        insert_rows(
            Household,
            names,
            [
                (
                    ids[r["household_ref"]],
                    uuid.uuid4().hex,
                    r["household_ref"],
                    self.div[r["hukou_division"]],
                    self.div[r["residence_division"]],
                    r["address"],
                    r["urban"],
                    False,
                    "",
                    self.now,
                    self.now,
                )
                for r in fresh
            ],
        )
        self.progress("households", len(fresh))
        return ids

    def _persons(self, hh_ids: dict[str, int], counts: LoadCounts) -> None:
        people = [p for p in self.tables["persons"] if p["household_ref"] in hh_ids]
        pks = allocate_ids(Person, len(people))
        pid = {p["person_key"]: pk for p, pk in zip(people, pks, strict=True)}
        keys = _name_keys([p["name"] for p in people])
        names = (
            "id",
            "uid",
            "name",
            "name_key",
            "pinyin",
            "initials",
            "id_number",
            "id_status",
            "sex",
            "birth_date",
            "hukou_division",
            "residence_division",
            "household",
            "relationship",
            "phone",
            "created_at",
            "updated_at",
        )
        insert_rows(
            Person,
            names,
            [
                (
                    pid[p["person_key"]],
                    uuid.uuid4().hex,
                    p["name"],
                    *keys[p["name"]],
                    p["id_number"],
                    p["id_status"],
                    p["sex"],
                    p["birth_date"],
                    self.div[p["hukou_division"]],
                    self.div[p["residence_division"]],
                    hh_ids[p["household_ref"]],
                    p["relationship"],
                    p["phone"],
                    self.now,
                    self.now,
                )
                for p in people
            ],
        )
        counts.persons = len(people)
        self.progress("persons", len(people))
        self._facts(people, pid, hh_ids)
        self._heads(people, pid)
        counts.incomes = self._incomes(pid)
        counts.assets = self._assets(hh_ids)

    def _facts(
        self, people: list[dict[str, Any]], pid: dict[int, int], hh_ids: dict[str, int]
    ) -> None:
        on = self.on
        insert_rows(
            Membership,
            ("person", "household", "relationship", "valid_from"),
            [
                (pid[p["person_key"]], hh_ids[p["household_ref"]], p["relationship"], on)
                for p in people
            ],
        )
        insert_rows(
            Location,
            ("person", "hukou_division", "residence_division", "address", "urban", "valid_from"),
            [
                (
                    pid[p["person_key"]],
                    self.div[p["hukou_division"]],
                    self.div[p["residence_division"]],
                    p["address"],
                    p["urban"],
                    on,
                )
                for p in people
            ],
        )
        insert_rows(
            Condition,
            ("person", *Condition.FIELDS, "valid_from"),
            [
                (
                    pid[p["person_key"]],
                    p["labour_capacity"],
                    p["disability_category"],
                    p["disability_grade"],
                    p["self_care_failed"],
                    p["health"],
                    p["schooling"],
                    on,
                )
                for p in people
            ],
        )
        self.progress("facts", len(people))

    def _heads(self, people: list[dict[str, Any]], pid: dict[int, int]) -> None:
        heads = [
            (pid[p["person_key"]], p["household_ref"]) for p in people if p["relationship"] == "02"
        ]
        with connection.cursor() as cur:
            cur.executemany(
                f'UPDATE "{Household._meta.db_table}" SET head_id = %s WHERE ref = %s', heads
            )

    def _incomes(self, pid: dict[int, int]) -> int:
        rows = [
            (pid[r["person_key"]], r["kind"], r["monthly_fen"], "synth", self.on)
            for r in self.tables["incomes"]
            if r["person_key"] in pid
        ]
        insert_rows(Income, ("person", "kind", "monthly_fen", "source", "valid_from"), rows)
        return len(rows)

    def _assets(self, hh_ids: dict[str, int]) -> int:
        rows = [
            (
                hh_ids[r["household_ref"]],
                r["kind"],
                r["value_fen"],
                r["quantity"],
                "",
                "synth",
                self.on,
            )
            for r in self.tables["assets"]
            if r["household_ref"] in hh_ids
        ]
        insert_rows(
            Asset,
            ("household", "kind", "value_fen", "quantity", "description", "source", "valid_from"),
            rows,
        )
        return len(rows)


def population_load(
    *, directory: Path, on: dt.date, progress: Progress | None = None
) -> LoadCounts:
    """Load a generated population directory into the database (idempotent by household)."""
    return PopulationLoader(directory, on=on, progress=progress).run()
