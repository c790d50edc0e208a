"""Kind ``import``: ``minzheng import registry FILE`` killed mid-import, then run again.

Progress is the number of persons committed, counted in the database. The importer
commits whole households in chunks of about 2,000 rows, so the kill points are: during
the second chunk, during the chunk after half the rows, during the last chunk; each kill
waits a random part of one chunk's time past the commit so that it lands inside the next
transaction. Recovery is the re-run of the same command.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.faults import data
from bench.faults import registry as reg
from bench.faults.core import JobKind, KillPoint
from bench.faults.registry import Damage
from bench.faults.sandbox import MINZHENG, Backend, Sandbox

CHUNK_ROWS = 2000  # registry_import's chunk_rows: one transaction per ~2,000 rows


class ImportKind(JobKind):
    name = "import"

    def __init__(self, backend: Backend, work: Path, rows: int) -> None:
        self.backend, self.work, self.rows = backend, work, rows
        self.db = backend.vendor
        self.commits: list[float] = []  # seconds between two commits, over every trial
        self.seen = (0.0, 0)
        self.proc: Any = None
        self.sb: Sandbox | None = None
        self.last: dict[str, Any] = {}

    def prepare(self) -> None:
        data.base(self.backend)
        self.file = data.import_csv(self.backend, self.rows)
        self.expected = reg.Expected.from_csv(self.file)
        self.total = sum(self.expected.persons.values())

    def figures(self) -> dict[str, Any]:
        chunk = statistics.median(self.commits) if self.commits else None
        return {
            "rows": self.total,
            "households": len(self.expected.members),
            "chunk_s": round(chunk, 2) if chunk else None,
        }

    def _argv(self) -> list[str]:
        return [*MINZHENG, "import", "registry", str(self.file)]

    def _persons(self) -> int:
        assert self.sb is not None
        return int(self.sb.value("SELECT count(*) FROM registry_person") or 0)

    def start(self, trial: int) -> None:
        self.sb = self.backend.new(data.base(self.backend), name=f"import{trial}-")
        self.proc = self.sb.spawn(self._argv(), log="import")
        self.seen = (0.0, 0)

    def progress(self) -> tuple[int, int]:
        n, now = self._persons(), time.perf_counter()
        if n != self.seen[1]:
            if self.seen[1]:
                self.commits.append(now - self.seen[0])
            self.seen = (now, n)
        return n, self.total

    def target(self, point: KillPoint, total: int) -> int:
        if point.share >= 0.9:  # the last chunk is the one in flight
            return max(1, total - CHUNK_ROWS)
        return super().target(point, total)

    def jitter(self, rng: random.Random) -> float:
        """A random part of the next chunk's time (guessed at 0.5 s before one was timed)."""
        per_row = statistics.median(self.commits) / CHUNK_ROWS if self.commits else 0.00025
        done, total = self.progress()
        return rng.uniform(0.05, 0.7) * per_row * min(CHUNK_ROWS, max(total - done, 1))

    def committed(self) -> Counter[str]:
        assert self.sb is not None
        return reg.persons(self.sb)

    def after_kill(self, before: Counter[str]) -> Damage:
        assert self.sb is not None
        d = Damage(lost=reg.lost_since(before, reg.persons(self.sb)))
        d.add(reg.check_households(self.sb, self.expected, complete=False))
        return d.add(reg.check_create_audits(self.sb))

    def resume(self) -> dict[str, float]:
        assert self.sb is not None
        out = self.sb.cli("import", "registry", str(self.file), check=False)
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        self.last = {"returncode": out.returncode, **(json.loads(lines[-1]) if lines else {})}
        return {}

    def verify(self) -> Damage:
        assert self.sb is not None
        d = reg.check_households(self.sb, self.expected, complete=True)
        d.add(reg.check_create_audits(self.sb))
        last = self.last
        if last.get("returncode") != 0:
            d.note(f"re-run failed: exit {last.get('returncode')}")
        elif last.get("updated") or last.get("rejected"):
            d.note(f"re-run changed committed rows: {last}")
        states = reg.batches(self.sb)
        d.stuck += states.get("running", 0)
        if states.get("running"):
            d.note(
                "the killed run's ImportBatch stays 'running' for good (nothing marks it failed)"
            )
        return d

    def end_trial(self) -> None:
        if self.sb is not None:
            self.backend.drop(self.sb)
            self.sb = None

    def close(self) -> None:
        self.end_trial()
