"""Batch passes killed while they write: the shared part of ``engine pass`` and ``roster``.

A pass is a driver script that writes its results in units, one transaction each, and
reports ``planned <n>``, ``writing <key>`` before a unit and ``written <key> <rows>`` after
its commit, then ``done``. Trials alternate between a new period (new keys) and the
previous trial's period again (keys that already hold a complete set, being replaced),
so a kill hits both a first write and a replacement. Each key must hold exactly one
complete set — the old or the new after the kill, the new after the re-run — and other
periods' rows are never touched. A subclass declares the driver, the period of a trial,
and three queries: rows per key of a period, all rows, and rows present twice.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from bench.faults.core import JobKind, KillPoint
from bench.faults.registry import Damage
from bench.faults.sandbox import PYTHON, Backend, Sandbox, wait_for


class PassKind(JobKind):
    """A driver-run pass (see the module docstring); subclasses fill in the declarations."""

    script: Path  # the driver
    poll_s = 0.002  # progress is the driver's output: cheap to read, and writes are short

    def __init__(self, backend: Backend) -> None:
        self.backend, self.db = backend, backend.vendor
        self.sb: Sandbox | None = None
        self.proc: Any = None
        self.lines: list[str] = []  # the driver's output, as it comes
        self.stamps: list[float] = []  # when each line came
        self.sizes: dict[str, int] = {}  # period-free key → rows of a complete set
        self.write_s: list[float] = []  # seconds of each write, in order, undisturbed
        self.aim = 1  # the progress this trial kills at

    # Declarations -------------------------------------------------------------------
    def template(self) -> str:
        """The template database the pass runs on (built on first use)."""
        raise NotImplementedError

    def period(self, trial: int) -> dt.date:
        """The period trial ``trial`` writes (-1: the undisturbed first run)."""
        raise NotImplementedError

    def argv(self, period: dt.date) -> list[str]:
        """Arguments of the driver for ``period``."""
        raise NotImplementedError

    def rows(self, period: dt.date) -> dict[str, int]:
        """Committed rows per key of ``period`` (quick: it is polled while the pass runs)."""
        raise NotImplementedError

    def total(self) -> int:
        """Every committed row, of every period."""
        raise NotImplementedError

    def twice(self) -> int:
        """Rows present more than once (a subject paid twice, a result stored twice)."""
        raise NotImplementedError

    def generic(self, key: str) -> str:
        """``key`` without its period (the same unit in any period)."""
        raise NotImplementedError

    def consistency(self) -> Damage:
        """Anything else that must hold after a kill and after the re-run."""
        return Damage()

    # The shared part ----------------------------------------------------------------
    def prepare(self) -> None:
        # A copy: every trial runs the same driver even if the file is edited meanwhile.
        copy = self.backend.workdir / self.script.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.script, copy)
        self.script = copy
        self.sb = self.backend.new(self.template(), name=self.name.split()[0])
        self.day = self.period(-1)
        self._launch()
        self.proc.wait(timeout=self.start_timeout)
        if self.proc.returncode != 0 or "done" not in self.lines:
            raise RuntimeError(f"an undisturbed {self.name} failed: {self.lines[-3:]}")
        self.sizes = {self.generic(k): n for k, n in self._written().items()}
        began = {ln.split()[1]: t for ln, t in self._timed() if ln.startswith("writing ")}
        self.write_s = [
            t - began[ln.split()[1]] for ln, t in self._timed() if ln.startswith("written ")
        ]

    def figures(self) -> dict[str, Any]:
        return {"units_per_pass": len(self.sizes), "rows_per_pass": sum(self.sizes.values())}

    def _timed(self) -> list[tuple[str, float]]:
        return list(zip(list(self.lines), list(self.stamps), strict=False))

    def _launch(self) -> None:
        assert self.sb is not None
        self.lines, self.stamps = [], []
        self.proc = self.sb.spawn([PYTHON, str(self.script), *self.argv(self.day)], log=None)
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()

    def _read(self, proc: Any) -> None:
        for raw in proc.stdout:
            self.stamps.append(time.perf_counter())
            self.lines.append(raw.decode(errors="replace").strip())

    def _written(self) -> dict[str, int]:
        pairs = [line.split()[1:] for line in list(self.lines) if line.startswith("written ")]
        return {key: int(n) for key, n in pairs}

    def start(self, trial: int) -> None:
        self.day = self.period(trial)
        self.before = self.rows(self.day)  # complete sets when the period is done again
        self.others = self.total() - sum(self.before.values())
        self._launch()

    def progress(self) -> tuple[int, int]:
        planned = [int(x.split()[1]) for x in list(self.lines) if x.startswith("planned ")]
        return len(self._written()), planned[0] if planned else 0

    def target(self, point: KillPoint, total: int) -> int:
        self.aim = super().target(point, total)
        return self.aim

    def jitter(self, rng: random.Random) -> float:
        """Wait for the write after the kill point to begin, then part of its duration."""
        wait_for(
            lambda: (
                sum(x.startswith("writing ") for x in list(self.lines)) > self.aim
                or not self.alive()
            ),
            timeout=60,
            every=self.poll_s,
        )
        # The same unit's write time in the undisturbed run (units come in the same order).
        unit = self.write_s[min(self.aim, len(self.write_s) - 1)] if self.write_s else 0.05
        return rng.uniform(0.0, 0.3) * unit

    def landed(self) -> str:
        lines = list(self.lines)
        writing = sum(x.startswith("writing ") for x in lines)
        written = sum(x.startswith("written ") for x in lines)
        return "inside a write" if writing > written else "between writes"

    def committed(self) -> dict[str, int]:
        """Rows per key of this trial's period the pass has reported committed, or had before.

        Read from the pass's output, not the database, so the kill is not delayed.
        """
        return {**self.before, **self._written()}

    def after_kill(self, before: dict[str, int]) -> Damage:
        now = self.rows(self.day)
        d = Damage()
        for key, n in before.items():
            d.lost += max(0, n - now.get(key, 0))
        return d.add(self._sets(now, complete=False)).add(self.consistency())

    def _sets(self, now: dict[str, int], *, complete: bool) -> Damage:
        """Every key holds a complete set; with ``complete``, every planned key is there."""
        d = Damage()
        for key, n in now.items():
            want = self.sizes.get(self.generic(key))
            if want is None or n == want:
                continue
            if n > want:
                d.duplicates += n - want
            else:
                d.half_written += 1
                d.note(f"{self.generic(key)}: {n} of {want} rows")
        if complete:
            have = {self.generic(k) for k in now}
            d.lost += sum(n for k, n in self.sizes.items() if k not in have)
        return d

    def resume(self) -> dict[str, float]:
        self._launch()
        self.proc.wait(timeout=self.start_timeout)
        return {}

    def verify(self) -> Damage:
        now = self.rows(self.day)
        d = self._sets(now, complete=True)
        others = self.total() - sum(now.values())
        if others != self.others:
            d.lost += max(0, self.others - others)
            d.duplicates += max(0, others - self.others)
            d.note("a pass changed another period's rows")
        if self.proc.returncode != 0:
            d.note(f"re-run failed: {self.lines[-3:]}")
        d.duplicates += self.twice()
        return d.add(self.consistency())

    def close(self) -> None:
        if self.sb is not None:
            self.backend.drop(self.sb)
