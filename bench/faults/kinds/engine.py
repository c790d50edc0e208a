"""Kind ``engine pass``: the engine's batch run with write-back, killed while it writes.

The driver (``bench/faults/engine_pass.py``) snapshots the registry, runs three rule sets
and writes one run key per rule set and county with ``results_write`` (delete + insert in
one transaction). A trial's period is the pass's date; every run key must hold exactly
one set of results, none partial, none twice.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bench.faults import data
from bench.faults.kinds.passes import PassKind
from bench.faults.sandbox import Backend

FIRST_DAY = dt.date(2024, 7, 1)


class EngineKind(PassKind):
    name = "engine pass"
    script = Path(__file__).resolve().parents[1] / "engine_pass.py"

    def __init__(self, backend: Backend, persons: int) -> None:
        super().__init__(backend)
        self.persons = persons

    def template(self) -> str:
        return data.population(self.backend, self.persons)

    def period(self, trial: int) -> dt.date:
        return FIRST_DAY + dt.timedelta(days=1 + trial // 2)

    def argv(self, period: dt.date) -> list[str]:
        return [f"--as-of={period}", f"--counties={','.join(data.COUNTIES)}"]

    def rows(self, period: dt.date) -> dict[str, int]:
        assert self.sb is not None
        keys = [g.replace("*", period.isoformat()) for g in self.sizes]
        marks = ", ".join("?" * len(keys))
        sql = f"SELECT run_key, count(*) FROM engine_result WHERE run_key IN ({marks}) GROUP BY 1"
        return dict(self.sb.rows(sql, keys)) if keys else {}

    def total(self) -> int:
        assert self.sb is not None
        return int(self.sb.value("SELECT count(*) FROM engine_result") or 0)

    def twice(self) -> int:
        assert self.sb is not None
        return int(
            self.sb.value(
                "SELECT count(*) FROM (SELECT run_key, subject, subject_id FROM engine_result "
                "GROUP BY run_key, subject, subject_id HAVING count(*) > 1) AS t"
            )
            or 0
        )

    def generic(self, key: str) -> str:
        return key.replace(self.day.isoformat(), "*")
