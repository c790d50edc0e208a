"""The monitoring pass: link the feeds, refresh the layers, evaluate every warning rule over
the whole registry on the engine, and write the warnings in bulk.

``monitor_run(as_of=…)`` is idempotent and resumable: a warning is written once per
(rule, subject) while open (a partial unique index holds that even against a second pass
running at once), each rule's warnings are written in one transaction, and a subject whose
warning was closed within the rule's look-back window is not warned again. A pass killed
half-way and run again therefore ends with exactly the warnings of an uninterrupted run.

Inputs to the engine are Arrow tables: the registry snapshot of the day, the parameters
(``assistance`` catalogue, so regions tune thresholds where they tune every other
parameter), ``layer`` (memberships valid on the day) and one table per feed kind a rule
reads, built from the linked feed records (person → ``person_sk``; the kind's date column
→ the record's event date; the other columns from its typed payload).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from minzheng.monitoring.layers import layers_from_rules, layers_refresh
from minzheng.monitoring.rules import WarningRule, default_rules

if TYPE_CHECKING:
    import pyarrow as pa

    from minzheng.engine.rules.schema import Ruleset

Progress = Callable[[int, int], None]
ARROW_TYPES = {"money": "int64", "integer": "int64", "text": "string", "boolean": "bool",
               "date": "date32"}  # fmt: skip


@dataclass
class PassSummary:
    """What a pass did; its JSON is the last line ``minzheng monitor run`` prints."""

    run: int
    as_of: dt.date
    engine: str
    new: int = 0
    already_open: int = 0
    suppressed: int = 0
    discoveries: int = 0
    per_rule: dict[str, dict[str, int]] = field(default_factory=dict)
    per_division: dict[str, int] = field(default_factory=dict)
    linkage: dict[str, Any] = field(default_factory=dict)
    layers: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "as_of": self.as_of.isoformat(),
            "engine": self.engine,
            "new": self.new,
            "already_open": self.already_open,
            "suppressed": self.suppressed,
            "discoveries": self.discoveries,
            "per_rule": self.per_rule,
            "per_division": dict(sorted(self.per_division.items())),
            "linkage": self.linkage,
            "layers": self.layers,
            "seconds": round(self.seconds, 2),
        }


# --- the windows and inputs a rule needs --------------------------------------------------------
def lookback_days(rs: Ruleset) -> int:
    """The longest look-back window of the rule's facts in days (30 when it has none)."""
    windows = [f.window for f in rs.facts.values() if f.window is not None]
    days = [w.n * (31 if w.unit == "months" else 1) for w in windows]
    return max(days, default=30)


def feed_input(kind_name: str, columns: dict[str, str], date_column: str | None,
               as_of: dt.date, since: dt.date) -> pa.Table:  # fmt: skip
    """Linked records of a feed kind with event dates in (since, as_of], as an engine input."""
    import json

    import pyarrow as pa

    from minzheng.monitoring.models import FeedRecord

    columns = {c: t for c, t in columns.items() if c != date_column}
    rows = (
        FeedRecord.objects.filter(
            kind=kind_name, person__isnull=False, event_date__gt=since, event_date__lte=as_of
        )
        .order_by("pk")
        .values_list("person_id", "event_date", "payload")
    )
    data: dict[str, list[Any]] = {"person_sk": []}
    if date_column:
        data[date_column] = []
    for c in columns:
        data[c] = []
    for person, day, payload in rows.iterator(chunk_size=20_000):
        values = json.loads(payload) if isinstance(payload, str) else payload
        data["person_sk"].append(person)
        if date_column:
            data[date_column].append(day)
        for c in columns:
            data[c].append(values.get(c))
    types = {"person_sk": pa.int64(), **({date_column: pa.date32()} if date_column else {})}
    types.update({c: pa.type_for_alias(ARROW_TYPES.get(t, "string")) for c, t in columns.items()})
    return pa.table({n: pa.array(v, type=types[n]) for n, v in data.items()})


def layer_input(as_of: dt.date) -> pa.Table:
    """Layer memberships valid on ``as_of``: person_sk, layer, subtype."""
    import pyarrow as pa

    from minzheng.monitoring.models import LayerMembership

    rows = list(LayerMembership.objects.as_of(as_of).values_list("person_id", "layer", "subtype"))
    return pa.table(
        {
            "person_sk": pa.array([r[0] for r in rows], pa.int64()),
            "layer": pa.array([r[1] for r in rows], pa.string()),
            "subtype": pa.array([r[2] for r in rows], pa.string()),
        }
    )


def rule_inputs(
    rule: WarningRule, as_of: dt.date, cache: dict[str, pa.Table] | None = None
) -> dict[str, pa.Table]:
    """The feed and layer tables ``rule`` reads (registry tables and parameters aside).

    ``cache`` keeps the layer table across the rules of one pass (every rule reads it)."""
    from minzheng.monitoring.feeds.kinds import kind as feed_kind
    from minzheng.monitoring.rules import LAYER_INPUT

    since = as_of - dt.timedelta(days=lookback_days(rule.ruleset) + 1)
    out: dict[str, pa.Table] = {}
    for name, spec in rule.ruleset.inputs.items():
        if name == LAYER_INPUT:
            if cache is None:
                out[name] = layer_input(as_of)
            else:
                if name not in cache:
                    cache[name] = layer_input(as_of)
                out[name] = cache[name]
        else:
            out[name] = feed_input(name, spec.columns, spec.date, as_of, since)
            declared = feed_kind(name)
            if spec.date and spec.date != declared.date:
                raise ValueError(
                    f"{rule.ruleset.path}: input {name} dates on {spec.date}, "
                    f"the feed kind on {declared.date}"
                )
    return out


# --- dispatch --------------------------------------------------------------------------------
def _townships() -> dict[int, int]:
    """Division id → the id of the township (level 4) it lies in, itself above that level."""
    from minzheng.divisions.models import Division, Level

    rows = list(Division.objects.values_list("pk", "code", "level"))
    by_code = {code: pk for pk, code, level in rows if level == Level.TOWNSHIP}
    out = {}
    for pk, code, level in rows:
        out[pk] = by_code.get(code[:9] + "000", pk) if level >= Level.TOWNSHIP else pk
    return out


@dataclass
class _Subject:
    household: int | None
    person: int | None
    division: int | None


def _subjects(subject: str, ids: list[int]) -> dict[int, _Subject]:
    from minzheng.registry.models import Household, Person

    out: dict[int, _Subject] = {}
    if subject == "household":
        for pk, res, huk in Household.objects.filter(pk__in=ids).values_list(
            "pk", "residence_division_id", "hukou_division_id"
        ):
            out[pk] = _Subject(pk, None, res or huk)
    else:
        for pk, hh, res, huk in Person.objects.filter(pk__in=ids).values_list(
            "pk", "household_id", "residence_division_id", "hukou_division_id"
        ):
            out[pk] = _Subject(hh, pk, res or huk)
    return out


def _chunks(items: list[Any], n: int = 900) -> Iterable[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


# --- writing the warnings of one rule --------------------------------------------------------
def write_alerts(rule: WarningRule, flagged: pa.Table, explanations: list[str],
                 as_of: dt.date, run: Any, townships: dict[int, int],
                 summary: PassSummary) -> None:  # fmt: skip
    """Write ``rule``'s warnings for the flagged subjects (one transaction)."""
    import json

    from minzheng.accounts.services import Audit, audit_record
    from minzheng.divisions.models import Division
    from minzheng.monitoring.alerts import Alert, AlertEvent, AlertStatus
    from minzheng.workdays.selectors import add_working_days

    rs = rule.ruleset
    subject = rs.subject
    sks = flagged.column("subject_sk").to_pylist()
    severities = flagged.column("severity").to_pylist()
    amounts = flagged.column("amount_fen").to_pylist()
    counts = {"flagged": len(sks), "new": 0, "already_open": 0, "suppressed": 0}
    since = as_of - dt.timedelta(days=lookback_days(rs))
    with transaction.atomic():
        blocked_open: set[int] = set()
        blocked_recent: set[int] = set()
        for part in _chunks(sks):
            existing = Alert.objects.filter(rule=rs.name, subject=subject, subject_id__in=part)
            for sk, status, raised in existing.values_list("subject_id", "status", "raised_on"):
                if status != AlertStatus.CLOSED:
                    blocked_open.add(sk)
                elif raised > since:
                    blocked_recent.add(sk)
        who: dict[int, _Subject] = {}
        for part in _chunks(sks):
            who.update(_subjects(subject, part))
        due = add_working_days(as_of, rule.deadline_days).date
        new: list[Alert] = []
        for sk, severity, amount, explain in zip(sks, severities, amounts, explanations,
                                                 strict=True):  # fmt: skip
            if sk in blocked_open:
                counts["already_open"] += 1
                continue
            if sk in blocked_recent:
                counts["suppressed"] += 1
                continue
            s = who.get(sk)
            if s is None or s.household is None or s.division is None:
                counts["suppressed"] += 1  # gone since the snapshot, or no household/division
                continue
            new.append(
                Alert(
                    rule=rs.name,
                    rule_version=rs.version,
                    rule_sha256=rs.sha256,
                    severity=severity or "yellow",
                    subject=subject,
                    subject_id=sk,
                    household_id=s.household,
                    person_id=s.person,
                    division_id=townships.get(s.division, s.division),
                    raised_on=as_of,
                    due_on=due,
                    amount_fen=amount,
                    evidence={"explanation": json.loads(explain), "rule": rs.key},
                    run=run,
                )
            )
        Alert.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
        made = list(Alert.objects.filter(run=run, rule=rs.name).values_list(
            "pk", "household_id", "division_id", "severity"))  # fmt: skip
        AlertEvent.objects.bulk_create(
            [AlertEvent(alert_id=pk, action="raise", to_status=AlertStatus.OPEN)
             for pk, *_ in made],
            batch_size=5000,
        )  # fmt: skip
        audit_record(
            actor=None,
            source="monitor",
            events=[
                Audit(action="alert_raise", object_type="alert", object_id=pk,
                      household_id=hh, summary=f"预警：{rs.title}（{sev}）")
                for pk, hh, _, sev in made
            ],
        )  # fmt: skip
        counts["new"] = len(made)
        codes = dict(
            Division.objects.filter(pk__in={d for _, _, d, _ in made}).values_list("pk", "code")
        )
        for _, _, division, _ in made:
            summary.per_division[codes[division]] = summary.per_division.get(codes[division], 0) + 1
    summary.per_rule[rs.name] = counts
    summary.new += counts["new"]
    summary.already_open += counts["already_open"]
    summary.suppressed += counts["suppressed"]


# --- the pass --------------------------------------------------------------------------------
def monitor_run(
    *,
    as_of: dt.date | None = None,
    engine: str = "duckdb",
    rules: Iterable[str] | None = None,
    link: bool = True,
    progress: Progress | None = None,
    runner: Any = None,
) -> PassSummary:
    """Run the monitoring pass for ``as_of`` (default today). See the module docstring."""
    from minzheng.assistance.catalogue import engine_table
    from minzheng.assistance.parameters import effective_rows
    from minzheng.engine import run as engine_run
    from minzheng.engine.backends import runner_for
    from minzheng.engine.explain import json_column
    from minzheng.engine.snapshot import snapshot_take
    from minzheng.monitoring.alerts import MonitorRun

    day = as_of or dt.date.today()
    chosen = default_rules()
    if rules is not None:
        unknown = sorted(set(rules) - set(chosen))
        if unknown:
            raise ValueError(f"unknown rule(s): {', '.join(unknown)}")
        chosen = {n: r for n, r in chosen.items() if n in set(rules)}
    start = time.perf_counter()
    run = MonitorRun.objects.create(as_of=day, engine=engine)
    summary = PassSummary(run=run.pk, as_of=day, engine=engine)
    steps = 3 + len(chosen)
    tick = progress or (lambda done, total: None)
    own = runner is None
    active = runner if runner is not None else runner_for(engine)
    try:
        if link:
            from minzheng.monitoring.linkage.services import link_feed_records

            summary.linkage = link_feed_records(day)
        tick(1, steps)
        layers_refresh(day)
        tick(2, steps)
        snap = snapshot_take(on=day)
        summary.layers = layers_from_rules(snap.tables, day, runner=active)
        base = {**snap.tables, "parameter": engine_table(effective_rows())}
        townships = _townships()
        read: dict[str, pa.Table] = {}  # inputs every rule reads, read once
        tick(3, steps)
        for i, (name, rule) in enumerate(sorted(chosen.items()), start=4):
            result = engine_run(rule.ruleset, {**base, **rule_inputs(rule, day, read)}, as_of=day,
                                runner=active, indicators=False, check_parameters=False,
                                flagged_only=True)  # fmt: skip
            flagged = result.flagged()
            explanations = json_column(flagged, rule.ruleset, result.values()).to_pylist()
            write_alerts(rule, flagged, explanations, day, run, townships, summary)
            run.rules_done = [*run.rules_done, name]
            run.save(update_fields=["rules_done", "updated_at"])
            tick(i, steps)
        summary.discoveries = discover(day, run)
    except BaseException as exc:
        run.status, run.message = MonitorRun.Status.FAILED, str(exc)[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "message", "finished_at", "updated_at"])
        raise
    finally:
        if own:
            active.close()
    summary.seconds = time.perf_counter() - start
    run.status, run.finished_at = MonitorRun.Status.DONE, timezone.now()
    run.summary = summary.as_dict()
    run.save(update_fields=["status", "finished_at", "summary", "updated_at"])
    return summary


# --- people outside the registry -------------------------------------------------------------
def discover(as_of: dt.date, run: Any = None) -> int:
    """Unlinked medical records whose 12-month out-of-pocket total passes the region's floor:
    possible discoveries for the county (no household is known, so no share-of-income test)."""
    from minzheng.assistance.cases import parameter_value
    from minzheng.assistance.catalogue import SPECS
    from minzheng.divisions.models import Division
    from minzheng.monitoring.alerts import Discovery
    from minzheng.monitoring.models import FeedRecord

    since = as_of - dt.timedelta(days=365)
    totals: dict[str, int] = Counter()
    facts: dict[str, dict[str, Any]] = {}
    evidence: dict[str, list[str]] = defaultdict(list)
    for rec in FeedRecord.objects.filter(
        kind="medical", person__isnull=True, event_date__gt=since, event_date__lte=as_of
    ).iterator(chunk_size=5000):
        ident = (
            rec.id_number if rec.id_valid else f"{rec.name}|{rec.birth_date}|{rec.division_code}"
        )
        totals[ident] += int((rec.payload or {}).get("out_of_pocket_fen") or 0)
        facts.setdefault(ident, {"name": rec.name, "id": rec.id_number if rec.id_valid else "",
                                 "division": rec.division_id})  # fmt: skip
        evidence[ident].append(rec.source_key)
    floors: dict[int | None, int] = {}
    made = 0
    with transaction.atomic():
        open_now = set(
            Discovery.objects.filter(rule="medical_burden", status=Discovery.Status.OPEN)
            .values_list("identity", flat=True)
        )  # fmt: skip
        new = []
        for ident, total in totals.items():
            d = facts[ident]["division"]
            if d not in floors:
                division = Division.objects.filter(pk=d).first() if d else None
                floors[d] = (
                    parameter_value("medical_floor_fen", division, as_of)
                    if division is not None
                    else SPECS["medical_floor_fen"].default
                )
            if total <= floors[d] or ident in open_now:
                continue
            new.append(Discovery(rule="medical_burden", identity=ident[:120],
                                 name=facts[ident]["name"], id_number=facts[ident]["id"],
                                 division_id=d, raised_on=as_of, amount_fen=total,
                                 evidence={"records": evidence[ident][:50]}, run=run))  # fmt: skip
        Discovery.objects.bulk_create(new, ignore_conflicts=True)
        made = len(new)
    return made
