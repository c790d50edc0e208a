"""Running a campaign: which kinds on which databases, with what sizes; cleanup afterwards.

The kill kinds (import, engine pass, roster, web) run on SQLite and PostgreSQL — the server
of ``pg_url`` when given (databases named after its database, created there and dropped),
else a private cluster. ``postgres-restart`` always uses the private cluster (it is
stopped); ``disk-full`` needs root for its tmpfs. A kind that cannot run here is reported
as skipped, with the reason.
"""

from __future__ import annotations

import shutil
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from bench.faults import pg as private_pg
from bench.faults.core import JobKind, Summary, Trial, kill_campaign, summarise
from bench.faults.kinds import disk
from bench.faults.kinds.disk import DiskFull
from bench.faults.kinds.engine import EngineKind
from bench.faults.kinds.importing import ImportKind
from bench.faults.kinds.postgres import PostgresRestart
from bench.faults.kinds.roster import RosterKind
from bench.faults.kinds.web import WebKind
from bench.faults.sandbox import Backend, PostgresBackend, Runtime, snapshot, workdir

KINDS = ("import", "engine", "roster", "web", "postgres", "disk")
KILL_KINDS = ("import", "engine", "roster", "web")
Log = Callable[[str], None]


@dataclass
class Plan:
    """What to run and how big."""

    kinds: tuple[str, ...] = KINDS
    dbs: tuple[str, ...] = ("sqlite", "postgresql")
    kills: int = 20  # per kill kind and database
    rows: int = 20_000  # rows of the import file (import, disk-full)
    persons: int = 20_000  # the loaded population (engine, web, postgres-restart)
    edits: int = 24  # household edits per web trial
    disk_rounds: int = 20
    pg_rounds: int = 20
    pg_url: str = ""  # a database URL: its server holds the job kinds' databases (else private)
    source: str = "worktree"  # or a git revision: which code the campaign runs (copied first)
    keep: bool = False  # leave the working directory (logs, SQLite files) for a look
    seed: int = 1

    @classmethod
    def short(cls, **overrides: object) -> Plan:
        """3 kills per kill kind on small data; one disk-full round, three restarts."""
        base = {
            "kills": 3,
            "rows": 8_000,  # four chunks of the importer: a kill point in each of the last three
            "persons": 2_000,
            "edits": 12,
            "disk_rounds": 1,
            "pg_rounds": 3,
        }
        return cls(**{**base, **overrides})  # type: ignore[arg-type]


@dataclass
class Resources:
    """Backends and the private cluster, made on first use and closed at the end."""

    work: Path
    plan: Plan
    log: Log
    runtime: Runtime
    backends: dict[str, Backend] = field(default_factory=dict)
    cluster: private_pg.PrivatePostgres | None = None

    def private(self) -> private_pg.PrivatePostgres:
        if self.cluster is None:
            self.log("starting a private PostgreSQL cluster")
            self.cluster = private_pg.PrivatePostgres().init()
        return self.cluster

    def backend(self, db: str, *, private: bool = False) -> Backend:
        """SQLite; PostgreSQL on ``plan.pg_url`` if given (else, or with ``private``, ours)."""
        key = "private" if db == "postgresql" and (private or not self.plan.pg_url) else db
        if key not in self.backends:
            if db == "sqlite":
                self.backends[key] = Backend(self.work / "sqlite", self.runtime)
            else:
                url = self.private().admin_url if key == "private" else self.plan.pg_url
                self.backends[key] = PostgresBackend(self.work / key, url, self.runtime)
        return self.backends[key]

    def close(self) -> None:
        for b in self.backends.values():
            with suppress(Exception):
                b.close()
        if self.cluster is not None:
            self.cluster.close()


def why_not(kind: str, db: str, plan: Plan) -> str:
    """Why ``kind`` cannot run on ``db`` here ("" when it can)."""
    if kind == "postgres":
        return private_pg.unavailable()
    if kind == "disk":
        return disk.unavailable()
    if db == "postgresql" and private_pg.unavailable() and not plan.pg_url:
        return f"no server given (--pg-url) and no private cluster: {private_pg.unavailable()}"
    return ""


class Campaign:
    """Kinds run one after another on shared templates; everything removed on exit.

    The package is copied first (see :func:`snapshot`), so every process of the campaign
    runs the same code even while the checkout changes.
    """

    def __init__(self, plan: Plan, log: Log | None = None) -> None:
        self.plan = plan
        self.say = log or (lambda text: print(text, file=sys.stderr, flush=True))

    def __enter__(self) -> Campaign:
        self.work = workdir()
        source = self.plan.source
        runtime = snapshot(self.work, "" if source == "worktree" else source)
        self.res = Resources(self.work, self.plan, self.say, runtime)
        return self

    def __exit__(self, *exc: object) -> None:
        self.res.close()
        if self.plan.keep:
            self.say(f"kept {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    def all(self) -> list[Summary]:
        """Every kind of the plan (the job kinds once per database)."""
        plan = self.plan
        return [
            self.kind(k, db) for k in plan.kinds for db in (plan.dbs if k in KILL_KINDS else ("",))
        ]

    def kind(self, kind: str, db: str = "") -> Summary:
        """Run one kind (on ``db`` for a job kind), or say why it is skipped."""
        reason = why_not(kind, db, self.plan)
        label = f"{kind} ({db})" if db else kind
        if reason:
            self.say(f"{label}: skipped — {reason}")
            return Summary(kind, db or "-", 0, skipped=reason)
        self.say(f"{label}: starting")
        start = time.perf_counter()
        try:
            s = self._run(kind, db)
        except Exception as exc:  # one broken kind must not lose the others' figures
            if interrupted(exc):
                raise
            self.say(traceback.format_exc())
            s = Summary(kind, db or "-", 0, error=f"{type(exc).__name__}: {exc}"[:300])
        s.seconds = time.perf_counter() - start
        self.say(f"{label}: done in {s.seconds:.0f}s")
        return s

    def _run(self, kind: str, db: str) -> Summary:
        plan, res = self.plan, self.res
        if kind == "postgres":
            backend = res.backend("postgresql", private=True)
            assert isinstance(backend, PostgresBackend)
            return PostgresRestart(res.private(), backend, plan.persons, plan.pg_rounds).run()
        if kind == "disk":
            return DiskFull(res.backend("sqlite"), res.work, plan.rows, plan.disk_rounds).run()
        job = _kill_kind(kind, res.backend(db), res.work, plan)
        trials = kill_campaign(job, plan.kills, plan.seed, lambda i, t: self._each(job, i, t))
        return summarise(job, trials)

    def _each(self, job: JobKind, i: int, t: Trial) -> None:
        d = t.damage
        self.say(
            f"  {job.name} ({job.db}) trial {i + 1} ({self.plan.kills} kills wanted) {t.point}: "
            f"{'killed' if t.killed else 'finished first'} at {t.at[0]}/{t.at[1]} "
            f"{t.landed} lost {d.lost} dupes {d.duplicates} half {d.half_written} "
            f"stuck {d.stuck} recovery {t.recovery_s:.1f}s"
        )


def interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while unwinding from Ctrl-C or SIGTERM (then: stop)."""
    seen: BaseException | None = exc
    while seen is not None:
        if not isinstance(seen, Exception):
            return True
        seen = seen.__context__
    return False


def run(plan: Plan, log: Log | None = None) -> list[Summary]:
    """Run ``plan``; every temporary directory, database, process and mount is gone after."""
    with Campaign(plan, log) as c:
        return c.all()


def _kill_kind(kind: str, backend: Backend, work: Path, plan: Plan) -> JobKind:
    if kind == "import":
        return ImportKind(backend, work, plan.rows)
    if kind == "engine":
        return EngineKind(backend, plan.persons)
    if kind == "roster":
        return RosterKind(backend, plan.persons)
    return WebKind(backend, work, plan.persons, plan.edits)
