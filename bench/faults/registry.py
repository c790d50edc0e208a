"""What an import file should leave in the registry, and plain-SQL checks of what it did.

A person's key is the ID number, or ``name@household ref`` for the few without one (the
importer matches them the same way). Keys are counted as multisets, so a person written
twice shows up as a duplicate even where no unique constraint would catch it.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.faults.sandbox import Sandbox

HEAD = "02"  # minzheng.registry.codes.HEAD
DATED = ("membership", "location", "condition")


@dataclass
class Damage:
    """What a check found; the target of every count is 0."""

    lost: int = 0  # committed (or acknowledged) rows missing afterwards
    duplicates: int = 0  # rows present more often than they should be
    half_written: int = 0  # households, results or edits only partly there
    stuck: int = 0  # records left "running" by a killed process
    notes: list[str] = field(default_factory=list)

    def add(self, other: Damage) -> Damage:
        self.lost += other.lost
        self.duplicates += other.duplicates
        self.half_written += other.half_written
        self.stuck += other.stuck
        self.notes += other.notes
        return self

    def note(self, text: str) -> None:
        self.notes.append(text)


@dataclass
class Expected:
    """The households of an import file: ref → multiset of person keys; refs with a head."""

    members: dict[str, Counter[str]]
    heads: set[str]

    @classmethod
    def from_csv(cls, path: Path) -> Expected:
        members: dict[str, Counter[str]] = {}
        heads: set[str] = set()
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                ref = row["户编号"]
                members.setdefault(ref, Counter())[
                    person_key(row["公民身份号码"], row["姓名"], ref)
                ] += 1
                if row["与户主关系"] == HEAD:
                    heads.add(ref)
        return cls(members, heads)

    @property
    def persons(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for keys in self.members.values():
            out.update(keys)
        return out


def person_key(id_number: str | None, name: str, ref: str) -> str:
    return id_number or f"{name}@{ref}"


def households(sb: Sandbox, refs: set[str] | None = None) -> dict[str, Counter[str]]:
    """ref → multiset of person keys as committed (households without members included)."""
    out: dict[str, Counter[str]] = {}
    for ref, id_number, name in sb.rows(
        "SELECT h.ref, p.id_number, p.name FROM registry_household h "
        "LEFT JOIN registry_person p ON p.household_id = h.id"
    ):
        if refs is not None and ref not in refs:
            continue
        keys = out.setdefault(ref, Counter())
        if name is not None:
            keys[person_key(id_number, name, ref)] += 1
    return out


def persons(sb: Sandbox, refs: set[str] | None = None) -> Counter[str]:
    """Every committed person key (of households in ``refs``, if given)."""
    out: Counter[str] = Counter()
    for keys in households(sb, refs).values():
        out.update(keys)
    return out


def lost_since(before: Counter[str], after: Counter[str]) -> int:
    """Rows seen committed in ``before`` that ``after`` no longer has."""
    return sum((before - after).values())


def check_households(sb: Sandbox, want: Expected, *, complete: bool) -> Damage:
    """Each household whole; with ``complete``, every household of the file present."""
    d = Damage()
    have = households(sb, set(want.members))
    for ref, keys in have.items():
        expected = want.members[ref]
        d.duplicates += sum((keys - expected).values())
        missing = sum((expected - keys).values())
        if missing and not complete:
            d.half_written += 1
            d.note(f"household {ref} has {sum(keys.values())} of {sum(expected.values())} members")
        d.lost += missing if complete else 0
    if complete:
        d.lost += sum(sum(want.members[r].values()) for r in set(want.members) - set(have))
    heads = set(r for (r,) in sb.rows("SELECT ref FROM registry_household WHERE head_id IS NULL"))
    headless = len(heads & want.heads & set(have))
    if headless:
        d.half_written += headless
        d.note(f"{headless} household(s) committed without their head")
    return d.add(check_facts(sb))


def check_facts(sb: Sandbox) -> Damage:
    """Every person has one open membership, location and condition; none has two."""
    d = Damage()
    for table in DATED:
        missing = sb.value(
            "SELECT count(*) FROM registry_person p WHERE p.household_id IS NOT NULL AND NOT "
            f"EXISTS (SELECT 1 FROM registry_{table} f WHERE f.person_id = p.id "
            "AND f.valid_to IS NULL)"
        )
        double = sb.value(
            f"SELECT count(*) FROM (SELECT person_id FROM registry_{table} WHERE valid_to IS "
            "NULL GROUP BY person_id HAVING count(*) > 1) AS t"
        )
        if missing:
            d.half_written += missing
            d.note(f"{missing} person(s) without an open {table}")
        d.duplicates += double
    return d


def check_create_audits(sb: Sandbox) -> Damage:
    """One ``create`` audit event per person: none missing, none twice."""
    d = Damage()
    counts = dict(
        sb.rows(
            "SELECT object_id, count(*) FROM accounts_auditevent "
            "WHERE action = 'create' AND object_type = 'person' GROUP BY object_id"
        )
    )
    ids = {str(pk) for (pk,) in sb.rows("SELECT id FROM registry_person")}
    missing = len(ids - set(counts))
    if missing:
        d.half_written += missing
        d.note(f"{missing} person(s) committed without their audit event")
    d.duplicates += sum(n - 1 for pk, n in counts.items() if n > 1)
    return d


def batches(sb: Sandbox) -> Counter[str]:
    """ImportBatch rows by status."""
    return Counter(
        {s: n for s, n in sb.rows("SELECT status, count(*) FROM registry_importbatch GROUP BY 1")}
    )
