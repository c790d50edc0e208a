"""Dated, region-scoped parameters: set, look up ("which value, from which division, since
when"), seed the national defaults, import and export tables, and feed the engine.

Values are stored as whole numbers (money in fen); people read and type them in their
display unit (yuan for money) — :func:`to_display` and :func:`from_display` convert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from minzheng.accounts.models import User
from minzheng.accounts.roles import Role
from minzheng.accounts.scope import scope_of
from minzheng.accounts.services import Audit, audit_record
from minzheng.assistance.catalogue import (
    DEFAULTS_FROM,
    PREFIX_LENGTHS,
    SPECS,
    UNITS,
    ParameterError,
    Spec,
    check_prefix,
    check_value,
    default_rows,
    spec,
    to_display,
)
from minzheng.assistance.models import Parameter


@dataclass(frozen=True)
class Found:
    """A looked-up value and where it came from."""

    name: str
    value: int
    division_prefix: str  # "" = national default
    valid_from: dt.date
    valid_to: dt.date | None
    note: str
    spec: Spec

    @property
    def display(self) -> str:
        return to_display(self.spec, self.value)

    @property
    def source(self) -> str:
        """'440106 起 2024-01-01' — which division, since when."""
        where = self.division_prefix or "全国"
        return f"{where}，自 {self.valid_from.isoformat()} 起"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.spec.title,
            "value": self.value,
            "display": self.display,
            "unit": UNITS[self.spec.unit][0],
            "division_prefix": self.division_prefix,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "note": self.note,
        }


# --- who may set what ----------------------------------------------------------------------
def may_set(actor: User | None, prefix: str) -> bool:
    """Approvers set parameters for their own division and below; national ones for all."""
    if actor is None:
        return True  # the system (seeding, CLI without --as)
    if actor.is_superuser:
        return True
    if not actor.has_role(Role.APPROVER):
        return False
    scope = scope_of(actor)
    if scope.nothing:
        return False
    return scope.everything or prefix.startswith(scope.prefix or "")


# --- services ------------------------------------------------------------------------------
@transaction.atomic
def parameter_set(
    *,
    actor: User | None,
    name: str,
    division_prefix: str,
    value: int,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    note: str = "",
) -> tuple[Parameter, str]:
    """Give ``name`` the value ``value`` for ``division_prefix`` from ``valid_from``.

    The row open on that date is closed the day the new one starts; a row already
    starting on that date is corrected in place (audited). Returns the row and what
    happened: "created", "corrected" or "unchanged" (so re-importing changes nothing).
    """
    s = spec(name)
    prefix = check_prefix(division_prefix)
    check_value(s, value)
    if valid_to is not None and valid_to <= valid_from:
        raise ParameterError(
            "bad_dates", "截止日期须晚于起始日期", "valid_to must be after valid_from"
        )
    if not may_set(actor, prefix):
        raise ParameterError(
            "forbidden",
            f"无权设置 {prefix or '全国'} 的参数（须为本级及下级区划的审批人员）",
            f"not allowed to set parameters for {prefix or 'the nation'}",
        )
    rows = Parameter.objects.select_for_update().filter(name=name, division_prefix=prefix)
    later = rows.filter(valid_from__gt=valid_from).order_by("valid_from").first()
    end = valid_to
    if later is not None and (end is None or end > later.valid_from):
        end = later.valid_from  # a row of one division never overlaps the next one
    same = rows.filter(valid_from=valid_from).first()
    if same is not None:
        # valid_to None keeps the row's end; a given end is capped like a new row's, so a
        # re-import of a row whose end a later row capped compares equal ("unchanged").
        new_end = same.valid_to if valid_to is None else end
        if same.value == value and same.note == note and same.valid_to == new_end:
            return same, "unchanged"
        before = _state(same)
        same.value, same.note, same.valid_to = value, note, new_end
        same.save()
        _audit(
            actor,
            same,
            "correct",
            {
                "before": before,
                "after": _state(same),
                "value_before": before["value"],
                "note": before["note"],  # the note it replaced (kept for older readers)
            },
        )
        return same, "corrected"
    open_row = (
        rows.filter(valid_from__lt=valid_from)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=valid_from))
        .first()
    )
    if open_row is not None:
        open_row.valid_to = valid_from
        open_row.save(update_fields=["valid_to", "updated_at"])
    row = Parameter.objects.create(
        name=name,
        division_prefix=prefix,
        value=value,
        valid_from=valid_from,
        valid_to=end,
        note=note,
        created_by=actor,
    )
    _audit(actor, row, "create", {"closed": open_row.pk if open_row else None})
    return row, "created"


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _state(row: Parameter) -> dict[str, Any]:
    """What a correction may change, JSON-ready (dates ISO or null)."""
    return {"value": row.value, "valid_to": _iso(row.valid_to), "note": row.note}


def _audit(actor: User | None, row: Parameter, action: str, changes: dict[str, Any]) -> None:
    """``changes`` plus the row's (new) value and start; a correction also carries
    ``before``/``after`` (value, valid_to, note) so the replaced value is never lost."""
    audit_record(
        actor=actor,
        events=[
            Audit(
                action=action,
                object_type="parameter",
                object_id=row.pk,
                changes={**changes, "value": row.value, "valid_from": _iso(row.valid_from)},
                summary=f"{row.name} {row.division_prefix or '全国'} {row.valid_from}: {row.value}",
            )
        ],
    )


def parameters_seed() -> int:
    """Insert the national default of every parameter that has no national row yet."""
    have = set(
        Parameter.objects.filter(division_prefix="").values_list("name", flat=True).distinct()
    )
    start = dt.date.fromisoformat(DEFAULTS_FROM)
    rows = [
        Parameter(
            name=s.name,
            division_prefix="",
            value=s.default,
            valid_from=start,
            note="全国默认值（示例数据）" if s.synthetic else "全国默认值",
        )
        for s in SPECS.values()
        if s.name not in have
    ]
    Parameter.objects.bulk_create(rows)
    return len(rows)


# --- selectors -----------------------------------------------------------------------------
CATALOGUE_NOTE = "目录默认值 catalogue default"


def _prefixes(code: str) -> list[str]:
    return [code[:n] for n in PREFIX_LENGTHS if n <= len(code)]


def parameter_lookup(name: str, code: str, on: dt.date) -> Found | None:
    """The value of ``name`` for division ``code`` on ``on``: the longest prefix wins.

    ``code`` must be a division code (digits, 2/4/6/9/12 long; empty = the nation):
    anything else raises :class:`ParameterError` rather than quietly answering with the
    national value.
    """
    s = spec(name)
    code = check_prefix(code)
    rows = (
        Parameter.objects.as_of(on)
        .filter(name=name, division_prefix__in=_prefixes(code))
        .order_by("-division_prefix")
    )
    best = max(rows, key=lambda r: len(r.division_prefix), default=None)
    if best is None:
        return None
    return Found(
        name, best.value, best.division_prefix, best.valid_from, best.valid_to, best.note, s
    )


def parameters_for(code: str, on: dt.date) -> dict[str, Found]:
    """Every parameter in force for ``code`` on ``on``.

    Like :func:`effective_rows`, a parameter with no national row stored falls back to its
    catalogue default (from ``DEFAULTS_FROM``, note :data:`CATALOGUE_NOTE`), so the answer
    names what the engine really uses.
    """
    code = (code or "").strip()
    out: dict[str, Found] = {}
    for r in Parameter.objects.as_of(on).filter(division_prefix__in=_prefixes(code)):
        if r.name not in SPECS:
            continue
        old = out.get(r.name)
        if old is None or len(r.division_prefix) > len(old.division_prefix):
            out[r.name] = Found(
                r.name, r.value, r.division_prefix, r.valid_from, r.valid_to, r.note, SPECS[r.name]
            )
    start = dt.date.fromisoformat(DEFAULTS_FROM)
    missing = [n for n in SPECS if n not in out]
    if missing and on >= start:
        national = set(
            Parameter.objects.filter(division_prefix="", name__in=missing)
            .values_list("name", flat=True)
            .distinct()
        )
        for n in missing:
            if n not in national:
                s = SPECS[n]
                out[n] = Found(n, s.default, "", start, None, CATALOGUE_NOTE, s)
    return out


def parameter_rows(names: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every stored row (optionally of ``names``) in the engine's parameter-row shape."""
    qs = Parameter.objects.all()
    if names is not None:
        qs = qs.filter(name__in=list(names))
    return [
        {
            "name": r.name,
            "division": r.division_prefix,
            "value": r.value,
            "valid_from": r.valid_from,
            "valid_to": r.valid_to,
        }
        for r in qs.order_by("name", "division_prefix", "valid_from")
    ]


def effective_rows(names: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The stored rows plus the catalogue default row of every parameter with no national
    ("" prefix) row stored — what the engine should run on, so a missing national seed (or
    a newly catalogued parameter) never drops a parameter. Same shape and order as
    :func:`parameter_rows`."""
    wanted = None if names is None else set(names)
    rows = parameter_rows(wanted)
    national = {r["name"] for r in rows if r["division"] == ""}
    rows.extend(
        r
        for r in default_rows()
        if r["name"] not in national and (wanted is None or r["name"] in wanted)
    )
    rows.sort(key=lambda r: (r["name"], r["division"], r["valid_from"]))
    return rows
