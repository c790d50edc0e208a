"""Price-linkage subsidies (价格临时补贴): monthly CPI by region, the trigger, the roster.

When the year-on-year CPI reaches its threshold (3.5% by default) or the food CPI its own
(6%), every person covered by a payable 低保 or 特困 enrolment gets, for that month, the
monthly standard × the index rise (the higher of the triggered indices), at least the
regional minimum. It has its own roster (programme "price"), idempotent like the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q

from minzheng.accounts.models import User
from minzheng.assistance.cases import parameter_value
from minzheng.assistance.models import Enrolment, Payment, PriceIndex, Programme, Roster
from minzheng.assistance.payments import PAYABLE, PaymentError, _checksum, bank_lines, month_end
from minzheng.core.errors import BilingualError
from minzheng.divisions.models import Division
from minzheng.registry.importing.readers import BadCell, UnreadableFile, sheets

COVERED = (Programme.DIBAO, Programme.TEKUN)  # the groups that exist so far


def index_for(division: Division, month: dt.date) -> PriceIndex | None:
    """The most specific index published for ``division`` (county → city → province → nation)."""
    code = division.code[: len(division.prefix)]
    prefixes = [code[:n] for n in (0, 2, 4, 6) if n <= len(code)]
    found = PriceIndex.objects.filter(month=month.replace(day=1), division_prefix__in=prefixes)
    return max(found, key=lambda p: len(p.division_prefix), default=None)


@dataclass(frozen=True)
class Trigger:
    triggered: bool
    rise_permille: int  # the rise used for the subsidy
    text: str


def trigger(division: Division, month: dt.date) -> Trigger:
    idx = index_for(division, month)
    if idx is None:
        return Trigger(False, 0, f"{month:%Y-%m} 未导入价格指数")
    cpi_t = parameter_value("cpi_threshold_permille", division, month)
    food_t = parameter_value("food_cpi_threshold_permille", division, month)
    rises = [r for r, t in ((idx.cpi_permille, cpi_t), (idx.food_permille, food_t)) if r >= t]
    text = (f"CPI 同比 {idx.cpi_permille / 10:.1f}%（启动 {cpi_t / 10:.1f}%），"
            f"食品 CPI 同比 {idx.food_permille / 10:.1f}%（启动 {food_t / 10:.1f}%）")  # fmt: skip
    return Trigger(bool(rises), max(rises, default=0), text)


def subsidy_fen(standard_fen: int, rise_permille: int, minimum_fen: int) -> int:
    """Monthly standard × rise, half-up to the fen, at least the minimum."""
    amount = (Decimal(standard_fen) * rise_permille / 1000).quantize(Decimal(1), ROUND_HALF_UP)
    return max(int(amount), minimum_fen)


@transaction.atomic
def price_roster(*, actor: User | None, county: Division, month: dt.date) -> tuple[Roster, Trigger]:
    """The county's price-subsidy roster for ``month`` (empty, with the reason, if the
    indices did not reach their thresholds)."""
    first = month.replace(day=1)
    why = trigger(county, first)
    roster, _ = Roster.objects.select_for_update().get_or_create(
        division=county, programme=Programme.PRICE, month=first, defaults={"generated_by": actor}
    )
    if why.triggered:
        urban = parameter_value("dibao_urban_fen", county, first)
        minimum = parameter_value("price_min_fen", county, first)
        per_person = subsidy_fen(urban, why.rise_permille, minimum)
        last = month_end(first)
        payees: dict[int, tuple[int, int]] = {}
        for pk, payee, covered in (
            Enrolment.objects.filter(division=county, programme__in=COVERED, state__in=PAYABLE,
                                     valid_from__lte=last)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=first))
            .values_list("pk", "payee_id", "covered_persons")
        ):  # fmt: skip
            old = payees.get(payee)
            payees[payee] = (pk, (old[1] if old else 0) + max(covered, 1) * per_person)
        have = set(Payment.objects.filter(programme=Programme.PRICE, month=first,
                                          payee_id__in=list(payees)).values_list("payee_id", flat=True))  # fmt: skip
        Payment.objects.bulk_create(
            [Payment(roster=roster, enrolment_id=pk, payee_id=payee, programme=Programme.PRICE,
                     month=first, kind="regular", amount_fen=fen)
             for payee, (pk, fen) in payees.items() if payee not in have],
            batch_size=5000,
        )  # fmt: skip
    lines = bank_lines(roster)
    roster.rows, roster.total_fen = len(lines), sum(line[5] for line in lines)
    roster.checksum = _checksum(lines)
    roster.save(update_fields=["rows", "total_fen", "checksum", "updated_at"])
    return roster, why


@dataclass
class IndexImport:
    rows: int = 0
    saved: int = 0
    errors: list[dict[str, Any]] | None = None


def price_index_import(
    path: Path, *, source: str = "", allowed: Callable[[str], bool] | None = None
) -> IndexImport:
    """区划, 月份 (YYYY-MM), CPI同比 (%), 食品CPI同比 (%) — e.g. ``44, 2024-03, 3.6, 6.2``.

    Each bad row is reported with its row, column and reason; ``allowed`` (a division
    prefix → may this importer write it) refuses rows outside the importer's region."""
    out = IndexImport(errors=[])
    try:
        sheet = next(iter(sheets(Path(path))))
    except (UnreadableFile, StopIteration) as exc:
        raise PaymentError(
            "unreadable", getattr(exc, "message", "文件为空"), "cannot read"
        ) from None
    heads = [str(h or "").strip() for h in sheet.headers]
    idx = {}
    for zh, en in INDEX_COLUMNS.items():
        if zh in heads:
            idx[en] = heads.index(zh)
        elif en in heads:
            idx[en] = heads.index(en)
        else:
            raise PaymentError("column", f"缺少列：{zh}", f"missing column: {en}")
    for row_no, cells in sheet.rows:
        if all(c in (None, "") for c in cells):
            continue
        out.rows += 1
        try:
            prefix, month, cpi, food = _index_row(cells, idx)
            if allowed is not None and not allowed(prefix):
                raise _IndexCellError("division", "无权导入该区划的价格指数",
                                      "not allowed to import indices for this division")  # fmt: skip
        except _IndexCellError as err:
            out.errors.append({"row": row_no, "column": INDEX_TITLES[err.column],  # type: ignore[union-attr]
                               "message": err.message, "message_en": err.message_en})  # fmt: skip
            continue
        PriceIndex.objects.update_or_create(
            division_prefix=prefix, month=month,
            defaults={"cpi_permille": cpi, "food_permille": food, "source": source[:200]},
        )  # fmt: skip
        out.saved += 1
    return out


INDEX_COLUMNS = {"区划": "division", "月份": "month", "CPI同比": "cpi", "食品CPI同比": "food"}
INDEX_TITLES = {en: zh for zh, en in INDEX_COLUMNS.items()}


class _IndexCellError(BilingualError):
    def __init__(self, column: str, message: str, message_en: str) -> None:
        super().__init__("bad_cell", message, message_en)
        self.column = column


def _index_row(cells: list[Any], idx: dict[str, int]) -> tuple[str, dt.date, int, int]:
    """(prefix, month, CPI ‰, food CPI ‰) of one row, or the cell that is wrong."""

    def cell(key: str) -> Any:
        return cells[idx[key]] if idx[key] < len(cells) else None

    for key in idx:
        if isinstance(cell(key), BadCell):
            raise _IndexCellError(key, cell(key).reason, cell(key).reason_en)
    prefix = str(cell("division") or "").strip()
    if prefix in ("全国", "0"):
        prefix = ""
    if (prefix and not (prefix.isascii() and prefix.isdigit())) or len(prefix) not in (0, 2, 4, 6):
        raise _IndexCellError("division", "区划须为 2、4、6 位代码或“全国”",
                              "the division must be a code of 2, 4 or 6 digits, or 全国")  # fmt: skip
    try:
        month = dt.date.fromisoformat(str(cell("month")).strip()[:7] + "-01")
    except ValueError:
        raise _IndexCellError(
            "month", "月份格式须为 YYYY-MM", "the month must be YYYY-MM"
        ) from None
    return prefix, month, _permille(cell("cpi"), "cpi"), _permille(cell("food"), "food")


# A year-on-year rise in per cent: China's CPI has stayed within about -3 … 25 since 1990;
# anything outside this range is a typo (or a shifted column), not an index.
RISE_RANGE = (Decimal(-50), Decimal(100))


def _permille(raw: Any, key: str) -> int:
    """A percentage such as ``3.6`` as per mille (36), or the reason it is not one."""
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        value = Decimal("NaN")
    if not value.is_finite():
        raise _IndexCellError(key, "须为百分数，如 3.6", "must be a percentage such as 3.6")
    low, high = RISE_RANGE
    if not low <= value <= high:
        raise _IndexCellError(
            key,
            f"同比涨幅须在 {low}% 到 {high}% 之间，请检查该数值",
            f"a year-on-year rise must lie between {low}% and {high}%; check the value",
        )
    return int(value * 10)
