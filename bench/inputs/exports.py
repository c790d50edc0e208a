"""Formula injection on the way out: text that looked like a formula on import, exported.

Formula-like names and addresses are imported (they are legitimate text), then every
export that carries them is written and read back: an .xlsx cell must not be a formula
(openpyxl type ``f``) nor text a spreadsheet would run (it starts ``'`` instead); a .csv
field must not start with ``= + - @``, tab or carriage return.
"""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.inputs.mutations import FORMULAS, csv_text
from bench.inputs.tables import registry

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
MARKERS = ("cmd|", "1+1", "HYPERLINK", "SUM(")


@dataclass
class ExportCheck:
    export: str
    cells: int = 0  # cells carrying an injected value
    neutralised: int = 0
    raw: list[str] = field(default_factory=list)  # cells a spreadsheet would run

    def as_dict(self) -> dict[str, Any]:
        return {
            "export": self.export,
            "cells": self.cells,
            "neutralised": self.neutralised,
            "raw": len(self.raw),
            "examples": self.raw[:3],
        }


def _payload(value: Any) -> bool:
    return isinstance(value, str) and any(m in value for m in MARKERS)


def check_xlsx(name: str, content: bytes) -> ExportCheck:
    from openpyxl import load_workbook

    out = ExportCheck(name)
    wb = load_workbook(io.BytesIO(content))  # not data-only: a formula shows as one
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if not _payload(cell.value):
                    continue
                out.cells += 1
                if cell.data_type == "f" or str(cell.value).startswith(DANGEROUS):
                    out.raw.append(f"{ws.title}!{cell.coordinate}={cell.value!r}")
                else:
                    out.neutralised += 1
    return out


def check_csv(name: str, content: bytes) -> ExportCheck:
    out = ExportCheck(name)
    for n, row in enumerate(csv.reader(io.StringIO(content.decode("utf-8-sig"))), start=1):
        for field_ in row:
            if not _payload(field_):
                continue
            out.cells += 1
            if field_.startswith(DANGEROUS):
                out.raw.append(f"line {n}: {field_!r}")
            else:
                out.neutralised += 1
    return out


def run_exports() -> list[ExportCheck]:
    """Import formula-like text, export it every way it leaves, check each export."""
    from django.db import transaction

    checks: list[ExportCheck] = []
    try:
        with transaction.atomic():
            with tempfile.TemporaryDirectory(prefix="mz-exports-") as tmp:
                checks += registry_exports(Path(tmp))
                checks += roster_exports(Path(tmp))
                checks += parameter_exports(Path(tmp))
            raise _Undo
    except _Undo:
        pass
    return checks


class _Undo(Exception):
    pass


def injected_registry(tmp: Path) -> tuple[Path, int]:
    """The registry file with every formula in names and addresses (rows stay valid), plus
    rows rejected for a bad code whose cells also hold formulas (for the error report)."""
    t = registry()
    for i, row in enumerate(t.rows):
        row[1] = FORMULAS[i % len(FORMULAS)] if i % 2 == 0 else row[1]
        row[6] = FORMULAS[(i + 3) % len(FORMULAS)]
    bad = [list(r) for r in t.rows[:3]]
    for i, r in enumerate(bad):
        r[0], r[2], r[4], r[1] = f"BAD{i}", "", "999999999", FORMULAS[i]
    path = tmp / "injected.csv"
    path.write_bytes(csv_text(t.headers, t.rows + bad).encode("utf-8"))
    return path, len(t.rows)


def registry_exports(tmp: Path) -> list[ExportCheck]:
    from minzheng.accounts.services import system_actor
    from minzheng.registry.exports import export_households, export_persons
    from minzheng.registry.importing.errors import error_report_xlsx
    from minzheng.registry.importing.service import registry_import
    from minzheng.registry.models import Household, Person
    from minzheng.registry.selectors import SearchCriteria

    path, good = injected_registry(tmp)
    actor = system_actor()
    report = registry_import(actor=actor, path=path)
    if report.created + report.updated + report.unchanged < good:
        raise AssertionError(f"formula-like names were not accepted as text: {report.as_dict()}")
    request: Any = SimpleNamespace(user=actor)
    refs = [f"IN{i:05d}" for i in range(1, good + 1)]
    persons = export_persons(request, {}, Person.objects.filter(household__ref__in=refs))
    households = export_households(
        request, SearchCriteria(), Household.objects.filter(ref__in=refs)
    )
    return [
        check_xlsx("registry persons .xlsx (export_persons)", persons.content),
        check_xlsx("registry households .xlsx (export_households)", households.content),
        check_xlsx(
            "import error report .xlsx (error_report_xlsx)",
            error_report_xlsx(path, report.as_dict()),
        ),
    ]


def roster_exports(tmp: Path) -> list[ExportCheck]:
    from bench.inputs.kinds import _bank_roster, setup_bank
    from minzheng.assistance.models import Payment
    from minzheng.assistance.payments import roster_export
    from minzheng.registry.models import Person

    setup_bank()
    roster = _bank_roster()
    payees = Payment.objects.filter(roster=roster).order_by("payee_id").values_list("payee_id")
    for i, (pk,) in enumerate(payees[:4]):
        Person.objects.filter(pk=pk).update(name=FORMULAS[i])
    out = []
    for suffix, check in ((".csv", check_csv), (".xlsx", check_xlsx)):
        path = roster_export(roster, tmp / f"roster{suffix}")
        out.append(check(f"bank roster {suffix} (roster_export)", path.read_bytes()))
    return out


def parameter_exports(tmp: Path) -> list[ExportCheck]:
    import datetime as dt

    from minzheng.assistance.param_io import parameters_export
    from minzheng.assistance.parameters import parameter_set

    for i, formula in enumerate(FORMULAS[:5]):
        parameter_set(
            actor=None,
            name="homes_max",
            division_prefix="440106",
            value=2,
            valid_from=dt.date(2032, 1 + i, 1),
            note=formula,
        )
    out = []
    for suffix, check in ((".csv", check_csv), (".xlsx", check_xlsx)):
        path = tmp / f"parameters{suffix}"
        parameters_export(path, division="440106")
        out.append(check(f"parameters {suffix} (parameters_export)", path.read_bytes()))
    return out
