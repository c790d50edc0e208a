"""Kind ``roster``: monthly roster generation killed while it writes.

The driver (``bench/faults/roster_pass.py``) generates a quarter of 低保 rosters for each
county, one ``roster_generate`` transaction per county and month, on a population where
every household with a head has an active enrolment. A trial's period is the quarter.
Each roster must hold every payee once (no partial roster), its header must match its
lines, and no payee is paid twice in a month.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bench.faults import data
from bench.faults.kinds.passes import PassKind
from bench.faults.registry import Damage
from bench.faults.sandbox import Backend

FIRST_QUARTER = dt.date(2024, 7, 1)
MONTHS = 3
ENROL = """
import datetime as dt
from minzheng.assistance.models import Enrolment
from minzheng.divisions.models import Division
from minzheng.registry.models import Household
county = {}
rows = []
for pk, head, code in Household.objects.filter(head__isnull=False).values_list(
        "pk", "head_id", "hukou_division__code"):
    c = county.setdefault(code[:6], Division.objects.current().get(code=code[:6].ljust(12, "0")))
    rows.append(Enrolment(programme="dibao", household_id=pk, payee_id=head, division=c,
                          amount_fen=50000 + (pk % 997) * 100, valid_from=dt.date(2024, 1, 1)))
Enrolment.objects.bulk_create(rows, batch_size=5000)
"""


def after(first: dt.date, months: int = MONTHS) -> dt.date:
    """The first day of the month ``months`` after ``first``."""
    n = first.month - 1 + months
    return dt.date(first.year + n // 12, n % 12 + 1, 1)


class RosterKind(PassKind):
    name = "roster"
    script = Path(__file__).resolve().parents[1] / "roster_pass.py"

    def __init__(self, backend: Backend, persons: int) -> None:
        super().__init__(backend)
        self.persons = persons

    def template(self) -> str:
        population = data.population(self.backend, self.persons)
        name = f"enrolled{self.persons}"
        self.backend.template(name, lambda sb: sb.django(ENROL), base=population)
        return name

    def period(self, trial: int) -> dt.date:
        return after(FIRST_QUARTER, MONTHS * (1 + trial // 2))

    def argv(self, period: dt.date) -> list[str]:
        return [f"--first={period}", f"--months={MONTHS}", f"--counties={','.join(data.COUNTIES)}"]

    def rows(self, period: dt.date) -> dict[str, int]:
        assert self.sb is not None
        out = {}
        for code, month, n in self.sb.rows(
            "SELECT d.code, r.month, count(p.id) FROM assistance_roster r "
            "JOIN divisions_division d ON d.id = r.division_id "
            "LEFT JOIN assistance_payment p ON p.roster_id = r.id AND p.kind = 'regular' "
            "WHERE r.month >= ? AND r.month < ? GROUP BY d.code, r.month",
            (period.isoformat(), after(period).isoformat()),
        ):
            month = month if isinstance(month, dt.date) else dt.date.fromisoformat(month)
            out[f"dibao:{code[:6]}:{month:%Y-%m}"] = n
        return out

    def total(self) -> int:
        assert self.sb is not None
        return int(self.sb.value("SELECT count(*) FROM assistance_payment") or 0)

    def twice(self) -> int:
        assert self.sb is not None
        return int(
            self.sb.value(
                "SELECT count(*) FROM (SELECT payee_id FROM assistance_payment "
                "GROUP BY payee_id, programme, month, kind HAVING count(*) > 1) AS t"
            )
            or 0
        )

    def generic(self, key: str) -> str:
        """``dibao:<county>:+<n>``: the n-th month of the quarter."""
        programme, county, month = key.split(":")
        y, m = map(int, month.split("-"))
        return f"{programme}:{county}:+{(y * 12 + m - 1) % MONTHS}"

    def consistency(self) -> Damage:
        """A roster's header (rows, total) says what its payment lines hold."""
        assert self.sb is not None
        off = self.sb.value(
            "SELECT count(*) FROM assistance_roster r WHERE r.rows <> (SELECT count(*) "
            "FROM assistance_payment p WHERE p.roster_id = r.id) OR r.total_fen <> "
            "(SELECT coalesce(sum(p.amount_fen), 0) FROM assistance_payment p "
            "WHERE p.roster_id = r.id)"
        )
        d = Damage(half_written=int(off or 0))
        if off:
            d.note(f"{off} roster(s) whose header does not match their lines")
        return d
