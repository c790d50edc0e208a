"""The short fault campaign (issue #8): kill -9 mid-work, PostgreSQL restarts, a full disk.

Every kind runs in throwaway directories and databases (``bench/faults``), never in the
test database. The job kinds — import, engine pass (standing in for the monitoring pass),
roster generation, web server — are each killed mid-work at least 3 times, on the
database of this test run: SQLite, or with ``DATABASE_URL=postgres://…`` databases named
after it on that server. The PostgreSQL restarts need a private cluster (binaries, a
non-root owner) and the full disk a tmpfs (root); without them those tests are skipped
and say why. The full campaign (20 kills per kind) is ``bench/fault_campaign.py``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from bench.faults import report
from bench.faults.campaign import Campaign, Plan, why_not
from bench.faults.core import Summary

pytestmark = pytest.mark.slow

URL = os.environ.get("DATABASE_URL", "")
DB = "postgresql" if URL.startswith("postgres") else "sqlite"


@pytest.fixture(scope="module")
def campaign() -> Iterator[Campaign]:
    """One campaign for the module: templates are built once, everything removed after."""
    with Campaign(Plan.short(dbs=(DB,), pg_url=URL if DB == "postgresql" else ""), log=print) as c:
        yield c


def figures(s: Summary) -> dict[str, Any]:
    """The kind's JSON line, as ``bench/fault_campaign.py`` prints it."""
    got = json.loads(json.dumps(s.as_dict(), ensure_ascii=False))
    assert not got["error"], report.details(s)
    assert (got["rows_lost"], got["duplicates"], got["half_written"]) == (0, 0, 0), (
        report.table([s]) + "\n" + report.details(s)
    )
    return got


@pytest.mark.parametrize("kind", ["import", "engine", "roster", "web"])
def test_kill_9_loses_nothing_and_duplicates_nothing(campaign: Campaign, kind: str) -> None:
    # given a job killed with SIGKILL after its first commit, mid-way and near the end
    got = figures(campaign.kind(kind, DB))
    # then it was killed mid-work 3 times (kills after its end do not count), and its
    # re-runs left every row once
    assert got["faults"] >= 3, got
    assert set(got["kill_points"]) == {"after first commit", "mid-way", "near the end"}, got


def test_postgres_restart_under_load_recovers_without_restarting_the_app(
    campaign: Campaign,
) -> None:
    if reason := why_not("postgres", "", campaign.plan):
        pytest.skip(reason)
    # given the app under load while PostgreSQL stops (fast, immediate, idle) and restarts
    got = figures(campaign.kind("postgres"))
    # then no edit is half there, nothing hangs, /healthz says 503 and no page shows a
    # traceback while it is down, and pages come back after every restart
    assert got["faults"] == 3 and got["hangs"] == 0, got
    assert not any("/healthz answered" in f for f in got["findings"]), got
    assert not any("traceback" in f for f in got["findings"]), got
    assert not any("no household page" in f for f in got["findings"]), got
    assert not any("restarted" in f for f in got["findings"]), got


def test_full_disk_fails_the_import_and_leaves_no_half_written_household(
    campaign: Campaign,
) -> None:
    if reason := why_not("disk", "", campaign.plan):
        pytest.skip(reason)
    # given an import into a data directory (tmpfs) too small for it
    got = figures(campaign.kind("disk"))
    # then it fails, keeps only whole households, and completes once space is freed
    assert got["faults"] >= 1, got
    assert not any("did not run out" in f for f in got["findings"]), got
    assert not any("could not take an edit" in f for f in got["findings"]), got
