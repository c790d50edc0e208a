"""Registry services: dated membership moves, relocation, ID correction, merge."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.accounts.models import AuditEvent
from minzheng.registry import services
from minzheng.registry.models import Location, Membership, Person
from minzheng.registry.selectors import household_members_as_of
from tests.conftest import ids

D0, D1, D2 = dt.date(2024, 1, 1), dt.date(2024, 3, 1), dt.date(2024, 6, 1)


@pytest.fixture
def two_households(actor, division):  # type: ignore[no-untyped-def]
    a = services.household_register(actor=actor, ref="HA", hukou_division=division("440106001"))
    b = services.household_register(actor=actor, ref="HB", hukou_division=division("440104001"))
    n = ids(3)
    pa = services.person_register(
        actor=actor, household=a, name="陈一", relationship="02", on=D0, id_number=n[0]
    )
    pb = services.person_register(
        actor=actor, household=a, name="陈二", relationship="20", on=D0, id_number=n[1]
    )
    pc = services.person_register(
        actor=actor, household=b, name="林三", relationship="02", on=D0, id_number=n[2]
    )
    return a, b, pa, pb, pc


def test_move_closes_old_membership_and_keeps_history(two_households, actor):
    a, b, _, son, _ = two_households
    services.person_move(actor=actor, person=son, to=b, relationship="71", on=D1)
    son.refresh_from_db()
    assert son.household == b
    assert [m.person.name for m in household_members_as_of(a, D0)] == ["陈一", "陈二"]
    assert [m.person.name for m in household_members_as_of(a, D2)] == ["陈一"]
    assert sorted(m.person.name for m in household_members_as_of(b, D2)) == ["林三", "陈二"]
    assert Membership.objects.filter(person=son).count() == 2
    assert Membership.objects.current().filter(person=son).count() == 1
    assert AuditEvent.objects.filter(action="move", object_id=str(son.pk), actor=actor).exists()


def test_moving_the_head_flags_the_old_household(two_households, actor):
    a, b, head, _, _ = two_households
    services.person_move(actor=actor, person=head, to=b, relationship="71", on=D1)
    a.refresh_from_db()
    assert a.head is None and a.needs_review


def test_same_day_correction_leaves_no_empty_interval(two_households, actor):
    _, b, _, son, _ = two_households
    services.person_move(actor=actor, person=son, to=b, relationship="71", on=D1)
    services.person_move(actor=actor, person=son, to=b, relationship="73", on=D1)
    rows = list(Membership.objects.filter(person=son).order_by("valid_from"))
    assert [(m.valid_from, m.valid_to, m.relationship) for m in rows] == [
        (D0, D1, "20"),
        (D1, None, "73"),
    ]


def test_relocation_is_dated_and_updates_the_current_divisions(two_households, actor, division):
    _, _, _, son, _ = two_households
    services.person_relocate(
        actor=actor, person=son, on=D1, residence_division=division("440104003")
    )
    son.refresh_from_db()
    assert son.residence_division == division("440104003")
    assert son.hukou_division == division("440106001")
    assert Location.objects.as_of(D0).get(person=son).residence_division == division("440106001")


def test_id_correction_is_audited_and_refuses_anothers_number(two_households, actor):
    _, _, _, son, other = two_households
    new = ids(4, year=1970)[3]
    services.person_correct_id(actor=actor, person=son, id_number=new, reason="录入错误")
    ev = AuditEvent.objects.get(action="correct_id", object_id=str(son.pk))
    assert ev.changes["id_number"][1] == new and ev.changes["reason"] == "录入错误"
    with pytest.raises(ValueError):
        services.person_correct_id(actor=actor, person=son, id_number=other.id_number, reason="x")


def test_merge_retires_the_duplicate(two_households, actor):
    a, _, head, _, _ = two_households
    dup = services.person_register(actor=actor, household=a, name="陈一", relationship="97", on=D1)
    services.person_merge(actor=actor, keep=head, duplicate=dup, reason="同一人重复登记")
    dup.refresh_from_db()
    assert dup.merged_into == head and dup.household is None
    assert not Membership.objects.current().filter(person=dup).exists()
    assert Person.objects.filter(household=a).count() == 2
    assert AuditEvent.objects.filter(action="merge", object_id=str(head.pk)).exists()
    with pytest.raises(ValueError):
        services.person_merge(actor=actor, keep=head, duplicate=head, reason="x")
