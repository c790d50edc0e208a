"""Kind ``postgres-restart``: PostgreSQL stopped and started again while the app serves load.

A private cluster (never the shared server) holds the data; gunicorn serves it to four
signed-in clients that list households, edit them and probe ``/healthz`` without pause.
Each round stops the cluster for a few seconds — ``fast`` and ``immediate`` shutdown under
load, and ``fast`` while the app sits idle (as at night) — then starts it and sends a burst of ``/healthz`` requests (one for each server thread, also
those the load left idle); the load runs on across all rounds. Figures: what the clients got while the
database was away (status codes, hangs, leaked tracebacks), what ``/healthz`` said, how
long after the restart the first page came back — the app is never restarted — and how
many requests still failed after that (stale connections). Every edit must be there
entirely or not at all.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass

from bench.faults import data
from bench.faults.core import Summary, counted
from bench.faults.load import Hit, Load
from bench.faults.pg import PrivatePostgres
from bench.faults.sandbox import PostgresBackend
from bench.faults.web import Server, check_edits, plan_edits

HANG_S = 10.0  # an answer slower than this counts as a hang
# fast / immediate shutdown under load; "idle": fast, with no requests while it is down
MODES = ("fast", "immediate", "idle")
SETTLE_S = 4.0  # load kept on after each restart before the next round


@dataclass
class Round:
    mode: str
    down: float  # perf_counter when the cluster had stopped
    up: float  # when the cluster accepted connections again
    starting: float = 0.0  # when it was told to start (down until then)
    until: float = 0.0  # when the next round began (or the load stopped)


class PostgresRestart:
    name = "postgres-restart"

    def __init__(
        self,
        pg: PrivatePostgres,
        backend: PostgresBackend,
        persons: int,
        rounds: int,
        outage_s: float = 3.0,
    ) -> None:
        self.pg, self.backend = pg, backend
        self.persons, self.rounds, self.outage_s = persons, rounds, outage_s

    def run(self) -> Summary:
        sb = self.backend.new(data.population(self.backend, self.persons), name="pgrestart")
        server = Server(sb, worker=False)
        try:
            server.start()
            pids = server.pids()
            load = Load(server.base, plan_edits(sb, 60 * self.rounds, 0, "pg")).start()
            rounds = [self._round(r, load) for r in range(self.rounds)]
            hits = load.stop()
            rounds[-1].until = time.perf_counter()
            summary = tally(rounds, hits)
            summary.damage.add(check_edits(sb, load.sent))
            if server.pids() != pids:
                summary.findings.append("the app's processes changed: it was restarted")
            return summary
        finally:
            server.kill()
            if not self.pg.running:  # interrupted while it was down: the next kind needs it
                with suppress(Exception):
                    self.pg.start()
            self.backend.drop(sb)

    def _round(self, r: int, load: Load) -> Round:
        time.sleep(1.0)
        now = Round(MODES[r % len(MODES)], 0.0, 0.0)
        if now.mode == "idle":  # nobody uses the app while the database is away
            load.running.clear()
            time.sleep(0.5)
        self.pg.stop("immediate" if now.mode == "immediate" else "fast")
        now.down = time.perf_counter()
        time.sleep(self.outage_s)
        now.starting = time.perf_counter()
        self.pg.start()
        now.up = time.perf_counter()
        load.running.set()
        load.burst("/healthz")  # reaches the threads the load did not use while it was down
        time.sleep(SETTLE_S)
        now.until = time.perf_counter()
        return now


def tally(rounds: list[Round], hits: list[Hit]) -> Summary:
    """The figures of every round, added up; findings with their counts."""
    s = Summary(PostgresRestart.name, "postgresql", len(rounds))
    during: Counter[str] = Counter()
    after_errors: Counter[str] = Counter()
    findings: list[str] = []
    for r in rounds:
        outage = [h for h in hits if r.down <= h.start and h.end <= r.starting]
        after = [h for h in hits if r.up < h.start < r.until]
        during.update(f"{h.what} {h.status or h.error}" for h in outage)
        after_errors[r.mode] += len(_failed(after))
        findings += _findings(r, outage, after)
        first = [h.end for h in after if h.what == "list" and h.status == 200]
        s.recovery += [min(first) - r.up] if first else []
    s.figures.update(
        during_outage=dict(during),
        errors_after_restart=dict(after_errors),
        hangs=sum(h.seconds >= HANG_S for h in hits),
        recovery_mean_s=round(statistics.mean(s.recovery), 2) if s.recovery else None,
    )
    s.findings = counted(findings)
    return s


def _failed(hits: list[Hit]) -> list[Hit]:
    return [h for h in hits if h.status not in (200, 302)]


def _findings(r: Round, outage: list[Hit], after: list[Hit]) -> list[str]:
    """What was wrong in one round, one line per kind of problem."""
    out = []
    health = [h.status for h in outage if h.what == "healthz" and h.status not in (0, 503)]
    if health:
        out.append(f"/healthz answered {health[0]} while the database was down")
    hung = [h for h in outage if h.seconds >= HANG_S]
    if hung:
        out.append(f"requests hung ≥ {HANG_S:.0f} s while the database was down")
    if any(h.leak for h in outage):
        out.append("a response showed a traceback or driver error")
    failed = _failed(after)
    if failed:
        out.append(
            f"requests failed after the database was back ({r.mode}: "
            f"{', '.join(sorted({f'{h.what} {h.status}' for h in failed}))})"
        )
    if not any(h.what == "list" and h.status == 200 for h in after):
        out.append("no household page came back after a restart")
    return out
