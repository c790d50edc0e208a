"""Retired codes and their successors, from the change log (pure functions)."""

from minzheng.divisions.history import Change, retired_codes


def test_chain_of_recodes_resolves_to_the_code_in_force_today():
    changes = [
        Change(1983, "撤县设区", 3, "372121", "福山县", "370611", "福山区"),
        Change(1990, "同名改码", 3, "370611", "福山区", "370699", "福山区"),
    ]
    got = retired_codes(changes, current={"370699"})
    assert got["372121"].successor == "370699"
    assert got["370611"].successor == "370699"
    assert not got["372121"].inferred


def test_abolished_code_without_successor_falls_back_to_its_parent():
    changes = [Change(2005, "撤销", 3, "440102", "东山区", "", "")]
    got = retired_codes(changes, current={"440100", "440104"})
    assert got["440102"].successor == "440100"
    assert got["440102"].inferred


def test_current_codes_are_not_retired_and_cycles_terminate():
    changes = [
        Change(1990, "同名改码", 3, "110101", "甲", "110102", "甲"),
        Change(1991, "同名改码", 3, "110102", "甲", "110101", "甲"),
    ]
    assert retired_codes(changes, current={"110101"}).keys() == {"110102"}
    got = retired_codes(changes, current={"999999"})
    assert got["110101"].successor is None


def test_reassigned_code_stays_current():
    changes = [Change(1982, "码位改派", 3, "142121", "大同县", "142121", "阳高县")]
    assert retired_codes(changes, current={"142121"}) == {}
