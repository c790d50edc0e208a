"""Who is in which monitored layer (低保, 特困, 防止返贫, 低保边缘, 刚性支出, 其他) on a date.

Memberships are dated rows (:class:`~minzheng.monitoring.models.LayerMembership`) from three
kinds of source: programme enrolments and the rural-revitalisation list, refreshed by every
pass (:func:`layers_refresh`); and lists loaded as such (:func:`layers_load_csv`, e.g. the
synthetic generator's ``layers.csv``), which a refresh leaves alone.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from django.db import transaction

LIST_LAYERS = ("dibao", "tekun", "bianyuan", "gangxing", "fanpin", "other")


def layers_refresh(as_of: dt.date) -> dict[str, int]:
    """Memberships that follow from programme enrolments and the 防止返贫 list on ``as_of``.

    Enrolments: every current member of a household enrolled in 低保 (dibao), the payee
    of a 特困 (tekun) enrolment. The rural-revitalisation list (feed ``rr_monitoring``,
    linked records) gives 防止返贫 (fanpin) with its sub-type. Rows from other sources
    (rules, other lists) are left alone. Adds what is missing, ends what no longer holds.
    """
    from minzheng.assistance.models import Enrolment, EnrolmentState
    from minzheng.monitoring.models import FeedRecord, LayerMembership
    from minzheng.registry.models import Person

    live = [EnrolmentState.ACTIVE, EnrolmentState.GRADUAL_EXIT]
    wanted: set[tuple[int, str, str, str]] = set()
    enrolled = Enrolment.objects.filter(state__in=live, valid_from__lte=as_of).exclude(
        valid_to__lte=as_of
    )
    dibao_households = set(
        enrolled.filter(programme="dibao").values_list("household_id", flat=True)
    )
    for pk in Person.objects.filter(
        household_id__in=dibao_households, died_on__isnull=True
    ).values_list("pk", flat=True):
        wanted.add((pk, "dibao", "", "enrolment"))
    for pk in enrolled.filter(programme="tekun").values_list("payee_id", flat=True):
        wanted.add((pk, "tekun", "", "enrolment"))
    for person, payload in FeedRecord.objects.filter(
        kind="rr_monitoring", person__isnull=False, event_date__lte=as_of
    ).values_list("person_id", "payload"):
        left = (payload or {}).get("left_on")
        if not left or dt.date.fromisoformat(str(left)) > as_of:
            wanted.add((person, "fanpin", (payload or {}).get("subtype", ""), "list:rr_monitoring"))
    sources = ("enrolment", "list:rr_monitoring")
    current = {
        (m.person_id, m.layer, m.subtype, m.source): m.pk
        for m in LayerMembership.objects.as_of(as_of).filter(source__in=sources)
    }
    with transaction.atomic():
        gone = [pk for key, pk in current.items() if key not in wanted]
        LayerMembership.objects.filter(pk__in=gone).update(valid_to=as_of)
        LayerMembership.objects.bulk_create(
            [
                LayerMembership(person_id=p, layer=lay, subtype=sub, source=src, valid_from=as_of)
                for p, lay, sub, src in sorted(wanted - set(current))
            ],
            ignore_conflicts=True,
            batch_size=5000,
        )
    return {"added": len(wanted - set(current)), "ended": len(gone)}


def layers_load_csv(path: Path, *, valid_from: dt.date, source: str = "list:synth") -> int:
    """Give every current member of each listed household its layer (``household_ref``,
    ``layer`` columns; rows naming no monitored layer are skipped). Safe to re-run."""
    from minzheng.monitoring.models import LayerMembership
    from minzheng.registry.models import Household, Person

    with path.open(encoding="utf-8-sig", newline="") as fh:
        wanted = {r["household_ref"]: r["layer"] for r in csv.DictReader(fh)}
    wanted = {ref: layer for ref, layer in wanted.items() if layer in LIST_LAYERS}
    # "other" in the generator means "not low-income": it is not a monitored layer.
    wanted = {ref: layer for ref, layer in wanted.items() if layer != "other"}
    households = dict(Household.objects.filter(ref__in=wanted).values_list("pk", "ref"))
    rows = [
        LayerMembership(
            person_id=pk, layer=wanted[households[hh]], source=source, valid_from=valid_from
        )
        for pk, hh in Person.objects.filter(household_id__in=households).values_list(
            "pk", "household_id"
        )
    ]
    with transaction.atomic():
        made = LayerMembership.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    return len(made)


RULE_LAYERS = ("bianyuan", "gangxing")  # decided by the assistance rules over the registry


def layers_from_rules(tables: dict, as_of: dt.date, *, runner: object = None) -> dict[str, int]:
    """低保边缘 and 刚性支出困难 households by the assistance rule sets (the same definitions
    the calculator and the batch use) over the day's snapshot: their members hold the layer
    (source ``rule``) while the rule holds. Adds what is missing, ends what no longer holds."""
    from minzheng.assistance.batch import eligibility_batch
    from minzheng.assistance.catalogue import engine_table
    from minzheng.assistance.parameters import effective_rows
    from minzheng.monitoring.models import LayerMembership
    from minzheng.registry.models import Person

    results = eligibility_batch(tables, as_of=as_of, parameter=engine_table(effective_rows()),
                                programmes=RULE_LAYERS, runner=runner, indicators=False)  # fmt: skip
    wanted: set[tuple[int, str]] = set()
    for layer, result in results.items():
        households = result.flagged().column("subject_sk").to_pylist()
        for start in range(0, len(households), 900):
            members = Person.objects.filter(
                household_id__in=households[start : start + 900], died_on__isnull=True
            ).values_list("pk", flat=True)
            wanted.update((pk, layer) for pk in members)
    current = {
        (m.person_id, m.layer): m.pk
        for m in LayerMembership.objects.as_of(as_of).filter(source="rule", layer__in=RULE_LAYERS)
    }
    with transaction.atomic():
        gone = [pk for key, pk in current.items() if key not in wanted]
        LayerMembership.objects.filter(pk__in=gone).update(valid_to=as_of)
        LayerMembership.objects.bulk_create(
            [LayerMembership(person_id=p, layer=lay, source="rule", valid_from=as_of)
             for p, lay in sorted(wanted - set(current))],
            ignore_conflicts=True, batch_size=5000,
        )  # fmt: skip
    return {"added": len(wanted - set(current)), "ended": len(gone)}
