"""Aggregate data sets: entry, validation, the approval chain, the lock on every write path,
CSV import/export, ADX and the roll-up of entered values."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.urls import include, path
from rest_framework.test import APIClient

import minzheng.urls as root
from minzheng.accounts.models import AuditEvent
from minzheng.divisions.models import Division
from minzheng.stats import datasets as svc
from minzheng.stats.models import DataApprovalEvent, DataValue
from tests.conftest import make_user

# The stats API mounted where minzheng/api/urls.py will mount it (a test-local urlconf, so
# the test does not depend on that wiring).
urlpatterns = [path("api/v1/", include("minzheng.stats.api")), *root.urlpatterns]
HERE = "tests.stats.test_datasets"

Q3 = "2024Q3"
# institutions that add up: 4 + 2 + 1 + 3 = 10 institutions; 1000 + 200 + 100 + 200 = 1500 beds
INSTITUTIONS = {
    "IN01": "10", "IN11": "4", "IN21": "2", "IN31": "1", "IN41": "3",
    "IN02": "0.15", "IN12": "0.1", "IN22": "200", "IN32": "100", "IN42": "200",
}  # fmt: skip


def entries(values: dict[str, str], **justify: str) -> dict[str, svc.Entry]:
    """Report-unit text → service entries (as a form or a CSV gives them)."""
    out = {}
    for code, text in values.items():
        ind = svc.indicator_get(code)
        out[code] = svc.Entry(svc.parse_value(ind, text), None, justify.get(code))
    return out


def fill(actor, division, values=INSTITUTIONS, period=Q3, **justify):
    return svc.values_save(
        actor=actor, division=division, period=period, entries=entries(values, **justify)
    )


@pytest.fixture
def people(db):
    """Clerks of two Guangzhou counties, approvers at city, province and nation, and more."""
    return {
        "clerk": make_user("clerk", "440106", "caseworker"),
        "clerk2": make_user("clerk2", "440104", "caseworker"),
        "county_reviewer": make_user("cty-rev", "440106", "reviewer"),
        "county_approver": make_user("cty-app", "440106", "approver"),
        "city": make_user("gz-app", "440100", "approver"),
        "province": make_user("gd-app", "440000", "approver"),
        "nation": make_user("cn-app", "", "approver"),
        "national_clerk": make_user("cn-clerk", "", "caseworker"),
        "analyst": make_user("cn-analyst", "", "analyst"),
        "sysadmin": make_user("cn-sys", "", "sysadmin", is_staff=True, is_superuser=True),
    }


@pytest.fixture
def tianhe(division):
    return division("440106")


@pytest.fixture
def yuexiu(division):
    return division("440104")


# --- entry ------------------------------------------------------------------------------


def test_values_are_stored_in_base_units_audited_and_unchanged_on_repeat(people, tianhe):
    saved = fill(people["clerk"], tianhe)
    assert (saved.created, saved.updated, saved.violations) == (10, 0, [])
    beds = DataValue.objects.get(indicator="IN02", period=Q3, division=tianhe)
    assert beds.value == Decimal(1500) and beds.division_code == "440106000000"
    audits = AuditEvent.objects.filter(object_type="datavalue", action="create")
    assert audits.count() == 10
    assert audits.get(object_id=str(beds.pk)).changes["value"] == [None, "1500"]

    again = fill(people["clerk"], tianhe)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)
    assert AuditEvent.objects.filter(object_type="datavalue").count() == 10

    changed = fill(people["clerk"], tianhe, {"IN22": "250", "IN42": "150"})
    assert changed.updated == 2
    assert AuditEvent.objects.get(action="update", object_id=str(
        DataValue.objects.get(indicator="IN22").pk)).changes["value"] == ["200", "250"]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "text", "fragment"),
    [("IN01", "-1", "负数"), ("IN01", "1.5", "应精确到"), ("IN02", "0.00001", "应精确到"),
     ("IN01", "abc", "不是数字"), ("IN01", "NaN", "不是数字")],
)  # fmt: skip
def test_bad_values_are_refused_in_both_languages(code, text, fragment):
    with pytest.raises(svc.DataSetError) as err:
        svc.parse_value(svc.indicator_get(code), text)
    assert fragment in err.value.message and err.value.message_en


def test_money_keeps_fen_and_a_computed_indicator_is_not_entered():
    assert svc.parse_value(svc.indicator_get("EX01"), "1.2345678901") == Decimal("123456789.01")
    with pytest.raises(svc.DataSetError):
        svc.indicator_get("SA01")  # computed from the registry, never typed in


def test_only_counties_in_the_jurisdiction_are_entered(people, tianhe, yuexiu, division):
    with pytest.raises(svc.DataSetError) as err:
        fill(people["clerk"], yuexiu)
    assert err.value.code == "forbidden"
    with pytest.raises(svc.DataSetError) as err:
        fill(people["analyst"], tianhe)
    assert err.value.code == "forbidden"
    with pytest.raises(svc.DataSetError) as err:
        fill(people["national_clerk"], division("440100"))
    assert err.value.code == "invalid" and "县级" in err.value.message
    assert fill(people["national_clerk"], yuexiu).created == 10


# --- validation ---------------------------------------------------------------------------


def test_an_error_rule_is_not_cleared_by_a_justification(people, tianhe):
    saved = fill(people["clerk"], tianhe, {**INSTITUTIONS, "IN01": "11"}, IN01="确有其事")
    [v] = saved.violations
    assert (v.rule, v.indicator, v.blocking) == ("VR01", "IN01", True)
    assert "= 10 个" in v.zh and "= 11 个" in v.zh and "add up" in v.en
    with pytest.raises(svc.DataSetError) as err:
        svc.dataset_submit(
            actor=people["clerk"], dataset="institutions", period=Q3, division=tianhe
        )
    assert err.value.code == "violations" and "VR01" in err.value.message_en
    assert svc.approval_state("institutions", Q3, "440106") == "open"


def test_a_warning_rule_is_cleared_by_a_justification(people, tianhe):
    fill(people["clerk"], tianhe, {"MA01": "0.1", "MA02": "0.2"})
    with pytest.raises(svc.DataSetError) as err:
        svc.dataset_submit(actor=people["clerk"], dataset="marriage", period=Q3, division=tianhe)
    assert [v.rule for v in err.value.violations] == ["VR09"]
    fill(people["clerk"], tianhe, {"MA02": "0.2"}, MA02="辖区人口外迁，已核实")
    [v] = svc.validate(dataset="marriage", period=Q3, division=tianhe)
    assert v.justified and not v.blocking
    svc.dataset_submit(actor=people["clerk"], dataset="marriage", period=Q3, division=tianhe)
    assert svc.approval_state("marriage", Q3, "440106000000") == "submitted"


def test_a_year_to_date_flow_must_not_fall_within_the_year(people, tianhe):
    clerk = people["clerk"]
    fill(clerk, tianhe, {"FU01": "0.5", "FU02": "2"}, period="2024Q1")
    fill(clerk, tianhe, {"FU01": "0.8", "FU02": "2"}, period="2024Q2")
    fill(clerk, tianhe, {"FU01": "0.7", "FU02": "1"}, period="2024Q3")  # stocks may fall
    [v] = svc.validate(dataset="funeral", period=Q3, division=tianhe)
    assert (v.rule, v.indicator, v.blocking) == ("flow", "FU01", True)
    assert "2024Q2" in v.zh and "0.8万具" in v.zh and "year-to-date" in v.en
    fill(clerk, tianhe, {"FU01": "0.1", "FU02": "2"}, period="2025Q1")  # a new year starts at 0
    assert svc.validate(dataset="funeral", period="2025Q1", division=tianhe) == []
    fill(clerk, tianhe, {"FU01": "0.7"}, FU01="2024Q2 多报，已更正", period=Q3)
    svc.dataset_submit(actor=clerk, dataset="funeral", period=Q3, division=tianhe)


def test_a_submission_must_be_complete(people, tianhe):
    fill(people["clerk"], tianhe, {"IN01": "1", "IN11": "1", "IN21": "0", "IN31": "0"})
    with pytest.raises(svc.DataSetError) as err:
        svc.dataset_submit(
            actor=people["clerk"], dataset="institutions", period=Q3, division=tianhe
        )
    missing = {v.indicator for v in err.value.violations if v.rule == "missing"}
    assert missing == {"IN02", "IN12", "IN22", "IN32", "IN41", "IN42"}


def test_validation_rules_name_only_entered_indicators():
    rules = svc.rules()
    assert {r.code for r in rules} >= {"VR01", "VR02", "VR04", "VR09"}
    assert all(svc.dataset_of(c) is not None for r in rules for c in r.codes)


# --- approval -----------------------------------------------------------------------------


def _submitted(people, tianhe, yuexiu):
    for who, where in (("clerk", tianhe), ("clerk2", yuexiu)):
        fill(people[who], where)
        svc.dataset_submit(actor=people[who], dataset="institutions", period=Q3, division=where)


def test_the_approval_chain_runs_county_city_province_nation(people, tianhe, yuexiu, division):
    _submitted(people, tianhe, yuexiu)
    step = {"dataset": "institutions", "period": Q3}
    gz, gd = division("440100"), division("440000")
    with pytest.raises(svc.DataSetError) as err:  # the nation is not the level above a county
        svc.dataset_approve(actor=people["nation"], division=tianhe, **step)
    assert err.value.code == "forbidden"
    with pytest.raises(svc.DataSetError) as err:  # a county approver approves nobody's county
        svc.dataset_approve(actor=people["county_approver"], division=tianhe, **step)
    assert err.value.code == "forbidden"
    svc.dataset_approve(actor=people["city"], division=tianhe, **step)
    with pytest.raises(svc.DataSetError) as err:  # 越秀 is submitted, not yet approved
        svc.dataset_approve(actor=people["province"], division=gz, **step)
    assert "越秀区" in err.value.message
    svc.dataset_approve(actor=people["city"], division=yuexiu, **step)
    svc.dataset_approve(actor=people["province"], division=gz, **step)
    svc.dataset_approve(actor=people["nation"], division=gd, **step)
    states = [svc.approval_state("institutions", Q3, c) for c in ("440106", "4401", "44")]
    assert states == ["approved"] * 3
    actions = list(DataApprovalEvent.objects.values_list("action", "approval__division_code"))
    assert actions == [
        ("submit", "440106000000"), ("submit", "440104000000"), ("approve", "440106000000"),
        ("approve", "440104000000"), ("approve", "440100000000"), ("approve", "440000000000"),
    ]  # fmt: skip
    assert AuditEvent.objects.filter(object_type="dataapproval").count() == 6


def test_a_return_needs_a_reason_and_an_unapproved_level_above(people, tianhe, yuexiu, division):
    _submitted(people, tianhe, yuexiu)
    step = {"dataset": "institutions", "period": Q3}
    gz = division("440100")
    with pytest.raises(svc.DataSetError):
        svc.dataset_return(actor=people["city"], division=tianhe, reason=" ", **step)
    svc.dataset_return(actor=people["city"], division=tianhe, reason="床位数偏高，请核实", **step)
    assert svc.approval_state("institutions", Q3, "440106") == "returned"
    assert DataApprovalEvent.objects.get(action="return").reason == "床位数偏高，请核实"
    fill(people["clerk"], tianhe, {"IN42": "200"}, IN42="已核实")  # open again
    svc.dataset_submit(actor=people["clerk"], division=tianhe, **step)
    for where in (tianhe, yuexiu):
        svc.dataset_approve(actor=people["city"], division=where, **step)
    svc.dataset_approve(actor=people["province"], division=gz, **step)
    with pytest.raises(svc.DataSetError) as err:  # the city is approved above: locked
        svc.dataset_return(actor=people["city"], division=tianhe, reason="再改", **step)
    assert err.value.code == "locked"
    svc.dataset_return(actor=people["province"], division=gz, reason="汇总有误", **step)
    svc.dataset_return(actor=people["city"], division=tianhe, reason="再改", **step)
    assert fill(people["clerk"], tianhe, {"IN42": "199", "IN41": "3"}).updated == 1


# --- the lock, on every write path, for every role ------------------------------------------


@pytest.fixture
def locked(people, tianhe, yuexiu):
    """天河's institutions 2024Q3 approved by the city."""
    _submitted(people, tianhe, yuexiu)
    svc.dataset_approve(actor=people["city"], dataset="institutions", period=Q3, division=tianhe)
    return DataValue.objects.get(indicator="IN01", period=Q3, division=tianhe)


WRITERS = ["clerk", "county_reviewer", "county_approver", "city", "province", "nation",
           "national_clerk", "analyst", "sysadmin"]  # fmt: skip
FORM = f"/stats/datasets/institutions/{Q3}/440106/"


@pytest.mark.urls(HERE)
@pytest.mark.parametrize("who", WRITERS)
def test_a_locked_period_refuses_every_role_on_every_path(people, locked, client, who):
    user = people[who]
    client.force_login(user)
    page = client.post(FORM, {**{f"v_{c}": v for c, v in INSTITUTIONS.items()}, "v_IN01": "99"})
    assert page.status_code in (403, 404, 409)
    if user.sees_personal_data and who != "analyst":
        assert page.status_code == 409
        assert "已审批锁定" in page.content.decode() and "locked" in page.content.decode()

    api = APIClient()
    api.force_authenticate(user)
    body = {"division": "440106", "period": Q3, "values": [{"indicator": "IN01", "value": "99"}]}
    answer = api.post("/api/v1/stats/values/", body, format="json")
    assert answer.status_code in (403, 404, 409)
    if user.sees_personal_data and who != "analyst":
        assert answer.status_code == 409 and answer.json()["code"] == "locked"
        assert "已审批锁定" in answer.json()["detail"]

    report = svc.values_import_csv(actor=user, data=f"division,period,indicator,value\n440106,{Q3},IN01,99\n".encode())  # fmt: skip
    assert report["rejected"] == 1 and report["created"] + report["updated"] == 0
    [error] = report["errors"]
    if user.can_edit_registry:
        assert error["column"] == "period" and "锁定" in error["reason"]
        assert "locked" in error["reason_en"]

    locked.refresh_from_db()
    assert locked.value == Decimal(10)
    with pytest.raises(svc.DataSetError):
        svc.values_save(actor=user, division=locked.division, period=Q3,
                        entries={"IN01": svc.Entry(Decimal(99))})  # fmt: skip
    assert DataValue.objects.get(pk=locked.pk).value == Decimal(10)


def test_the_system_account_is_refused_too(people, locked):
    from minzheng.accounts.services import system_actor

    report = svc.values_import_csv(actor=system_actor(), data=f"division,period,indicator,value\n440106,{Q3},IN01,99\n".encode())  # fmt: skip
    assert report["rejected"] == 1 and "locked" in report["errors"][0]["reason_en"]


def test_a_county_with_no_data_is_locked_once_its_city_is_approved(
    people, tianhe, yuexiu, division
):
    fill(people["clerk"], tianhe)
    svc.dataset_submit(actor=people["clerk"], dataset="institutions", period=Q3, division=tianhe)
    svc.dataset_approve(actor=people["city"], dataset="institutions", period=Q3, division=tianhe)
    svc.dataset_approve(actor=people["province"], dataset="institutions", period=Q3,
                        division=division("440100"))  # fmt: skip
    with pytest.raises(svc.DataSetError) as err:  # 越秀 reported nothing; now too late
        fill(people["clerk2"], yuexiu)
    assert err.value.code == "locked" and "广州市" in err.value.message


# --- pages and API --------------------------------------------------------------------------


@pytest.mark.urls(HERE)
def test_the_form_saves_submits_and_shows_violations(people, tianhe, client):
    client.force_login(people["clerk"])
    page = client.get(FORM)
    assert page.status_code == 200 and page.context["nav"] == "stats_datasets"
    assert page.context["editable"] and 'name="v_IN02"' in page.content.decode()
    form = {f"v_{c}": v for c, v in INSTITUTIONS.items()}
    bad = client.post(FORM, {**form, "v_IN01": "12abc"})
    assert bad.status_code == 400 and not DataValue.objects.exists()
    saved = client.post(FORM, {**form, "v_IN01": "11", "action": "save"})
    assert saved.status_code == 302
    page = client.get(FORM)
    assert "VR01" in page.content.decode()
    refused = client.post(FORM, {**form, "v_IN01": "11", "action": "submit"}, follow=True)
    assert "未通过校验" in refused.content.decode()
    client.post(FORM, {**form, "action": "submit"})
    assert svc.approval_state("institutions", Q3, "440106") == "submitted"
    page = client.get(FORM)
    assert not page.context["editable"] and 'name="v_IN02"' not in page.content.decode()
    listing = client.get("/stats/datasets/", {"period": Q3})
    assert listing.status_code == 200 and "已上报" in listing.content.decode()


@pytest.mark.urls(HERE)
def test_approve_and_return_through_the_pages(people, tianhe, yuexiu, client):
    _submitted(people, tianhe, yuexiu)
    action = f"/stats/datasets/institutions/{Q3}/440106/action/"
    client.force_login(people["clerk"])
    client.post(action, {"action": "approve"})
    assert svc.approval_state("institutions", Q3, "440106") == "submitted"
    client.force_login(people["city"])
    assert client.get(FORM).context["may_approve"]
    client.post(action, {"action": "approve"})
    assert svc.approval_state("institutions", Q3, "440106") == "approved"
    client.post(action, {"action": "return", "reason": "请更正"})
    assert svc.approval_state("institutions", Q3, "440106") == "returned"
    history = client.get(FORM).content.decode()
    assert history.count("审批通过") >= 1 and "请更正" in history
    city = client.get(f"/stats/datasets/institutions/{Q3}/440100/")
    assert city.status_code == 200 and "0.3" in city.content.decode()  # 0.15 万张 × 2
    assert client.get(f"/stats/datasets/institutions/{Q3}/440300/").status_code == 404  # 深圳
    client.force_login(people["clerk"])
    assert client.get(f"/stats/datasets/institutions/{Q3}/440104/").status_code == 404


@pytest.mark.urls(HERE)
def test_the_api_reads_and_writes_within_the_jurisdiction(people, tianhe):
    api = APIClient()
    api.force_authenticate(people["clerk"])
    body = {"division": "440106", "period": Q3,
            "values": [{"indicator": c, "value": v} for c, v in INSTITUTIONS.items()]}  # fmt: skip
    answer = api.post("/api/v1/stats/values/", body, format="json")
    assert answer.status_code == 200 and answer.json()["created"] == 10
    listed = api.get("/api/v1/stats/values/", {"period": Q3}).json()
    beds = next(v for v in listed if v["indicator"] == "IN02")
    assert (beds["value"], beds["base_value"], beds["unit"]) == ("0.15", "1500", "万张")
    other = {**body, "division": "440104"}
    assert api.post("/api/v1/stats/values/", other, format="json").status_code == 404
    step = {"dataset": "institutions", "period": Q3, "division": "440106"}
    assert (
        api.post("/api/v1/stats/approvals/submit/", step, format="json").json()["state"]
        == "submitted"
    )
    assert api.get("/api/v1/stats/approvals/", step).json()["state"] == "submitted"
    refused = api.post("/api/v1/stats/approvals/approve/", step, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


# --- CSV and ADX ----------------------------------------------------------------------------


def test_csv_import_reports_bad_rows_lands_good_ones_and_is_idempotent(people, tianhe):
    text = (
        "division,period,indicator,value,comment\n"
        "440106,2024Q3,IN01,10,\n"
        '440106,2024Q3,IN02,"0.15",床位\n'
        "999999,2024Q3,IN11,4,\n"
        "440106,2024Q5,IN11,4,\n"
        "440106,2024Q3,SA01,4,\n"
        "440106,2024Q3,IN21,two,\n"
        "440106,2024Q3,IN31,-1,\n"
        "440106,2024Q3,IN01,10,\n"
        "440104,2024Q3,IN41,3,\n"
        "440106,2024Q3,IN42,,\n"
    )
    report = svc.values_import_csv(actor=people["clerk"], data=text.encode())
    assert (report["rows"], report["created"], report["skipped"], report["rejected"]) == (
        10,
        2,
        1,
        7,
    )
    errors = {(e["row"], e["column"]) for e in report["errors"]}
    assert errors == {(4, "division"), (5, "period"), (6, "indicator"), (7, "value"),
                      (8, "value"), (9, "indicator"), (10, "division")}  # fmt: skip
    assert all(e["reason"] and e["reason_en"] for e in report["errors"])
    assert DataValue.objects.get(indicator="IN02").comment == "床位"
    audits = AuditEvent.objects.count()
    again = svc.values_import_csv(actor=people["clerk"], data=text.encode("gb18030"))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert AuditEvent.objects.count() == audits + 1  # only the import's own row
    assert DataValue.objects.count() == 2


def test_a_csv_without_the_columns_is_refused_whole(people):
    with pytest.raises(svc.DataSetError) as err:
        svc.values_import_csv(actor=people["clerk"], data=b"code,value\n1,2\n")
    assert "division" in err.value.message and "missing" in err.value.message_en


def test_export_reimports_to_nothing_and_adx_has_the_groups(people, tianhe, yuexiu):
    from minzheng.stats.adx import values_adx

    fill(people["clerk"], tianhe)
    fill(people["clerk2"], yuexiu, {"MA01": "0.12", "MA02": "0.05"})
    csv_text = svc.values_csv(period=Q3, prefix="4401")
    assert "440106,2024Q3,IN02,0.15" in csv_text
    report = svc.values_import_csv(actor=people["national_clerk"], data=csv_text.encode())
    assert (report["unchanged"], report["rejected"]) == (12, 0)

    doc = ET.fromstring(values_adx(period=Q3, prefix="44"))
    ns = {"a": "urn:ihe:qrph:adx:2015"}
    assert doc.tag == "{urn:ihe:qrph:adx:2015}adx"
    groups = {(g.get("orgUnit"), g.get("dataSet"), g.get("period")): g
              for g in doc.findall("a:group", ns)}  # fmt: skip
    assert set(groups) == {("440106", "institutions", "2024-07-01/P3M"),
                           ("440104", "marriage", "2024-07-01/P3M")}  # fmt: skip
    values = {d.get("dataElement"): d.get("value")
              for d in groups[("440104", "marriage", "2024-07-01/P3M")]}  # fmt: skip
    assert values == {"MA01": "1200", "MA02": "500"}
    assert len(groups[("440106", "institutions", "2024-07-01/P3M")]) == 10


# --- roll-up -------------------------------------------------------------------------------

COUNTIES = ["440106", "440104", "440105", "440303", "440304", "110101", "110102", "310101"]


def test_entered_values_roll_up_equals_direct_sums(people, division):
    rng = random.Random(7)
    for code in COUNTIES:
        values = {c: str(rng.randint(0, 500)) for c in ("IN01", "GR01", "LV03")}
        fill(people["national_clerk"], division(code), values)
    rows = list(DataValue.objects.values_list("indicator", "division_code", "value"))
    for prefix in ("", "44", "4401", "440106"):
        got = svc.entered_values(Q3, prefix)
        for (code, level, div), value in got.items():
            direct = sum(v for c, d, v in rows if c == code and d.startswith(div))
            assert value == direct, (code, level, div)
            assert len(div) == {0: 0, 1: 2, 2: 4, 3: 6}[level] and div.startswith(prefix)
        expected_keys = {
            (c, lv, d[:n]) for c, d, _v in rows if d.startswith(prefix)
            for lv, n in {0: 0, 1: 2, 2: 4, 3: 6}.items() if n >= len(prefix)
        }  # fmt: skip
        assert set(got) == expected_keys
    assert svc.entered_values(Q3)[("IN01", 0, "")] == sum(v for c, _d, v in rows if c == "IN01")


def test_the_cli_imports_and_exports(people, tianhe, tmp_path):
    from click.testing import CliRunner

    from minzheng.stats.cli import stats

    src = tmp_path / "v.csv"
    src.write_text("division,period,indicator,value\n440106,2024Q3,GR01,12\n", encoding="utf-8")
    result = CliRunner().invoke(stats, ["values", "import", str(src), "--as", "clerk"])
    assert result.exit_code == 0, result.output
    assert DataValue.objects.get(indicator="GR01").value == 12
    out = tmp_path / "out.xml"
    result = CliRunner().invoke(
        stats, ["values", "export", "--period", Q3, "--format", "adx", "--out", str(out)]
    )
    assert result.exit_code == 0 and 'dataElement="GR01"' in out.read_text()
    step = ["--dataset", "grassroots", "--period", Q3, "--division", "440106"]
    fill(people["clerk"], tianhe, {"GR02": "3"})
    assert CliRunner().invoke(stats, ["submit", *step, "--as", "clerk"]).exit_code == 0
    refused = CliRunner().invoke(stats, ["approve", *step, "--as", "clerk"])
    assert refused.exit_code != 0 and "approver" in refused.output
    assert CliRunner().invoke(stats, ["approve", *step, "--as", "gz-app"]).exit_code == 0
    assert svc.approval_state("grassroots", Q3, "440106") == "approved"


@pytest.mark.urls(HERE)
def test_list_downloads_and_template(people, tianhe, client):
    fill(people["clerk"], tianhe)
    client.force_login(people["nation"])
    listing = client.get("/stats/datasets/", {"period": Q3})
    assert listing.status_code == 200 and "广东省" in listing.content.decode()
    provinces = Division.objects.current().filter(level=1).count()
    assert len(listing.context["table"]) == 1 + provinces  # the nation and its provinces
    client.force_login(people["city"])
    listing = client.get("/stats/datasets/", {"period": Q3})
    assert "天河区" in listing.content.decode()
    csv_file = client.get("/stats/datasets/export/", {"period": Q3})
    assert "440106,2024Q3,IN02,0.15" in csv_file.content.decode("utf-8-sig")
    adx = client.get("/stats/datasets/export/", {"period": Q3, "format": "adx"})
    assert ET.fromstring(adx.content).tag.endswith("adx")
    client.force_login(people["clerk"])
    template = client.get(f"{FORM}template.csv").content.decode("utf-8-sig")
    assert template.splitlines()[0].startswith("division,period,indicator,value")
    assert "440106,2024Q3,IN02,0.15" in template and "万张" in template
    upload = client.post("/stats/datasets/import/",
                         {"file": _upload("division,period,indicator,value\n440106,2024Q3,IN02,0.2\n")})  # fmt: skip
    assert upload.status_code == 200 and upload.context["report"]["updated"] == 1


def _upload(text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("v.csv", text.encode(), content_type="text/csv")
