"""Row-level security on the monitoring tables (PostgreSQL): the database keeps counties apart.

Runs as the app role (no superuser, no BYPASSRLS); the importer's own jurisdiction check is
switched off where it matters, so only the policies stand in the way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from click.testing import CliRunner
from django.db import connection

from minzheng.accounts import rls
from minzheng.accounts.scope import EVERYTHING
from minzheng.cli import main
from minzheng.monitoring.feeds.importing import feed_import
from minzheng.monitoring.models import ClericalPair, FeedRecord, LayerMembership
from minzheng.registry.importing.validate import ImportScope
from tests.conftest import ids
from tests.monitoring.feeds import medical, write_csv

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-level security is PostgreSQL's; SQLite has none"
)
REFUSED = "row-level security"


def test_the_monitoring_tables_are_bound(world, app_role):
    with connection.cursor() as cur:
        for table in (
            "monitoring_feedrecord",
            "monitoring_clericalpair",
            "monitoring_layermembership",
        ):
            cur.execute("SELECT row_security_active(%s)", [table])
            assert cur.fetchone() == (True,), table


def test_records_pairs_and_layers_are_seen_in_their_county(world, app_role, tmp_path):
    u = world.users
    a, b, c = ids(3, year=1970)
    data = [
        medical("R1", a, division="440106001"),
        medical("R2", b, division="440104003"),
        medical("R3", c, division="449999"),  # no such division: national scope only
    ]
    with rls.acting_as(u["nation"]):
        r = feed_import(kind="medical", path=write_csv(tmp_path / "m.csv", data), actor=u["nation"])
        assert r.created == 3
        for rec in FeedRecord.objects.all():
            ClericalPair.objects.create(
                feed_record=rec, person=world.persons["t1"][0], match_probability=0.7
            )
        for key in ("t1", "y1"):
            LayerMembership.objects.create(
                person=world.persons[key][0],
                layer="dibao",
                valid_from=dt.date(2024, 1, 1),
                source="rule",
            )
    with rls.acting_as(u["county1"]):
        assert list(FeedRecord.objects.values_list("source_key", flat=True)) == ["R1"]
        assert ClericalPair.objects.count() == 1
        assert set(LayerMembership.objects.values_list("person__name", flat=True)) == {"甲一"}
    with rls.acting_as(u["county2"]):
        assert list(FeedRecord.objects.values_list("source_key", flat=True)) == ["R2"]
    with rls.acting(EVERYTHING):
        assert FeedRecord.objects.count() == 3 and ClericalPair.objects.count() == 3
    assert FeedRecord.objects.count() == 0  # outside any acting context: nothing


def test_a_county_import_cannot_write_another_countys_records(
    world, app_role, tmp_path, monkeypatch
):
    # The application's own check off: only the database stands in the way.
    monkeypatch.setattr(ImportScope, "for_actor", classmethod(lambda cls, actor: cls()))
    a, b = ids(2, year=1975)

    def run(name: str, rows: list[dict[str, str]]) -> Any:
        path = str(write_csv(tmp_path / name, rows))
        return CliRunner().invoke(main, ["import", "feed", "medical", path, "--as", "county1"])

    inside = run("in.csv", [medical("CLI-IN", a, division="440106001")])
    assert inside.exit_code == 0, inside.output
    outside = run("out.csv", [medical("CLI-OUT", b, division="440104003")])
    assert outside.exit_code != 0 and REFUSED in str(outside.exception)
    with rls.acting(EVERYTHING):
        assert set(FeedRecord.objects.values_list("source_key", flat=True)) == {"CLI-IN"}


def test_a_key_another_county_imported_is_refused_by_row(world, app_role, tmp_path):
    """The county cannot see the other record; the unique index alone tells, row by row."""
    u = world.users
    a, b = ids(2, year=1976)
    with rls.acting_as(u["nation"]):
        path = write_csv(tmp_path / "a.csv", [medical("K1", a, division="440104003")])
        feed_import(kind="medical", path=path, actor=u["nation"])
    rows = [medical("K1", a, division="440106001"), medical("K2", b, division="440106001")]
    with rls.acting_as(u["county1"]):
        r = feed_import(
            kind="medical", path=write_csv(tmp_path / "b.csv", rows), actor=u["county1"]
        )
        assert (r.created, r.rejected) == (1, 1) and r.as_dict()["errors"][0]["row"] == 2
        assert "其他地区" in r.as_dict()["errors"][0]["reason"]
    with rls.acting(EVERYTHING):
        assert dict(FeedRecord.objects.values_list("source_key", "division_code")) == {
            "K1": "440104003000",
            "K2": "440106001000",
        }
