"""A small synthetic province with enrolments and layer memberships (random, seeded)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

ON = dt.date(2024, 9, 30)


@pytest.fixture
def province(db, tmp_path):  # type: ignore[no-untyped-def]
    """600 persons in two counties; ~1/3 of households on dibao, some tekun, temporary
    grants through the year and layer memberships — with starts and ends either side of
    the period end so that the date tests matter."""
    from minzheng.accounts.rls import EVERYTHING, acting
    from minzheng.registry.bulk import population_load
    from minzheng.synth import generate, write

    pop = generate(persons=600, province="44", counties=["440106", "440104"], seed=5, as_of=ON)
    write(pop, tmp_path)
    with acting(EVERYTHING):
        population_load(directory=tmp_path, on=ON)
        _programmes(random.Random(11))
    return ON


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _programmes(rng: random.Random) -> None:
    from minzheng.assistance.models import Enrolment
    from minzheng.monitoring.models import LayerMembership
    from minzheng.registry.models import Household, Person

    households = list(Household.objects.select_related("head").order_by("pk"))
    rows = []
    for h in households:
        roll = rng.random()
        programme = "dibao" if roll < 0.35 else "tekun" if roll < 0.45 else None
        start = _day(rng, dt.date(2023, 1, 1), dt.date(2024, 12, 31))
        end = rng.choice([None, None, _day(rng, start, dt.date(2025, 6, 30))])
        if programme:
            rows.append(_enrolment(h, programme, rng, start, end))
        if rng.random() < 0.2:
            granted = _day(rng, dt.date(2023, 10, 1), dt.date(2024, 12, 31))
            rows.append(_enrolment(h, "temporary", rng, granted, granted + dt.timedelta(1)))
    Enrolment.objects.bulk_create(rows)
    layers = []
    for p in Person.objects.order_by("pk"):
        for layer in ("dibao", "tekun", "fanpin", "bianyuan", "gangxing", "other"):
            if rng.random() < 0.12:
                start = _day(rng, dt.date(2023, 1, 1), dt.date(2024, 12, 31))
                end = rng.choice([None, _day(rng, start, dt.date(2025, 6, 30))])
                layers.append(
                    LayerMembership(
                        person=p, layer=layer, source="test", valid_from=start, valid_to=end
                    )
                )
    LayerMembership.objects.bulk_create(layers)


def _enrolment(h, programme, rng, start, end):  # type: ignore[no-untyped-def]
    from minzheng.assistance.models import Enrolment

    return Enrolment(
        programme=programme,
        household=h,
        payee=h.head,
        division_id=h.hukou_division_id,
        amount_fen=rng.randrange(10_000, 200_000),
        covered_persons=rng.randint(1, 4),
        valid_from=start,
        valid_to=end,
        state="terminated" if end and end <= dt.date(2024, 12, 31) else "active",
    )
