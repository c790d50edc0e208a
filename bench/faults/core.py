"""The kill loop: start a job, wait for a progress point, SIGKILL it, resume, check the rows.

A kind of job is declared by subclassing :class:`JobKind` — how to start it, how far it
has got, what it has committed, how to resume it and how to check the result (batch
passes that report their units need less: :class:`bench.faults.kinds.passes.PassKind`).
The monitoring pass becomes a kind the same way once it exists.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.faults.registry import Damage
from bench.faults.sandbox import kill_group, wait_for


@dataclass(frozen=True)
class KillPoint:
    """Where in a job's progress to pull the trigger (share of its units; 0 = first commit)."""

    label: str
    share: float


POINTS = (
    KillPoint("after first commit", 0.0),
    KillPoint("mid-way", 0.5),
    KillPoint("near the end", 0.9),
)


class JobKind:
    """One kind of job the campaign kills; subclasses fill in the declarations below."""

    name = "job"
    db = ""  # the database vendor it runs on, for the report
    start_timeout = 300.0
    poll_s = 0.02  # how often progress is read while waiting for the kill point
    proc: Any = None  # the job's process (started with its own process group)

    def prepare(self) -> None:
        """Once per campaign: data files, template databases, a calibration run."""

    def start(self, trial: int) -> None:
        """Give trial ``trial`` its starting state, then launch the job."""
        raise NotImplementedError

    def alive(self) -> bool:
        """Whether the job is still running (by default: its process, ``self.proc``)."""
        return self.proc is not None and self.proc.poll() is None

    def progress(self) -> tuple[int, int]:
        """Units committed so far and the total (total 0 while unknown)."""
        raise NotImplementedError

    def target(self, point: KillPoint, total: int) -> int:
        """The progress at which to kill: the first unit, or a share, never past the last."""
        if point.share <= 0:
            return 1
        return max(1, min(math.ceil(point.share * total), total - 1))

    def jitter(self, rng: random.Random) -> float:
        """Seconds to wait past the target, so the kill lands inside the next transaction."""
        return 0.0

    def landed(self) -> str:
        """Where the kill is about to land, if the kind can tell (e.g. "inside a write")."""
        return ""

    def committed(self) -> Any:
        """What is committed now (whatever :meth:`after_kill` compares with)."""
        raise NotImplementedError

    def kill(self) -> None:
        """SIGKILL the job, every process of it (by default: ``self.proc``'s group)."""
        if self.proc is not None:
            kill_group(self.proc)

    def after_kill(self, before: Any) -> Damage:
        """Committed rows lost since ``before``; anything half-written at the crash point."""
        raise NotImplementedError

    def resume(self) -> dict[str, float]:
        """Bring the work to completion after the kill (timed as the recovery).

        Returns figures to report; ``recovery_s`` in them replaces the timing.
        """
        raise NotImplementedError

    def verify(self) -> Damage:
        """Check the finished state: nothing lost, nothing twice, nothing partial."""
        raise NotImplementedError

    def end_trial(self) -> None:
        """Clean up what :meth:`start` made for one trial."""

    def figures(self) -> dict[str, Any]:
        """What the report should say about the work itself (its size, say)."""
        return {}

    def close(self) -> None:
        """Clean up everything."""


@dataclass
class Trial:
    point: str
    killed: bool  # False: the job had finished its work before the kill
    at: tuple[int, int]
    damage: Damage
    recovery_s: float
    extra: dict[str, float] = field(default_factory=dict)
    landed: str = ""


def kill_once(kind: JobKind, trial: int, point: KillPoint, rng: random.Random) -> Trial:
    """One kill: start, wait for ``point``, kill, check, resume, check again."""
    kind.start(trial)
    try:
        wait_for(lambda: kind.progress()[1] > 0 or not kind.alive(), timeout=120)
        target = kind.target(point, kind.progress()[1])
        wait_for(
            lambda: kind.progress()[0] >= target or not kind.alive(),
            timeout=kind.start_timeout,
            every=kind.poll_s,
        )
        before = kind.committed()
        time.sleep(kind.jitter(rng))
        at, where = kind.progress(), kind.landed()
        killed = kind.alive() and at[0] < at[1]
    finally:
        kind.kill()
    damage = kind.after_kill(before)
    start = time.perf_counter()
    extra = kind.resume()
    recovery = extra.pop("recovery_s", time.perf_counter() - start)
    damage.add(kind.verify())
    kind.end_trial()
    return Trial(point.label, killed, at, damage, recovery, extra, where)


def kill_campaign(
    kind: JobKind,
    kills: int,
    seed: int = 1,
    on_trial: Callable[[int, Trial], None] | None = None,
) -> list[Trial]:
    """Trials cycling through :data:`POINTS` until ``kills`` of them killed the job mid-work.

    A trial whose job had finished before the kill is kept (its checks count, its kill is
    ``missed``) and its point tried again; at most ``3 * kills`` trials in all.
    """
    rng = random.Random(seed)
    trials: list[Trial] = []
    try:
        kind.prepare()
        done = 0
        while done < kills and len(trials) < 3 * kills:
            trials.append(kill_once(kind, len(trials), POINTS[done % len(POINTS)], rng))
            done += trials[-1].killed
            if on_trial:
                on_trial(len(trials) - 1, trials[-1])
    finally:
        kind.kill()  # also when interrupted mid-trial
        kind.close()
    return trials


@dataclass
class Summary:
    """One line of the report: a kind of fault on one database."""

    kind: str
    db: str
    faults: int  # kills, restarts or disk-full runs that happened as planned
    missed: int = 0  # the job finished before its kill point
    damage: Damage = field(default_factory=Damage)
    recovery: list[float] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    skipped: str = ""  # why the kind did not run here
    error: str = ""  # the campaign's own failure while running the kind
    seconds: float = 0.0  # wall time of the whole kind, setup included

    @property
    def ok(self) -> bool:
        d = self.damage
        return d.lost == d.duplicates == d.half_written == 0 and not self.error

    def as_dict(self) -> dict[str, Any]:
        d = self.damage
        rec = self.recovery or [math.nan]
        return {
            "bench": "fault_campaign",
            "kind": self.kind,
            "db": self.db,
            "faults": self.faults,
            "missed": self.missed,
            "rows_lost": d.lost,
            "duplicates": d.duplicates,
            "half_written": d.half_written,
            "stuck": d.stuck,
            "recovery_median_s": round(statistics.median(rec), 2),
            "recovery_max_s": round(max(rec), 2),
            **self.figures,
            "findings": self.findings,
            "skipped": self.skipped,
            "error": self.error,
            "seconds": round(self.seconds, 1),
            "ok": self.ok,
        }


def counted(notes: list[str]) -> list[str]:
    """Each note once, prefixed with how often it came ("3× …")."""
    return [f"{n}× {text}" if n > 1 else text for text, n in Counter(notes).items()]


def summarise(kind: JobKind, trials: list[Trial]) -> Summary:
    """Add up the trials of one kind (a missed kill still counts its checks)."""
    s = Summary(kind.name, kind.db, sum(t.killed for t in trials), figures=kind.figures())
    s.missed = len(trials) - s.faults
    for t in trials:
        s.damage.add(t.damage)
        s.recovery.append(t.recovery_s)
    extras: dict[str, list[float]] = {}
    for t in trials:
        for k, v in t.extra.items():
            extras.setdefault(k, []).append(v)
    for k, values in extras.items():
        s.figures[f"{k}_median"] = round(statistics.median(values), 2)
        s.figures[f"{k}_max"] = round(max(values), 2)
    s.findings = counted(s.damage.notes)
    s.figures["kill_points"] = dict(Counter(t.point for t in trials if t.killed))
    if any(t.landed for t in trials):
        s.figures["landed"] = dict(Counter(t.landed for t in trials if t.killed))
    return s
