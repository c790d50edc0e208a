"""The monitoring pass: the default rules over the registry and linked feed records write the
warnings they should, once; a pass killed half-way and run again ends with the warnings of
an uninterrupted run; DuckDB and Spark raise the same ones; people outside the registry are
kept apart as possible discoveries."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from minzheng.monitoring import passes
from minzheng.monitoring.alerts import Alert, AlertStatus, Discovery, MonitorRun
from minzheng.monitoring.models import FeedBatch, FeedRecord, LayerMembership, LinkMethod

AS_OF = dt.date(2024, 6, 28)  # a Friday
_keys = itertools.count(1)


def record(kind: str, person: Any, day: dt.date, **payload: Any) -> FeedRecord:
    """A feed record already linked to ``person`` (None: someone outside the registry)."""
    batch, _ = FeedBatch.objects.get_or_create(kind=kind, file_name=f"{kind}.csv")
    return FeedRecord.objects.create(
        kind=kind,
        source_key=f"{kind}-{next(_keys)}",
        batch=batch,
        id_number=(person.id_number if person else payload.pop("id_number", "")) or "",
        id_valid=bool(person) or bool(payload.pop("id_valid", False)),
        name=person.name if person else payload.pop("name", "院外"),
        division_code=payload.pop("division_code", "440106001000"),
        event_date=day,
        payload=payload,
        row_hash="x",
        person=person,
        link_method=LinkMethod.EXACT if person else LinkMethod.NONE,
    )


def layer(person: Any, name: str, subtype: str = "") -> None:
    LayerMembership.objects.create(
        person=person, layer=name, subtype=subtype, source="test", valid_from=dt.date(2020, 1, 1)
    )


@pytest.fixture
def planted(world) -> dict[tuple[str, int], str]:  # type: ignore[no-untyped-def]
    """Feed records that must raise exactly these warnings: (rule, subject pk) → township."""
    t1, t2, y1 = world.persons["t1"], world.persons["t2"], world.persons["y1"]
    for p in t1:
        layer(p, "dibao")
    layer(t2[0], "bianyuan")
    # 甲 household (dibao): large medical cost, a death, a new car.
    record("medical", t1[0], dt.date(2024, 3, 1), out_of_pocket_fen=1_500_000, total_fen=2_000_000)
    record("medical", t1[1], dt.date(2024, 6, 1), out_of_pocket_fen=600_000, total_fen=900_000)
    record("death", t1[2], dt.date(2024, 5, 20))
    record("vehicle", t1[1], dt.date(2024, 5, 2), vehicle_type="小型汽车")
    # 丙 household (marginal): a grade-1 disability and a collapsed house.
    record("disability", t2[1], dt.date(2024, 6, 3), change="发证", grade=1, category="肢体")
    record("disaster", t2[0], dt.date(2024, 6, 10), house_damage="倒塌", loss_fen=3_000_000)
    # 乙 household: in no layer, so its dropout and unemployment warn nobody …
    record("school", y1[2], dt.date(2024, 5, 1), event="辍学")
    record("unemployment", y1[0], dt.date(2024, 5, 1), status="登记")
    # … but its verified wages are far below the dibao line: 应保未保.
    record("wage_income", y1[0], dt.date(2024, 2, 1), income_fen=100_000)
    # Noise that must raise nothing: too old, too small, someone else's.
    record("medical", t2[0], dt.date(2023, 6, 1), out_of_pocket_fen=9_000_000, total_fen=1)
    record("medical", t2[0], dt.date(2024, 6, 1), out_of_pocket_fen=100_000, total_fen=1)
    h = world.households
    return {
        ("medical_burden", h["t1"].pk): "440106001000",
        ("death_in_assistance", h["t1"].pk): "440106001000",
        ("new_asset_enrolled", h["t1"].pk): "440106001000",
        ("severe_disability", t2[1].pk): "440106002000",
        ("house_destroyed", h["t2"].pk): "440106002000",
        ("eligible_not_enrolled", h["y1"].pk): "440104003000",
    }


def raised() -> dict[tuple[str, int], str]:
    out = {}
    for a in Alert.objects.select_related("division"):
        subject = a.household_id if a.subject == "household" else a.person_id
        out[(a.rule, subject)] = a.division.code
    return out


def test_the_pass_raises_exactly_the_planted_warnings(planted):
    summary = passes.monitor_run(as_of=AS_OF, link=False)
    assert raised() == planted
    assert summary.new == len(planted) and summary.already_open == 0
    assert summary.per_rule["medical_burden"] == {
        "flagged": 1, "new": 1, "already_open": 0, "suppressed": 0
    }  # fmt: skip
    assert summary.per_division == {"440106001000": 3, "440106002000": 2, "440104003000": 1}
    medical = Alert.objects.get(rule="medical_burden")
    assert medical.severity == "red" and medical.amount_fen == 2_100_000
    assert "近12个月医疗自付 21000.00 元" in str(medical.evidence)
    # Due in 5 working days: Friday 28 June → Friday 5 July 2024.
    assert medical.due_on == dt.date(2024, 7, 5)
    assert medical.events.get().action == "raise"
    assert MonitorRun.objects.get().status == MonitorRun.Status.DONE


def test_running_twice_raises_nothing_new(planted):
    passes.monitor_run(as_of=AS_OF, link=False)
    again = passes.monitor_run(as_of=AS_OF, link=False)
    assert again.new == 0 and again.already_open == len(planted)
    assert Alert.objects.count() == len(planted)


def test_a_pass_killed_half_way_and_run_again_ends_as_an_uninterrupted_one(planted, monkeypatch):
    real = passes.write_alerts
    calls = {"n": 0}

    def dies_on_the_third_rule(*args: Any, **kw: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed")
        real(*args, **kw)

    monkeypatch.setattr(passes, "write_alerts", dies_on_the_third_rule)
    with pytest.raises(KeyboardInterrupt):
        passes.monitor_run(as_of=AS_OF, link=False)
    assert 0 < Alert.objects.count() < len(planted)
    assert MonitorRun.objects.get().status == MonitorRun.Status.FAILED
    monkeypatch.setattr(passes, "write_alerts", real)
    passes.monitor_run(as_of=AS_OF, link=False)
    assert raised() == planted


def test_a_closed_warning_is_not_raised_again_from_the_same_window(planted):
    passes.monitor_run(as_of=AS_OF, link=False)
    Alert.objects.filter(rule="death_in_assistance").update(status=AlertStatus.CLOSED)
    later = passes.monitor_run(as_of=AS_OF + dt.timedelta(days=7), link=False)
    assert later.per_rule["death_in_assistance"]["suppressed"] == 1
    assert Alert.objects.filter(rule="death_in_assistance").count() == 1


@pytest.mark.spark
def test_spark_raises_the_same_warnings(planted):
    from minzheng.engine.backends.spark import available

    if available():
        pytest.skip(available())
    passes.monitor_run(as_of=AS_OF, link=False)
    duck = raised()
    Alert.objects.all().delete()
    passes.monitor_run(as_of=AS_OF, link=False, engine="spark")
    assert raised() == duck == planted


def test_people_outside_the_registry_become_discoveries_not_warnings(world):
    from tests.conftest import ids

    (number,) = ids(1, county="440106", year=1990)
    record("medical", None, dt.date(2024, 4, 1), out_of_pocket_fen=1_200_000, total_fen=1,
           id_number=number, id_valid=True, name="院外甲")  # fmt: skip
    record("medical", None, dt.date(2024, 5, 1), out_of_pocket_fen=900_000, total_fen=1,
           id_number=number, id_valid=True, name="院外甲")  # fmt: skip
    record("medical", None, dt.date(2024, 5, 1), out_of_pocket_fen=100_000, total_fen=1,
           name="院外乙")  # fmt: skip
    first = passes.monitor_run(as_of=AS_OF, link=False)
    assert first.discoveries == 1 and first.new == 0
    found = Discovery.objects.get()
    assert (found.identity, found.amount_fen, found.name) == (number, 2_100_000, "院外甲")
    assert passes.monitor_run(as_of=AS_OF, link=False).discoveries == 0


def test_layers_follow_enrolments_and_the_rural_revitalisation_list(world):
    from minzheng.assistance.models import Enrolment

    t1, y1 = world.persons["t1"], world.persons["y1"]
    county = world.households["t1"].hukou_division.parent
    Enrolment.objects.create(programme="dibao", household=world.households["t1"], payee=t1[0],
                             division=county, amount_fen=50_000,
                             valid_from=dt.date(2024, 1, 1))  # fmt: skip
    record("rr_monitoring", y1[0], dt.date(2024, 2, 1), subtype="突发严重困难户")
    assert passes.layers_refresh(AS_OF) == {"added": 4, "ended": 0}
    assert passes.layers_refresh(AS_OF) == {"added": 0, "ended": 0}
    got = set(LayerMembership.objects.as_of(AS_OF).values_list("person_id", "layer", "subtype"))
    assert got == {(p.pk, "dibao", "") for p in t1} | {(y1[0].pk, "fanpin", "突发严重困难户")}
    Enrolment.objects.update(state="terminated")
    assert passes.layers_refresh(AS_OF + dt.timedelta(days=1))["ended"] == 3


def test_marginal_households_join_their_layer_by_the_assistance_rule(world):
    """丙 household: 1,700 yuan a month for 2 (850 each) — above the urban dibao line (706.60)
    and below 150% of it — is 低保边缘 by the rule; the pass gives its members the layer and
    ends it when the income rises."""
    from minzheng.registry.models import Household, Income

    Household.objects.filter(pk=world.households["t2"].pk).update(urban=True)
    t2 = world.persons["t2"]
    wage = Income.objects.create(person=t2[0], kind="wage", monthly_fen=170_000,
                                 valid_from=dt.date(2024, 1, 1))  # fmt: skip
    first = passes.monitor_run(as_of=AS_OF, link=False, rules=["school_dropout"])
    assert first.layers == {"added": 2, "ended": 0}
    rule_layers = LayerMembership.objects.as_of(AS_OF).filter(source="rule")
    assert set(rule_layers.values_list("person_id", "layer")) == {(p.pk, "bianyuan") for p in t2}
    later = AS_OF + dt.timedelta(days=1)
    Income.objects.filter(pk=wage.pk).update(valid_to=later)
    Income.objects.create(person=t2[0], kind="wage", monthly_fen=900_000, valid_from=later)
    assert passes.monitor_run(as_of=later, link=False, rules=["school_dropout"]).layers == {
        "added": 0, "ended": 2
    }  # fmt: skip
