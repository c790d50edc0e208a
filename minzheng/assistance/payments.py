"""Monthly payment rosters, bank results and the stop on death.

A roster is one county, one programme, one month. Generating it again gives the same
roster: payments still pending follow the enrolments as they are now, paid and failed
ones stay, and the unique constraint (payee, programme, month, kind) means nobody is
paid twice for a month, even from two counties. The bank file carries totals and a
SHA-256 checksum of its lines; the bank's result file marks each line paid or failed.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from minzheng.accounts.models import User
from minzheng.accounts.scope import covers
from minzheng.accounts.services import Audit, audit_record
from minzheng.assistance.models import (
    Enrolment,
    EnrolmentState,
    Payment,
    PaymentStatus,
    Programme,
    Roster,
)
from minzheng.core.bulk import insert_rows
from minzheng.core.errors import BilingualError
from minzheng.core.xlsx import csv_cell
from minzheng.divisions.models import Division, Level
from minzheng.registry.importing.readers import BadCell, UnreadableFile, sheets
from minzheng.registry.models import Person

PAYABLE = (EnrolmentState.ACTIVE, EnrolmentState.GRADUAL_EXIT)
BANK_HEADERS = ["序号", "户名", "证件类型", "证件号码", "账号", "金额（元）", "摘要"]
PAYMENT_COLUMNS = ("roster", "enrolment", "payee", "programme", "month", "kind", "amount_fen",
                   "status", "bank_reason")  # fmt: skip
PROGRAMME_SHORT = {"dibao": "低保金", "tekun": "特困供养金", "temporary": "临时救助金"}


class PaymentError(BilingualError):
    pass


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass
class RosterResult:
    roster: Roster
    created: int = 0
    removed: int = 0
    updated: int = 0
    kept: int = 0
    elsewhere: list[int] = field(default_factory=list)  # payees already paid on another roster
    adjusted: int = 0  # back-pay / recovery lines settled on this roster


@transaction.atomic
def roster_generate(
    *, actor: User | None, county: Division, programme: str, month: dt.date
) -> RosterResult:
    """Create or refresh the roster of ``county`` for ``programme`` and ``month``."""
    if programme not in Programme.values:
        raise PaymentError("bad_programme", "未知的救助项目", f"unknown programme {programme!r}")
    if county.level != Level.COUNTY:
        raise PaymentError("not_county", "花名册按县（区）生成", "rosters are made per county")
    if actor is not None and not covers(actor, county):
        raise PaymentError("forbidden", "无权生成该县区的花名册", "not your county")
    first, last = month_start(month), month_end(month)
    roster, _ = Roster.objects.select_for_update().get_or_create(
        division=county, programme=programme, month=first, defaults={"generated_by": actor}
    )
    wanted: dict[int, tuple[int, int]] = {}  # payee → (enrolment, amount)
    for enrolment_id, payee_id, amount in (
        Enrolment.objects.filter(
            division=county, programme=programme, state__in=PAYABLE, valid_from__lte=last
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=first))
        .filter(Q(payee__died_on__isnull=True) | Q(payee__died_on__gte=first))
        .values_list("pk", "payee_id", "amount_fen")
        .iterator(chunk_size=10_000)
    ):
        if amount > 0:
            wanted[payee_id] = (enrolment_id, amount)
    result = RosterResult(roster)
    have = {
        payee: (pk, enrolment, amount, status)
        for pk, payee, enrolment, amount, status in Payment.objects.filter(
            roster=roster, kind="regular"
        ).values_list("pk", "payee_id", "enrolment_id", "amount_fen", "status")
    }
    stale = [v[0] for pid, v in have.items() if pid not in wanted and v[3] == "pending"]
    if stale:
        for i in range(0, len(stale), 5000):
            Payment.objects.filter(pk__in=stale[i : i + 5000]).delete()
        result.removed = len(stale)
    changed = []
    for pid, (pk, enrolment, amount, status) in have.items():
        if pid in wanted and status == "pending" and (enrolment, amount) != wanted[pid]:
            changed.append(Payment(pk=pk, enrolment_id=wanted[pid][0], amount_fen=wanted[pid][1]))
        elif pid in wanted:
            result.kept += 1
    if changed:
        Payment.objects.bulk_update(changed, ["enrolment_id", "amount_fen"], batch_size=5000)
        result.updated = len(changed)
    missing = [pid for pid in wanted if pid not in have]
    taken = set(
        Payment.objects.filter(
            programme=programme, month=first, kind="regular", payee_id__in=missing
        ).values_list("payee_id", flat=True)
    ) if missing else set()  # fmt: skip
    month_db = connection.ops.adapt_datefield_value(first)
    rows = [
        (roster.pk, wanted[pid][0], pid, programme, month_db, "regular", wanted[pid][1],
         PaymentStatus.PENDING, "")
        for pid in missing
        if pid not in taken
    ]  # fmt: skip
    for i in range(0, len(rows), 20_000):
        insert_rows(Payment, PAYMENT_COLUMNS, rows[i : i + 20_000])
    result.created, result.elsewhere = len(rows), sorted(taken)
    result.adjusted = _settle_adjustments(roster, {v[0]: pid for pid, v in wanted.items()})
    lines = bank_lines(roster)
    roster.rows = len(lines)
    roster.total_fen = sum(line[5] for line in lines)
    roster.checksum = _checksum(lines)
    roster.generated_by = actor
    roster.save(update_fields=["rows", "total_fen", "checksum", "generated_by", "updated_at"])
    audit_record(
        actor=actor,
        events=[
            Audit(
                action="roster",
                object_type="roster",
                object_id=roster.pk,
                changes={
                    "created": result.created,
                    "removed": result.removed,
                    "updated": result.updated,
                    "total_fen": roster.total_fen,
                },
                summary=f"{county.name} {first:%Y-%m} {PROGRAMME_SHORT.get(programme, programme)}"
                f"花名册 {roster.rows} 人",
                rows=roster.rows,
            )
        ],
    )
    return result


def _settle_adjustments(roster: Roster, payees: dict[int, int]) -> int:
    """Unsettled back-pay (+) and recovery (−) of these enrolments as one "adjust" line per
    payee on this roster; the changes are marked settled here (never twice)."""
    from minzheng.assistance.models import EnrolmentChange

    open_changes = EnrolmentChange.objects.filter(
        enrolment_id__in=list(payees), settled_in__isnull=True
    ).exclude(adjustment_fen=0)
    totals: dict[int, int] = {}
    for enrolment_id, fen in open_changes.values_list("enrolment_id", "adjustment_fen"):
        totals[enrolment_id] = totals.get(enrolment_id, 0) + fen
    made = 0
    for enrolment_id, fen in totals.items():
        _, created = Payment.objects.get_or_create(
            payee_id=payees[enrolment_id], programme=roster.programme, month=roster.month,
            kind="adjust",
            defaults={"roster": roster, "enrolment_id": enrolment_id, "amount_fen": fen},
        )  # fmt: skip
        if created:
            made += 1
    open_changes.update(settled_in=roster)
    return made


def bank_lines(roster: Roster) -> list[list[Any]]:
    """(序号, 户名, 证件类型, 证件号码, 账号, 金额 fen, 摘要) in a stable order."""
    label = f"{roster.month:%Y年%m月}{PROGRAMME_SHORT.get(roster.programme, '救助金')}"
    found = (
        Payment.objects.filter(roster=roster)
        .order_by("payee__id_number", "payee_id", "kind")
        .values_list("payee__name", "payee__id_number", "enrolment__bank_account", "amount_fen")
    )
    return [
        [i, name, "居民身份证", number or "", account or "", amount, label]
        for i, (name, number, account, amount) in enumerate(found.iterator(chunk_size=10_000), 1)
    ]


def _checksum(lines: list[list[Any]]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(("|".join(str(x) for x in line[1:6]) + "\n").encode())
    return h.hexdigest()


def roster_export(roster: Roster, out: Path) -> Path:
    """The bank file: one line per payee, then 合计 and the checksum (.xlsx or .csv)."""
    lines = bank_lines(roster)
    total = sum(line[5] for line in lines)
    # Amounts are numbers (an "adjust" line recovering money is negative): Decimal yuan, so
    # the .xlsx holds a number cell and the .csv plain "-12.50"; text cells are guarded.
    rows = [[*line[:5], _yuan(line[5]), line[6]] for line in lines]
    rows.append(["合计", f"{len(lines)} 人", "", "", "", _yuan(total), ""])
    rows.append(["校验码", _checksum(lines), "", "", "", "", "SHA-256"])
    out = Path(out)
    if out.suffix.lower() == ".csv":
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(BANK_HEADERS)
            w.writerows([csv_cell(v) for v in r] for r in rows)
    else:
        from minzheng.core.xlsx import workbook_bytes

        out.write_bytes(workbook_bytes(f"{roster.month:%Y%m}发放花名册", BANK_HEADERS, rows))
    return out


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


@dataclass
class BankResult:
    rows: int = 0
    paid: int = 0
    failed: int = 0
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    paid_total_fen: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "paid": self.paid,
            "failed": self.failed,
            "unmatched": self.unmatched,
            "paid_total_fen": self.paid_total_fen,
        }


@transaction.atomic
def bank_result_import(*, actor: User | None, roster: Roster, path: Path) -> BankResult:
    """Mark each line paid or failed from the bank's file (证件号码, 金额, 结果, 原因).

    A line whose ID number is not on the roster, or whose amount differs, is reported
    and changes nothing; importing the same file again changes nothing.
    """
    try:
        sheet = next(iter(sheets(Path(path))))
    except (UnreadableFile, StopIteration) as exc:
        msg = exc.message if isinstance(exc, UnreadableFile) else "文件为空"
        raise PaymentError("unreadable", msg, "cannot read the bank file") from None
    heads = [str(h or "").strip() for h in sheet.headers]

    def col(*names: str) -> int:
        for n in names:
            if n in heads:
                return heads.index(n)
        raise PaymentError("column", f"缺少列：{names[0]}", f"missing column: {names[-1]}")

    c_id, c_amount = col("证件号码", "id_number"), col("金额（元）", "金额", "amount")
    c_result, c_reason = col("结果", "result"), col("失败原因", "原因", "reason")
    by_id = {
        p.payee.id_number: p
        for p in Payment.objects.filter(roster=roster).select_related("payee")
        if p.payee.id_number
    }
    cols = {"id": c_id, "amount": c_amount, "result": c_result, "reason": c_reason}
    out = BankResult()
    for row_no, cells in sheet.rows:
        if all(c in (None, "") for c in cells):
            continue
        out.rows += 1
        got = {k: cells[i] if i < len(cells) else None for k, i in cols.items()}
        try:
            payment = _bank_match(got, by_id)
        except _BankCellError as err:
            out.unmatched.append({"row": row_no, "column": heads[cols[err.column]],
                                  "id_number": str(got["id"] or "").strip()[:6] + "…",
                                  "reason": err.message, "reason_en": err.message_en})  # fmt: skip
            continue
        ok = str(got["result"] or "").strip() in ("成功", "success", "paid", "1")
        payment.status = PaymentStatus.PAID if ok else PaymentStatus.FAILED
        payment.bank_reason = "" if ok else str(got["reason"] or "").strip()[:REASON_CHARS]
        payment.save(update_fields=["status", "bank_reason"])
        if ok:
            out.paid += 1
            out.paid_total_fen += payment.amount_fen
        else:
            out.failed += 1
    audit_record(
        actor=actor,
        events=[Audit(action="bank_result", object_type="roster", object_id=roster.pk,
                      changes={k: v for k, v in out.as_dict().items() if k != "unmatched"},
                      summary=f"银行回盘：成功 {out.paid}，失败 {out.failed}", rows=out.rows)],
    )  # fmt: skip
    return out


REASON_CHARS = Payment._meta.get_field("bank_reason").max_length  # the bank's words, cut to fit
_AMOUNT_LIMIT = Decimal(10) ** 12  # yuan: far above any payment, far below Decimal's overflow


class _BankCellError(BilingualError):
    def __init__(self, column: str, message: str, message_en: str) -> None:
        super().__init__("bad_cell", message, message_en)
        self.column = column


def _bank_match(got: dict[str, Any], by_id: dict[str, Payment]) -> Payment:
    """The roster line a bank row answers, or the cell that says it answers none."""
    for key, cell in got.items():
        if isinstance(cell, BadCell):
            raise _BankCellError(key, cell.reason, cell.reason_en)
    payment = by_id.get(str(got["id"] or "").strip())
    if payment is None:
        raise _BankCellError("id", "不在花名册", "not on the roster")
    raw = str(got["amount"] if got["amount"] is not None else "").replace(",", "").strip()
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or abs(amount) >= _AMOUNT_LIMIT:
        raise _BankCellError("amount", "金额格式错误，应为数字（元）", "the amount is not a number")
    if amount * 100 != payment.amount_fen:
        raise _BankCellError("amount", "金额不符", "the amount differs from the roster")
    return payment


def roster_reconcile(roster: Roster) -> dict[str, Any]:
    """Totals by status: what the bank paid, what failed (with reasons), what is pending."""
    out: dict[str, Any] = {"rows": 0, "total_fen": 0}
    for status, _ in PaymentStatus.choices:
        qs = Payment.objects.filter(roster=roster, status=status)
        n = qs.count()
        fen = sum(qs.values_list("amount_fen", flat=True))
        out[status] = {"rows": n, "total_fen": fen}
        out["rows"] += n
        out["total_fen"] += fen
    out["failures"] = list(
        Payment.objects.filter(roster=roster, status=PaymentStatus.FAILED).values_list(
            "payee__name", "bank_reason"
        )[:100]
    )
    return out


def stop_on_death(person: Person, on: dt.date, actor: User | None = None) -> int:
    """End enrolments paid to ``person`` from the month after the death and drop their
    pending payments for later months; enrolments of the household are due for review."""
    after = month_start(on.replace(day=28) + dt.timedelta(days=4))
    ended = 0
    for e in Enrolment.objects.filter(payee=person).exclude(state=EnrolmentState.TERMINATED):
        e.state, e.valid_to, e.end_reason = EnrolmentState.TERMINATED, after, "death"
        e.save(update_fields=["state", "valid_to", "end_reason", "updated_at"])
        ended += 1
    Payment.objects.filter(payee=person, month__gte=after, status=PaymentStatus.PENDING).delete()
    if person.household_id is not None:
        Enrolment.objects.filter(household_id=person.household_id).exclude(
            state=EnrolmentState.TERMINATED
        ).update(next_review=on)
    return ended
