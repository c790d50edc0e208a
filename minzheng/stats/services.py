"""Writes of the statistics app: take a snapshot of a period (always a new version)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from typing import Any

from django.db import transaction
from django.db.models import Max

from minzheng.stats.catalogue import CATALOGUE, code_version, rule_files
from minzheng.stats.compute import compute
from minzheng.stats.models import Snapshot, SnapshotValue
from minzheng.stats.periods import Period, parse_period

REGISTRY_TABLES = ("division", "household", "person")


def stats_snapshot(period: str, *, as_of: dt.date | None = None) -> Snapshot:
    """Compute every catalogued indicator for ``period`` and store it as a new version.

    ``as_of`` is "today" (default: the real date): a period not over by then gives a
    provisional snapshot of the registry as it stands on ``as_of``.
    """
    from minzheng.accounts.rls import EVERYTHING, acting
    from minzheng.engine.snapshot import snapshot_take

    p = parse_period(period)
    today = as_of or dt.date.today()
    provisional = p.provisional(today)
    on = min(p.end, today)
    start = time.perf_counter()
    with acting(EVERYTHING):  # aggregates of the whole registry, read by the batch pass
        registry = snapshot_take(on=on, tables=REGISTRY_TABLES)
        inputs = {**registry.tables, **programme_inputs(p, on)}
    result = compute(inputs, as_of=on)
    return _store(p, on, provisional, inputs, result.rows, time.perf_counter() - start)


def programme_inputs(p: Period, on: dt.date, *, households: Any = None) -> dict[str, Any]:
    """Enrolments, the year's temporary grants, layer memberships and parameters as Arrow
    (only those of ``households``, a query of household ids, when given)."""
    import pyarrow as pa

    from minzheng.assistance.catalogue import engine_table
    from minzheng.assistance.models import Enrolment, Programme
    from minzheng.assistance.parameters import effective_rows
    from minzheng.monitoring.models import LayerMembership

    def table(qs: Any, names: list[str], fields: list[str]) -> pa.Table:
        rows = list(qs.values_list(*fields))
        if not rows:  # an empty table, not a missing one: a division may have no grants
            return pa.table({n: pa.array([]) for n in names})
        return pa.table([pa.array(list(c)) for c in zip(*rows, strict=True)], names=names)

    enrolment = Enrolment.objects.exclude(programme=Programme.TEMPORARY).filter(valid_from__lte=on)
    temporary = Enrolment.objects.filter(
        programme=Programme.TEMPORARY, valid_from__gte=p.year_start, valid_from__lte=on
    )
    layers = LayerMembership.objects.filter(valid_from__lte=on)
    if households is not None:
        enrolment = enrolment.filter(household_id__in=households)
        temporary = temporary.filter(household_id__in=households)
        layers = layers.filter(person__memberships__household_id__in=households).distinct()
    out = {
        "enrolment": table(
            enrolment,
            [
                "household_sk",
                "programme",
                "covered_persons",
                "amount_fen",
                "valid_from",
                "valid_to",
            ],
            [
                "household_id",
                "programme",
                "covered_persons",
                "amount_fen",
                "valid_from",
                "valid_to",
            ],
        ),
        "temporary": table(
            temporary,
            ["household_sk", "granted_on", "covered_persons"],
            ["household_id", "valid_from", "covered_persons"],
        ),
        "layer": table(
            layers,
            ["person_sk", "layer", "valid_from", "valid_to"],
            ["person_id", "layer", "valid_from", "valid_to"],
        ),
        "parameter": engine_table(effective_rows(["dibao_urban_fen", "dibao_rural_fen"])),
    }
    return {k: v for k, v in out.items() if v is not None}


def input_digest(inputs: dict[str, Any]) -> dict[str, Any]:
    """Row counts and a digest (counts and key sums) that identify the input batch."""
    import pyarrow.compute as pc

    rows = {n: t.num_rows for n, t in sorted(inputs.items())}
    sums = {
        n: [pc.sum(t.column(c)).as_py() for c in t.column_names if c.endswith("_sk")]
        for n, t in sorted(inputs.items())
    }
    text = json.dumps([rows, sums], sort_keys=True, default=str)
    return {"rows": rows, "sha256": hashlib.sha256(text.encode()).hexdigest()}


def _store(
    p: Period, on: dt.date, provisional: bool, inputs: dict[str, Any], rows: list, seconds: float
) -> Snapshot:
    divisions = _division_ids()
    with transaction.atomic():
        last = Snapshot.objects.filter(period=p.label).aggregate(v=Max("version"))["v"] or 0
        snap = Snapshot.objects.create(
            period=p.label,
            period_start=p.start,
            period_end=p.end,
            version=last + 1,
            provisional=provisional,
            code_version=code_version(),
            rules_sha256=_file_digests(),
            registry_as_of=on,
            inputs=input_digest(inputs),
            rows=len(rows),
            seconds=round(seconds, 3),
        )
        SnapshotValue.objects.bulk_create(
            (
                SnapshotValue(
                    snapshot=snap,
                    indicator=r.code,
                    level=r.level,
                    division_code=r.division_code,
                    division_id=divisions.get((r.level, r.division_code)),
                    dims=r.dims,
                    dims_key=r.dims_key,
                    value=r.value,
                    numerator=r.numerator,
                    denominator=r.denominator,
                )
                for r in rows
            ),
            batch_size=2000,
        )
    return snap


def _division_ids() -> dict[tuple[int, str], int]:
    """(level, code prefix) → current Division id, for the levels the engine rolls up."""
    from minzheng.divisions.models import Division, code_prefix

    out = {}
    for pk, code, level in (
        Division.objects.current().filter(level__lte=4).values_list("pk", "code", "level")
    ):
        out[(level, code_prefix(code, level))] = pk
    return out


def _file_digests() -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in [CATALOGUE, *rule_files()]
    }
