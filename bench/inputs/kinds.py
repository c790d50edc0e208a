"""Each import kind as the campaign sees it: how to run it on a file and read its answer.

An adapter calls the importer as its callers do and returns an :class:`Answer`: the
file refused as a whole (with the message), or the rows it read, accepted and rejected
(each rejection with its row, column and reason). ``REFUSALS`` are the exception types an
importer documents for a file it cannot read; anything else escaping is a crash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.inputs.tables import (
    BANK_COUNTY,
    BANK_MONTH,
    BANK_TOWN,
    REGISTRY_TOWN,
    Table,
    bank_payees,
    names,
)

FEED_KIND = "death"  # the department-feed kind the campaign imports


@dataclass
class Answer:
    """What an importer said about one file."""

    refused: str | None = None  # the message of a whole-file refusal
    rows: int = 0  # data rows the importer says it read
    accepted: int = 0
    rejected: set[int] = field(default_factory=set)  # row numbers rejected with a reason
    unexplained: int = 0  # rejections without a row number or a reason
    no_column: int = 0  # rejections that name no column
    merged: int = 0  # exact repeats folded into an earlier row (documented)
    stored: int | None = None  # rows the database gained (checks ``accepted``)
    created: int | None = None

    def reject(self, entries: Iterable[tuple[Any, Any, Any]]) -> None:
        """(row, column, reason) per error."""
        for row, column, reason in entries:
            if not isinstance(row, int) or row < 2 or not str(reason or "").strip():
                self.unexplained += 1
                continue
            if not str(column or "").strip():
                self.no_column += 1
            self.rejected.add(row)


@dataclass(frozen=True)
class Kind:
    name: str
    table: Callable[[], Table]
    run: Callable[[Path], Answer]
    refusals: Callable[[], tuple[type[BaseException], ...]]
    setup: Callable[[], None] = lambda: None


# --- registry ---------------------------------------------------------------------------
def run_registry(path: Path) -> Answer:
    from minzheng.accounts.services import system_actor
    from minzheng.registry.importing.readers import UnreadableFile
    from minzheng.registry.importing.service import registry_import
    from minzheng.registry.models import Person

    before = Person.objects.count()
    try:
        rep = registry_import(actor=system_actor(), path=path)
    except UnreadableFile as exc:
        return Answer(refused=exc.message)
    out = Answer(rows=rep.rows, accepted=rep.created + rep.updated + rep.unchanged)
    out.reject((e.row, e.column, e.reason) for e in rep.errors)
    out.stored, out.created = Person.objects.count() - before, rep.created
    return out


def registry_refusals() -> tuple[type[BaseException], ...]:
    from minzheng.registry.importing.readers import UnreadableFile

    return (UnreadableFile,)


# --- holiday calendar -------------------------------------------------------------------
def run_calendar(path: Path) -> Answer:
    from minzheng.workdays.importing import CalendarFileError
    from minzheng.workdays.models import CalendarDay
    from minzheng.workdays.services import calendar_import

    before = CalendarDay.objects.count()
    try:
        res = calendar_import(path, source="input-campaign")
    except CalendarFileError as exc:
        return Answer(refused=exc.message)
    out = Answer(rows=res.rows, accepted=res.created + res.updated + res.unchanged)
    out.reject((e.row, e.column, e.reason) for e in res.errors)
    out.merged = _calendar_repeats(path, out.rejected)
    out.stored, out.created = CalendarDay.objects.count() - before, res.created
    return out


def _calendar_repeats(path: Path, rejected: set[int]) -> int:
    """Rows the calendar folds into an earlier identical row ("an exact repeat is ignored")."""
    from minzheng.workdays.importing import DayRow, _check, _file_rows

    seen: set[tuple[Any, ...]] = set()
    repeats = 0
    for rownum, values in _file_rows(path)[1]:
        row = _check(rownum, values)
        if not isinstance(row, DayRow) or rownum in rejected:
            continue
        key = (row.date, row.kind, row.name, row.name_en)
        repeats += key in seen
        seen.add(key)
    return repeats


def calendar_refusals() -> tuple[type[BaseException], ...]:
    from minzheng.workdays.importing import CalendarFileError

    return (CalendarFileError,)


# --- assistance parameters --------------------------------------------------------------
def run_parameters(path: Path) -> Answer:
    from minzheng.assistance.models import Parameter
    from minzheng.assistance.param_io import parameters_import

    before = Parameter.objects.count()
    res = parameters_import(path, actor=None)
    whole = [e for e in res.errors if e["row"] in (0, 1)]
    if whole and res.rows == 0:  # the file, not a row: its own way of refusing
        return Answer(refused=whole[0]["message"])
    out = Answer(rows=res.rows, accepted=res.created + res.corrected + res.unchanged)
    out.reject((e["row"], e["column"], e["message"]) for e in res.errors)
    out.stored, out.created = Parameter.objects.count() - before, None  # a row may close another
    return out


# --- bank results -----------------------------------------------------------------------
def setup_bank() -> None:
    """Payees in 越秀区 enrolled in 低保, and their roster for the campaign's month."""
    from minzheng.accounts.services import system_actor
    from minzheng.assistance.models import Enrolment
    from minzheng.assistance.payments import roster_generate
    from minzheng.divisions.models import Division
    from minzheng.registry import services

    if _bank_roster() is not None:
        return
    actor = system_actor()
    county = Division.objects.current().get(code=BANK_COUNTY.ljust(12, "0"))
    town = Division.objects.current().get(code=BANK_TOWN.ljust(12, "0"))
    who = names(len(bank_payees()), 2)
    for i, (number, amount) in enumerate(bank_payees()):
        hh = services.household_register(
            actor=actor, ref=f"BANK{i:04d}", hukou_division=town, address="北京路1号"
        )
        person = services.person_register(
            actor=actor,
            household=hh,
            name=who[i],
            relationship="02",
            on=dt.date(2030, 1, 1),
            id_number=number,
        )
        Enrolment.objects.create(
            programme="dibao",
            household=hh,
            payee=person,
            division=county,
            amount_fen=int(amount.replace(".", "")),
            valid_from=dt.date(2030, 1, 1),
            bank_account=f"6222{i:012d}",
        )
    roster_generate(actor=None, county=county, programme="dibao", month=BANK_MONTH)


def _bank_roster() -> Any:
    from minzheng.assistance.models import Roster

    return Roster.objects.filter(
        division__code=BANK_COUNTY.ljust(12, "0"), programme="dibao", month=BANK_MONTH
    ).first()


def run_bank(path: Path) -> Answer:
    from minzheng.assistance.payments import bank_result_import

    roster = _bank_roster()
    res = bank_result_import(actor=None, roster=roster, path=path)
    out = Answer(rows=res.rows, accepted=res.paid + res.failed)
    out.reject((u.get("row"), u.get("column"), u.get("reason")) for u in res.unmatched)
    return out


def payment_refusals() -> tuple[type[BaseException], ...]:
    from minzheng.assistance.payments import PaymentError

    return (PaymentError,)


# --- price indices ----------------------------------------------------------------------
def run_price(path: Path) -> Answer:
    from minzheng.assistance.models import PriceIndex
    from minzheng.assistance.price import price_index_import

    before = PriceIndex.objects.count()
    res = price_index_import(path, source="input-campaign")
    out = Answer(rows=res.rows, accepted=res.saved)
    out.reject((e.get("row"), e.get("column"), e.get("message")) for e in res.errors or [])
    out.stored = PriceIndex.objects.count() - before
    return out


# --- department feeds -------------------------------------------------------------------
def feed_table() -> Table:
    """Death registrations (the ``death`` feed) of synthetic persons in 天河区."""
    from bench.inputs.tables import person_ids

    headers = [
        "公民身份号码",
        "姓名",
        "性别",
        "出生日期",
        "户籍地区划代码",
        "死亡日期",
        "死亡原因",
        "死亡证明编号",
    ]
    rows = []
    who = names(16, 3)
    for i, number in enumerate(person_ids(16, county="440106", year=1930)):
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        rows.append(
            [
                number,
                who[i],
                "男" if int(number[16]) % 2 else "女",
                born.isoformat(),
                REGISTRY_TOWN,
                f"2025-{1 + i % 12:02d}-{1 + i:02d}",
                "疾病",
                f"SW2025{i:06d}",
            ]
        )
    return Table(
        "feed",
        headers,
        rows,
        text=[1, 6, 7],
        ids=[0],
        codes=[4],
        dates=[3, 5],
        required=[1, 4, 5, 7],
    )


def run_feed(path: Path) -> Answer:
    from minzheng.monitoring.feeds.importing import feed_import
    from minzheng.monitoring.feeds.kinds import KindError
    from minzheng.monitoring.models import FeedRecord
    from minzheng.registry.importing.readers import UnreadableFile

    before = FeedRecord.objects.count()
    try:
        res = feed_import(kind=FEED_KIND, path=path, actor=None)
    except (UnreadableFile, KindError) as exc:
        return Answer(refused=exc.message)
    out = Answer(rows=res.rows, accepted=res.created + res.updated + res.unchanged)
    out.reject((e.row, e.column, e.reason) for e in res.errors)
    out.stored, out.created = FeedRecord.objects.count() - before, res.created
    return out


def feed_refusals() -> tuple[type[BaseException], ...]:
    from minzheng.monitoring.feeds.kinds import KindError
    from minzheng.registry.importing.readers import UnreadableFile

    return (UnreadableFile, KindError)


def feed_available() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("minzheng.monitoring.feeds.importing") is not None
    except ImportError:
        return False


def _builders() -> dict[str, Callable[[], Table]]:
    from bench.inputs.tables import BUILDERS

    return {**BUILDERS, "feed": feed_table}


KINDS: dict[str, Kind] = {
    "registry": Kind("registry", _builders()["registry"], run_registry, registry_refusals),
    "calendar": Kind("calendar", _builders()["calendar"], run_calendar, calendar_refusals),
    "parameters": Kind("parameters", _builders()["parameters"], run_parameters, lambda: ()),
    "bank": Kind("bank", _builders()["bank"], run_bank, payment_refusals, setup_bank),
    "price": Kind("price", _builders()["price"], run_price, payment_refusals),
    "feed": Kind("feed", feed_table, run_feed, feed_refusals),
}


def kinds_available() -> list[str]:
    """Every kind whose importer exists in this tree (the feed import is new)."""
    return [k for k in KINDS if k != "feed" or feed_available()]
