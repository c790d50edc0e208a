"""Loading the official list, resolving retired codes, re-coding and merging."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.accounts.models import AuditEvent
from minzheng.divisions import services
from minzheng.divisions.models import Division, Level
from minzheng.divisions.selectors import division_resolve, known_address_codes
from minzheng.registry import services as registry


def test_official_list_has_every_county_level_unit(db):
    counties = Division.objects.current().filter(level=Level.COUNTY).count()
    assert 2800 <= counties <= 2900
    tianhe = Division.objects.current().get(code="440106000000")
    assert tianhe.name == "天河区"
    assert tianhe.parent.name == "广州市"
    assert tianhe.parent.parent.name == "广东省"
    assert Division.objects.current().filter(parent=tianhe, level=Level.TOWNSHIP).count() >= 20


def test_loading_twice_changes_nothing(db):
    before = Division.objects.count()
    again = services.divisions_load_official()
    assert again.created == 0 and again.updated == 0
    assert services.divisions_load_history().created == 0
    assert Division.objects.count() == before


def test_retired_code_resolves_to_its_successor(db):
    res = division_resolve("440102")  # 东山区, merged into 越秀区 in 2005
    assert res is not None and res.retired_code == "440102"
    assert res.division.is_current
    assert res.division.code.startswith("4401")
    assert "已撤销" in res.note


def test_recode_via_history_chain(db):
    res = division_resolve("372121")  # 福山县 → 福山区 (1983)
    assert res is not None and res.division.name == "福山区"


def test_unknown_code_resolves_to_nothing(db):
    assert division_resolve("440199") is None
    assert division_resolve("abc") is None


def test_known_address_codes_include_retired_ones(db):
    codes = known_address_codes()
    assert {"440106", "440102", "372121"} <= codes
    assert "440199" not in codes


def test_recode_is_one_update_and_keeps_references(db, actor, division):
    tianhe = division("440106")
    hh = registry.household_register(
        actor=actor, ref="H-RECODE", hukou_division=division("440106001")
    )
    services.division_recode(
        actor=actor, division=tianhe, new_code="440199", on=dt.date(2026, 1, 1)
    )
    tianhe.refresh_from_db()
    hh.refresh_from_db()
    assert tianhe.code == "440199000000"
    assert hh.hukou_division.code == "440199001000"  # township re-coded with its county
    assert division_resolve("440106").division == tianhe
    assert division_resolve("440106001").division == hh.hukou_division
    assert AuditEvent.objects.filter(action="recode", object_id=str(tianhe.pk)).exists()


def test_recode_refuses_a_code_in_use(db, actor, division):
    with pytest.raises(ValueError):
        services.division_recode(
            actor=actor, division=division("440106"), new_code="440104", on=dt.date(2026, 1, 1)
        )


def test_merge_moves_every_record_and_retires_the_absorbed(db, actor, division):
    a, b = division("440106001"), division("440106002")
    hh = registry.household_register(actor=actor, ref="H-MERGE", hukou_division=a)
    moved = services.division_merge(actor=actor, absorbed=a, into=b, on=dt.date(2026, 1, 1))
    hh.refresh_from_db()
    a.refresh_from_db()
    assert moved >= 2  # hukou and residence of the household
    assert hh.hukou_division == b and hh.residence_division == b
    assert not a.is_current and a.successor == b
    assert division_resolve("440106001").division == b


def test_rename_keeps_code_and_records_history(db, actor, division):
    d = division("440106001")
    services.division_rename(actor=actor, division=d, new_name="新五山街道", on=dt.date(2026, 1, 1))
    assert d.changes.filter(kind="rename", old_name="五山街道").exists()


@pytest.mark.parametrize("code", ["²²²²²²", "٤٤٠١٠٦", "４４０１０６", "44010６"])
def test_a_code_of_other_digits_is_not_a_code(code):
    from minzheng.divisions.selectors import normalise_code

    with pytest.raises(ValueError):
        normalise_code(code)
    assert normalise_code(" 440106 ") == "440106000000"
