"""Loading a generated population directly (the demo's path)."""

from __future__ import annotations

import datetime as dt

from minzheng.registry.bulk import population_load
from minzheng.registry.models import Condition, Household, Income, Location, Membership, Person
from minzheng.synth import generate, write


def test_population_loads_once_and_is_consistent(db, tmp_path):
    on = dt.date(2024, 6, 30)
    pop = generate(persons=2000, province="44", counties=["440106", "440104"], seed=3, as_of=on)
    write(pop, tmp_path)
    counts = population_load(directory=tmp_path, on=on)
    assert counts.persons == 2000 == Person.objects.count()
    assert counts.households == Household.objects.count() == pop.households.num_rows
    for model in (Membership, Location, Condition):
        assert model.objects.current().count() == 2000
    assert Income.objects.count() == pop.incomes.num_rows
    assert Household.objects.filter(head__isnull=True).count() == 0
    moved = (
        Person.objects.exclude(residence_division__code__startswith=("440106"))
        .filter(hukou_division__code__startswith="440106")
        .count()
    )
    assert moved > 0  # some live in the sibling county
    again = population_load(directory=tmp_path, on=on)
    assert again.persons == 0 and again.skipped_households == counts.households
    assert Person.objects.count() == 2000
    new = Household.objects.create(
        ref="after-load", hukou_division_id=Household.objects.first().hukou_division_id
    )
    assert new.pk > max(Household.objects.exclude(pk=new.pk).values_list("pk", flat=True))
