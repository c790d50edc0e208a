"""Assistance fixtures: seeded national defaults, a province/county ladder, and users.

None of them is autouse: the calculator's worked examples need no database at all.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from minzheng.assistance.parameters import parameter_set, parameters_seed
from tests.conftest import make_user

NATIONAL_START = dt.date(2020, 1, 1)
PROVINCE_START = dt.date(2024, 1, 1)
COUNTY_START = dt.date(2024, 7, 1)
NATIONAL_FEN = 70660  # the catalogue's default urban standard, 706.60 yuan
PROVINCE_FEN = 95000  # 广东 44: 950.00 yuan from 2024-01-01
COUNTY_FEN = 120000  # 天河 440106: 1200.00 yuan from 2024-07-01


@pytest.fixture
def seeded(db) -> int:
    """Every catalogue parameter has its national row from 2020-01-01."""
    return parameters_seed()


@pytest.fixture
def ladder(seeded) -> SimpleNamespace:
    """dibao_urban_fen: national default, overridden by 44 from 2024-01-01 and 440106 from
    2024-07-01 (both set by the system)."""
    province, _ = parameter_set(
        actor=None,
        name="dibao_urban_fen",
        division_prefix="44",
        value=PROVINCE_FEN,
        valid_from=PROVINCE_START,
        note="粤民规〔2023〕1号",
    )
    county, _ = parameter_set(
        actor=None,
        name="dibao_urban_fen",
        division_prefix="440106",
        value=COUNTY_FEN,
        valid_from=COUNTY_START,
        note="穗天民〔2024〕7号",
    )
    return SimpleNamespace(province=province, county=county)


@pytest.fixture
def people(db) -> SimpleNamespace:
    """Approvers at three levels, a township caseworker, a reviewer and a sysadmin."""
    return SimpleNamespace(
        county1=make_user("county1", "440106", "approver"),
        county2=make_user("county2", "440104", "approver"),
        province=make_user("province44", "44", "approver"),
        nation=make_user("nation", "", "approver"),
        town1=make_user("town1", "440106001", "caseworker"),
        national_caseworker=make_user("cw-nation", "", "caseworker"),
        reviewer1=make_user("reviewer1", "440106", "reviewer"),
        admin=make_user("admin", "", "sysadmin", is_staff=True),
    )


def household(**extra: Any) -> dict[str, Any]:
    """One urban adult in Tianhe with 100 yuan a month, assessed on 2024-07-01."""
    return {
        "division": "440106",
        "date": "2024-07-01",
        "urban": True,
        "members": [{"relationship": "户主", "birth_date": "1980-01-01", "monthly_income": 100}],
        **extra,
    }


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Case attachments go to a temporary directory, never into the checkout."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"
