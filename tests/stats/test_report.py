"""The statistics report: figures from snapshots, xlsx/pdf/md renderings, the command,
the download view, and the public (small-cell protected) version."""

from __future__ import annotations

import datetime as dt
import re
import sys
import types
import zlib
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from minzheng.stats.catalogue import catalogue
from minzheng.stats.figures import (
    ReportError,
    ReportRow,
    ReportTable,
    Section,
    report_table,
)
from minzheng.stats.models import SnapshotValue
from minzheng.stats.periods import previous_period, year_ago
from minzheng.stats.report import render_md, render_pdf, render_xlsx, report_export
from minzheng.stats.report_cli import report_cmd
from minzheng.stats.services import stats_snapshot
from tests.conftest import make_user

LATER = dt.date(2025, 1, 15)


@pytest.fixture
def snaps(province):
    """Q2 and Q3 2024 snapshots of the synthetic province (Q2 is the previous period)."""
    return stats_snapshot("2024Q2", as_of=LATER), stats_snapshot("2024Q3", as_of=LATER)


@pytest.fixture
def entered(monkeypatch):
    """A stand-in for minzheng.stats.datasets (written separately) with known values."""
    values = {
        "2024Q3": {("LV01", 1, "44"): Decimal("8750000000"), ("IN01", 1, "44"): Decimal(12),
                   ("IN01", 3, "440106"): Decimal(3)},
        "2023Q3": {("LV01", 1, "44"): Decimal("8000000000")},
    }  # fmt: skip
    module = types.ModuleType("minzheng.stats.datasets")
    module.entered_values = lambda period, prefix: {  # type: ignore[attr-defined]
        k: v for k, v in values.get(period, {}).items() if k[2].startswith(prefix)
    }
    monkeypatch.setitem(sys.modules, "minzheng.stats.datasets", module)
    return values


def expected_value(snap, code: str, level: int, prefix: str) -> Decimal | None:
    """The snapshot's figure summed over dimensions, in the report unit (independently)."""
    ind = catalogue().indicators[code]
    rows = SnapshotValue.objects.filter(
        snapshot=snap, indicator=code, level=level, division_code=prefix
    )
    if ind.kind == "ratio":
        num = sum(r.numerator or 0 for r in rows)
        den = sum(r.denominator or 0 for r in rows)
        return None if not den else (Decimal(num) * ind.factor / den).quantize(Decimal("0.000001"))
    return sum((r.value for r in rows), Decimal(0)) / ind.scale


# --- the table -----------------------------------------------------------------------------
def test_periods_before():
    assert [previous_period(p) for p in ("2024Q3", "2024Q1", "2024-01", "2024-07", "2024")] == [
        "2024Q2", "2023Q4", "2023-12", "2024-06", "2023"]  # fmt: skip
    assert [year_ago(p) for p in ("2024Q3", "2024-07", "2024")] == ["2023Q3", "2023-07", "2023"]


def test_every_indicator_in_catalogue_order_with_the_snapshots_values(snaps, entered):
    q2, q3 = snaps
    table = report_table("2024Q3", "44")
    assert [r.code for r in table.rows] == list(catalogue().indicators)
    assert [s.key for s in table.sections] == [
        k
        for k in catalogue().sections
        if any(i.section == k for i in catalogue().indicators.values())
    ]
    assert table.division_name == "广东省" and table.level == 1 and table.snapshot_version == 1
    for row in table.rows:
        if row.source == "computed":
            assert row.value == expected_value(q3, row.code, 1, "44"), row.code
            assert row.previous == expected_value(q2, row.code, 1, "44"), row.code
    sa01 = table.row("SA01")
    assert sa01.value and sa01.previous is not None and table.row("MN02").value == 600
    assert sa01.change == sa01.value - sa01.previous
    lottery = table.row("LV01")
    assert (lottery.source, lottery.value, lottery.year_ago) == ("entered", Decimal("87.5"), 80)
    assert table.row("IN01").value == 12 and table.row("DS01").value is None


def test_entered_values_come_from_the_data_sets_summed_up_the_levels(snaps, division):
    pytest.importorskip("minzheng.stats.datasets")
    from minzheng.stats.models import DataValue

    for code, yuan in (("440106", "8750000000"), ("440104", "1250000000")):
        DataValue.objects.create(indicator="LV01", period="2024Q3", division=division(code),
                                 division_code=code.ljust(12, "0"), value=Decimal(yuan))  # fmt: skip
    assert report_table("2024Q3", "44").row("LV01").value == 100  # 亿元, both counties
    county = report_table("2024Q3", "440106").row("LV01")
    assert (county.value, county.source) == (Decimal("87.5"), "entered")


def test_a_county_gets_its_own_figures_and_no_more(snaps, entered):
    county = make_user("county", "440106", "analyst")
    table = report_table("2024Q3", "440106", county)
    assert table.level == 3 and table.row("IN01").value == 3
    assert table.row("MN02").value == expected_value(snaps[1], "MN02", 3, "440106")
    with pytest.raises(ReportError, match="管辖范围") as err:
        report_table("2024Q3", "440104", county)
    assert "jurisdiction" in err.value.message_en
    with pytest.raises(ReportError):
        report_table("2024Q3", "44", county)


def test_the_breakdown_by_division_adds_up_to_the_total(snaps):
    kids = report_table("2024Q3", "44").children
    assert kids is not None and kids.divisions[-1] == ("44", "合计")
    assert {code for code, _ in kids.divisions[:-1]} == {"4401"}
    col = kids.codes.index("MN02")
    assert kids.cells[-1][col] == 600
    county = report_table("2024Q3", "4401").children
    assert county is not None
    assert [c for c, _ in county.divisions[:-1]] == ["440104", "440106"]
    for j in range(len(county.codes)):
        assert sum(r[j] or 0 for r in county.cells[:-1]) == county.cells[-1][j]


# --- Excel -------------------------------------------------------------------------------
def test_xlsx_has_the_official_layout_and_the_same_values(snaps, entered):
    from io import BytesIO

    from openpyxl import load_workbook

    table = report_table("2024Q3", "44")
    wb = load_workbook(BytesIO(render_xlsx(table)))
    ws = wb["统计表"]
    assert "A1:G1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A1"].value == "民政统计季报"
    head = [ws.cell(row=4, column=j).value for j in range(1, 8)]
    assert head == ["指标名称", "计量单位", "代码", "本期", "上期", "增减", "增减%"]
    assert ws.freeze_panes == "A5" and ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.print_title_rows == "$4:$4"
    texts = " ".join(str(c.value) for row in ws.iter_rows(max_row=3) for c in row if c.value)
    assert "广东省（44）" in texts and "JBZH0001" in texts and "2024年第三季度" in texts
    by_code = {r[2]: r for r in ws.iter_rows(min_row=5, values_only=True) if r[2]}
    assert list(by_code) == [r.code for r in table.rows]
    for row in table.rows:
        cell = by_code[row.code][3]
        if row.value is None:
            assert cell is None
        else:
            assert Decimal(str(cell)) == pytest.approx(row.value, abs=Decimal("1e-9")), row.code
    sections = [r[0] for r in ws.iter_rows(min_row=5, values_only=True) if r[0] and not r[2]]
    assert sections[0] == "民政事业费支出" and "社会救助" in sections
    english = wb["English"]
    assert english["A1"].value.startswith("Civil-affairs statistics")
    assert english.cell(row=4, column=1).value == "Indicator"
    assert "分地区 By division" in wb.sheetnames


# --- PDF ---------------------------------------------------------------------------------
def pdf_text(data: bytes) -> str:
    """The text of a PDF made with a subset Type0 font: glyph ids mapped back through the
    ToUnicode CMap (a minimal extractor; no PDF library is installed)."""
    streams = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            streams.append(zlib.decompress(raw))
        except zlib.error:
            streams.append(raw)
    cmap: dict[str, str] = {}
    for s in streams:
        for src, dst in re.findall(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4,8})>", s):
            cmap[src.decode().upper()] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    text = []
    for s in streams:
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", s, re.S):
            codes = _unescape(literal)
            text.append("".join(cmap.get(codes[i : i + 2].hex().upper(), "?")
                                for i in range(0, len(codes), 2)))  # fmt: skip
    return "".join(text)


_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(literal: bytes) -> bytes:
    """A PDF literal string's bytes (backslash escapes and octal codes resolved)."""

    def one(m: re.Match) -> bytes:
        esc = m.group(1)
        if esc[:1].isdigit():
            return bytes([int(esc, 8)])
        return _ESCAPES.get(esc, esc)

    return re.sub(rb"\\([0-7]{1,3}|.)", one, literal, flags=re.S)


def test_pdf_embeds_a_cjk_font_and_the_chinese_title_extracts(snaps):
    data = render_pdf(report_table("2024Q3", "44"))
    assert data.startswith(b"%PDF")
    assert b"/FontFile2" in data or b"/FontFile3" in data
    assert re.search(rb"/BaseFont /[A-Z]{6}\+(WenQuanYi|Noto)", data)
    text = pdf_text(data)
    assert "民政统计季报" in text and "城市低保人数" in text and "广东省" in text


def test_pdf_without_a_cjk_font_says_which_package_to_install(snaps, monkeypatch, tmp_path):
    from minzheng.stats import report

    monkeypatch.setattr(report, "FONT_PATHS", ())
    monkeypatch.setattr(report, "_fontconfig_cjk", lambda: None)
    with pytest.raises(ReportError) as err:
        render_pdf(report_table("2024Q3", "44"))
    assert "fonts-wqy-microhei" in err.value.message and "fonts-noto-cjk" in err.value.message_en
    monkeypatch.setenv("MINZHENG_CJK_FONT", str(tmp_path / "none.ttf"))
    with pytest.raises(ReportError, match="MINZHENG_CJK_FONT"):
        report.cjk_font()


# --- the narrative -----------------------------------------------------------------------
def hand_table(values: dict[str, tuple]) -> ReportTable:
    """A table of chosen catalogue indicators with (value, previous, year_ago) in report units."""
    cat = catalogue()
    rows = [
        ReportRow(code=c, section=cat.indicators[c].section, zh=cat.indicators[c].zh,
                  en=cat.indicators[c].en, unit=cat.indicators[c].unit,
                  kind=cat.indicators[c].kind, scale=cat.indicators[c].scale,
                  source="computed", value=v, previous=p, year_ago=y)
        for c, (v, p, y) in values.items()
    ]  # fmt: skip
    sections = defaultdict(list)
    for r in rows:
        sections[r.section].append(r)
    return ReportTable(
        period="2024Q3", division_code="", division_name="全国", level=0,
        sections=tuple(Section(k, cat.sections[k]["zh"], cat.sections[k]["en"], tuple(v))
                       for k, v in sections.items()),
        snapshot_version=2, code_version="test", provisional=False, registry_as_of="2024-09-30",
    )  # fmt: skip


def test_md_states_each_figure_with_its_unit_and_rounding_chinese_first():
    table = hand_table({
        "SA01": (Decimal("4223.8"), Decimal("4092.8"), None),  # +3.2007 %
        "SA03": (Decimal("711.43"), Decimal("711.43"), None),  # unchanged
        "EX03": (Decimal("123456"), None, None),  # fen → 1234.56 yuan
        "LV01": (Decimal("87.5"), Decimal("60"), Decimal("80")),  # flow: year ago, +9.375 %
        "IN02": (Decimal("1.5"), None, None),  # 万张 → 15,000 beds
        "SD08": (Decimal("46"), Decimal("44"), None),  # +2 percentage points
        "FU01": (Decimal("3"), None, None),  # 万具 → 30,000 bodies
    })  # fmt: skip
    md = render_md(table)
    zh_at, en_at = md.index("截至2024年第三季度末"), md.index("By the end of the third quarter")
    table_at = md.index("## 统计表 / Table")
    assert zh_at < en_at < table_at
    zh, en = md[zh_at:en_at], md[en_at:table_at]
    assert "城市低保人数4223.8万人，比上季度增长3.2%" in zh
    assert (
        "urban dibao recipients numbered 42.238 million people, up 3.2% on the previous quarter"
        in en
    )
    assert "城市低保平均标准711.4元/人·月，与上季度持平" in zh
    assert "stood at 711.4 yuan per person per month, unchanged from the previous quarter" in en
    assert "城乡低保月保障金（期末）1234.56元" in zh and "1,234.56 yuan" in en
    assert "2024年1—9月累计，福利彩票销售87.5亿元，比上年同期增长9.4%" in zh
    assert "welfare lottery sales totalled 8.75 billion yuan, up 9.4% year on year" in en
    assert "提供住宿的民政机构床位1.5万张" in zh and "numbered 15,000" in en
    assert "比上季度提高2个百分点" in zh and "up 2 percentage points on the previous quarter" in en
    assert "火化遗体3万具" in zh and "30,000 bodies" in en
    assert "| 火化遗体 cremations | 万具 | FU01 | 3.0000 |" in md
    assert (
        "| 城市低保人数 urban dibao recipients | 万人 | SA01 | 4,223.8000 | 4,092.8000 | 131.0000 | 3.2 |"
        in md
    )


def test_md_from_the_snapshot_reads_as_a_report(snaps):
    md = render_md(report_table("2024Q3", "44"))
    assert md.startswith("# 广东省（44）2024年第三季度民政统计季报")
    assert "## 社会救助" in md and "## Social assistance" in md
    assert "## 分地区 / By division" in md
    prose, tables = md.split("## 统计表 / Table")
    assert "城市低保人数" in prose and "城市低保标准×保障人数" not in prose  # a ratio's helper
    assert (
        "| 城市低保标准×保障人数 urban dibao standard times persons (numerator) | 分 | SA91 |"
        in tables
    )


# --- the command ---------------------------------------------------------------------------
def test_the_command_writes_the_file_and_audits_it(snaps, tmp_path):
    from minzheng.accounts.models import AuditEvent

    out = tmp_path / "r.xlsx"
    got = CliRunner().invoke(
        report_cmd,
        ["--period", "2024Q3", "--division", "44", "--format", "xlsx", "--out", str(out)],
    )
    assert got.exit_code == 0, got.output
    assert out.read_bytes()[:2] == b"PK"
    audit = AuditEvent.objects.get(action="export", object_type="stats_report")
    assert audit.changes["division"] == "44" and audit.changes["format"] == "xlsx"
    assert audit.actor is not None and audit.actor.username == "system-import"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--division", "99"], "区划代码 99 不存在或已撤销 / division code 99 does not exist"),
        (["--period", "2023Q1"], "minzheng stats snapshot --period 2023Q1"),
        (["--period", "2024Q9"], "应为 2024Q3、2024-07 或 2024"),
        (
            ["--division", "440104", "--as", "county"],
            "不在您的管辖范围内 / division 440104 (越秀区) is outside",
        ),
        (["--as", "ghost"], "用户不存在"),
        (["--format", "doc"], "格式 'doc' 不支持，应为 xlsx、pdf 或 md / format 'doc'"),
    ],
)
def test_the_command_refuses_bad_input_clearly(snaps, tmp_path, args, says):
    make_user("county", "440106", "analyst")
    base = {"--period": "2024Q3", "--format": "md", "--out": str(tmp_path / "r.md")}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    got = CliRunner().invoke(report_cmd, [x for kv in base.items() for x in kv])
    assert got.exit_code != 0
    assert says in got.output
    assert "Traceback" not in got.output and not Path(base["--out"]).exists()


# --- the view ------------------------------------------------------------------------------
def test_the_download_view_serves_the_users_division(snaps, rf):
    from minzheng.stats.views.reports import report_download

    request = rf.get("/stats/report/2024Q3/xlsx/")
    request.user = make_user("county", "440106", "analyst")
    resp = report_download(request, period="2024Q3", fmt="xlsx")
    assert resp.status_code == 200 and resp.content[:2] == b"PK"
    assert "filename*=UTF-8''" in resp["Content-Disposition"]
    bad = rf.get("/stats/report/2024Q3/md/", {"division": "440104"})
    bad.user = request.user
    resp = report_download(bad, period="2024Q3", fmt="md")
    assert resp.status_code == 400 and "管辖范围" in resp.content.decode()
    assert report_download(request, period="2024Q3", fmt="doc").status_code == 400


# --- the public report ---------------------------------------------------------------------
def test_the_public_report_withholds_small_counts_and_their_complements(snaps, settings):
    from minzheng.stats.suppress import protect_report

    settings.MINZHENG_SMALL_CELL = 40  # the synthetic province is small: make cells small
    table = report_table("2024Q3", "4401")
    public = protect_report(table)
    kids, shown = table.children, public.children
    assert kids is not None and shown is not None and shown.hidden
    for i, values in enumerate(kids.cells):
        for j, v in enumerate(values):
            if v and v < 40:
                assert (i, j) in shown.hidden and shown.cells[i][j] is None
    for j in range(len(kids.codes)):  # no column has exactly one withheld cell
        assert sum((i, j) in shown.hidden for i in range(len(kids.cells))) != 1
    for row, before in zip(public.rows, table.rows, strict=True):
        small = (
            before.person_count
            and before.value is not None
            and 0 < before.value * before.scale < 40
        )
        if small:
            assert "value" in row.hidden and row.value is None and row.change is None
        elif not row.hidden:
            assert row.value == before.value
    md = render_md(public)
    assert "* 为保护个人隐私，小于40的数值" in md and "| * |" in md


def test_a_ratio_is_withheld_with_its_parts_and_changes_with_their_ends(settings):
    from minzheng.stats.suppress import protect_report

    table = hand_table({
        "SA01": (Decimal("0.0003"), Decimal("0.0120"), None),  # 3 people now, 120 before
        "SA03": (Decimal("700"), Decimal("690"), None),
        "SA91": (Decimal("210000"), Decimal("8280000"), None),
        "SA11": (Decimal("0.0150"), Decimal("0.0002"), None),  # 150 now, 2 before
        "IN01": (Decimal("2"), Decimal("1"), None),  # institutions: not people
    })  # fmt: skip
    public = protect_report(table)
    for code in ("SA01", "SA03", "SA91"):
        row = public.row(code)
        assert row.hidden == {"value", "change"} and row.value is None and row.change is None
        assert row.previous == table.row(code).previous
    rural = public.row("SA11")
    assert rural.value == Decimal("0.0150") and rural.previous is None and rural.change_pct is None
    assert not public.row("IN01").hidden and public.row("IN01").change == 1
    md = render_md(public)
    assert "| 城市低保人数 urban dibao recipients | 万人 | SA01 | * | 0.0120 | * | * |" in md
    assert "城市低保人数" not in md.split("## 统计表")[0]  # nothing withheld is narrated


def test_the_public_export_is_flagged_in_the_audit(snaps, tmp_path):
    from minzheng.accounts.models import AuditEvent

    got = report_export(actor=None, period="2024Q3", division_code="4401", fmt="md",
                        public=True, audit_as=make_user("nation", "", "analyst"))  # fmt: skip
    assert got.filename.endswith("_公开.md") and got.table.public
    assert AuditEvent.objects.get(object_type="stats_report").changes["public"] is True
