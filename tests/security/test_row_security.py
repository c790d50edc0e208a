"""Row-level security on PostgreSQL (ADR 005): the database alone keeps jurisdictions apart.

The tests run as the app role (``SET LOCAL ROLE``: no superuser, no BYPASSRLS) and, where
it matters, with the application's scoping filter switched off: the isolation probes of
test_isolation.py must find nothing and the owners must still see their own. A superuser
would bypass every policy, which the control test shows. SQLite has no row-level security.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
import pytest
from django.db import connection, connections, transaction
from django.db.utils import ProgrammingError

from minzheng.accounts import rls, scope
from minzheng.accounts.scope import EVERYTHING
from minzheng.registry import services
from minzheng.registry.models import Household, Person
from tests.security.test_isolation import positive_controls, run_probes

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-level security is PostgreSQL's; SQLite has none"
)
REFUSED = "row-level security"


def _whoami() -> tuple[str, bool, bool]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        return cur.fetchone()


def _counts() -> dict[str, int]:
    with connection.cursor() as cur:
        out = {}
        for table in rls.PROTECTED:
            cur.execute(f'SELECT count(*) FROM "{table}"')
            out[table] = cur.fetchone()[0]
        return out


@pytest.fixture
def orphan(world) -> Person:  # type: ignore[no-untyped-def]
    """A person with no division (the data-quality queue): national users only."""
    return Person.objects.create(name="无籍", name_key="无籍", hukou_division=None)


def test_the_app_role_is_bound_by_every_policy(world, app_role):
    assert _whoami() == (app_role, False, False)
    with connection.cursor() as cur:
        for table in rls.PROTECTED:
            cur.execute(
                "SELECT row_security_active(%s), relforcerowsecurity, "
                "(SELECT count(*) FROM pg_policies WHERE tablename = %s AND policyname = %s) "
                "FROM pg_class WHERE oid = %s::regclass",
                [table, table, rls.POLICY, table],
            )
            assert cur.fetchone() == (True, True, 1), table


def test_no_route_leaks_with_the_app_filter_off(world, app_role, client, monkeypatch, capsys):
    """The isolation probes, the scoping filter disabled: the policies alone hold."""
    monkeypatch.setattr(scope, "division_filter", lambda s, *fields: None)
    result = run_probes(world, client)
    controls = positive_controls(world, client)
    with capsys.disabled():
        print(f"\nrow security: {result.probes} probes as {app_role}, {controls} positive controls")
    assert result.leaks == [], "\n".join(result.leaks)
    assert result.probes >= 40 and controls >= 16


def test_a_superuser_bypasses_the_policies(world, client, monkeypatch):
    """The control: as the superuser the same probes leak, so the role above is what holds."""
    assert _whoami()[1] is True
    monkeypatch.setattr(scope, "division_filter", lambda s, *fields: None)
    assert len(run_probes(world, client).leaks) >= 10


def test_unset_scope_means_no_rows(world, app_role):
    assert set(_counts().values()) == {0}
    assert Person.objects.count() == Household.objects.count() == 0
    with rls.acting(EVERYTHING):
        inside = _counts()
    assert inside["registry_person"] == 9 and inside["registry_income"] == 0
    assert set(_counts().values()) == {0}, "leaving the block must take the scope back"


def test_administrators_see_nothing_national_users_everything(world, orphan, app_role):
    u = world.users
    with rls.acting_as(u["admin"]):
        assert Person.objects.count() == 0
    with rls.acting_as(u["nation"]):
        assert set(Person.objects.values_list("pk", flat=True)) >= {orphan.pk}
        assert Person.objects.count() == 10
    with rls.acting_as(u["county1"]):
        names = set(Person.objects.values_list("name", flat=True))
    assert "无籍" not in names and "乙一" not in names and {"甲一", "丙一", "迁一"} <= names
    with rls.acting_as(u["town2"]):
        assert set(Household.objects.values_list("ref", flat=True)) == {"T2-HH"}


def test_a_request_scope_follows_its_user(world, app_role):
    """API tokens are read inside the view: the scope follows ``request.user`` as it changes."""

    class Request:
        user: Any = None

    request = Request()
    with rls.acting_for(request):
        assert Household.objects.count() == 0
        request.user = world.users["county2"]
        assert set(Household.objects.values_list("ref", flat=True)) == {"Y1-HH", "MV-HH"}
        request.user = world.users["town1"]
        assert set(Household.objects.values_list("ref", flat=True)) == {"T1-HH", "MV-HH"}


def test_doctor_tells_a_bypassing_role_from_a_bound_one(world):
    ok, message, _ = rls.role_check()
    assert not ok and "bypasses" in message  # the test suite's superuser


def test_doctor_passes_the_app_role(world, app_role):
    ok, message, _ = rls.role_check()
    assert ok and app_role in message


def test_with_check_refuses_rows_outside_the_county(world, app_role, division):
    county1, y1, t1 = world.users["county1"], world.households["y1"], world.households["t1"]
    with rls.acting_as(county1):
        services.household_register(
            actor=county1, ref="OK-HH", hukou_division=division("440106001")
        )
        with pytest.raises(ProgrammingError, match=REFUSED):
            services.household_register(
                actor=county1, ref="OUT-HH", hukou_division=division("440104003")
            )
        with pytest.raises(ProgrammingError, match=REFUSED), transaction.atomic():
            Household.objects.filter(pk=t1.pk).update(  # moving its own row out
                hukou_division=division("440104003"), residence_division=division("440104003")
            )
        assert Household.objects.filter(pk=y1.pk).update(address="改") == 0  # invisible
    with rls.acting(EVERYTHING):
        assert set(Household.objects.filter(ref__endswith="-HH").values_list("ref", flat=True)) == {
            "OK-HH",
            "T1-HH",
            "Y1-HH",
            "T2-HH",
            "MV-HH",
        }
        assert Household.objects.get(pk=y1.pk).address == y1.address


def test_copy_goes_through_a_stage_so_the_policy_judges_each_row(world, app_role, division):
    now = dt.datetime.now(dt.UTC)
    cols = ["ref", "uid", "hukou_division_id", "residence_division_id", "address"]
    cols += ["needs_review", "review_note", "created_at", "updated_at"]

    def row(ref: str, code: str) -> tuple[Any, ...]:
        pk = division(code).pk
        return (ref, f"00000000-0000-0000-0000-{len(ref):012d}", pk, pk, "", False, "", now, now)

    with rls.acting_as(world.users["county1"]), connection.cursor() as cur:
        rls.copy_rows(cur, "registry_household", cols, [row("C1", "440106001")])
        assert Household.objects.filter(ref="C1").exists()
        with pytest.raises(ProgrammingError, match=REFUSED), transaction.atomic():
            rls.copy_rows(cur, "registry_household", cols, [row("C22", "440104003")])


def test_snapshots_read_in_the_acting_scope(world, app_role):
    from minzheng.engine.snapshot import snapshot_take

    on = dt.date(2024, 6, 1)
    with rls.acting_as(world.users["county2"]):
        snap = snapshot_take(on=on, via="connection", tables=["household", "person"])
    refs = set(snap.tables["household"].column("ref").to_pylist())
    assert refs == {"Y1-HH", "MV-HH"} and snap.tables["person"].num_rows == 4
    empty = snapshot_take(on=on, via="connection", tables=["household"])
    assert empty.tables["household"].num_rows == 0


def test_requests_run_in_one_transaction():
    assert connections["default"].settings_dict["ATOMIC_REQUESTS"] is True


@pytest.fixture
def committed(pg_roles, db):  # type: ignore[no-untyped-def]
    """A one-person household committed by the superuser, for other sessions to log in and read.

    (``db`` only orders these tests before transactional ones, which empty every table.)
    """
    d = connection.settings_dict
    params = {"host": d["HOST"], "port": d["PORT"] or 5432, "dbname": d["NAME"], "user": d["USER"]}
    with psycopg.connect(**params, autocommit=True) as admin:
        div = admin.execute(
            "SELECT id FROM divisions_division WHERE code = '440106000000' AND valid_to IS NULL"
        ).fetchone()[0]
        hh = admin.execute(
            "INSERT INTO registry_household (uid, ref, hukou_division_id, residence_division_id, "
            "address, needs_review, review_note, created_at, updated_at) VALUES "
            "(gen_random_uuid(), 'BATCH-HH', %s, %s, '', false, '', now(), now()) RETURNING id",
            [div, div],
        ).fetchone()[0]
        person = admin.execute(
            "INSERT INTO registry_person (uid, name, name_key, pinyin, initials, id_status, sex, "
            "hukou_division_id, residence_division_id, household_id, relationship, phone, "
            "created_at, updated_at) VALUES (gen_random_uuid(), '批量', '批量', '', '', 'missing', "
            "'0', %s, %s, %s, '02', '', now(), now()) RETURNING id",
            [div, div, hh],
        ).fetchone()[0]
        admin.execute(
            "INSERT INTO registry_membership (person_id, household_id, relationship, valid_from) "
            "VALUES (%s, %s, '02', '2000-01-01')",
            [person, hh],
        )
        try:
            yield params
        finally:
            admin.execute("DELETE FROM registry_membership WHERE household_id = %s", [hh])
            admin.execute("DELETE FROM registry_person WHERE id = %s", [person])
            admin.execute("DELETE FROM registry_household WHERE id = %s", [hh])


def test_logged_in_roles_batch_reads_all_app_reads_its_scope(pg_roles, committed):
    count = "SELECT count(*) FROM registry_household WHERE ref = 'BATCH-HH'"
    with psycopg.connect(**{**committed, "user": pg_roles.batch}) as batch:
        assert batch.execute("SHOW minzheng.scope").fetchone()[0] == "all"
        assert batch.execute(count).fetchone()[0] == 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            batch.execute("DELETE FROM registry_household WHERE ref = 'BATCH-HH'")
    with psycopg.connect(**{**committed, "user": pg_roles.app}) as app:
        assert app.execute(count).fetchone()[0] == 0
        app.execute(rls.set_config_sql("440104000000-440104999999"))
        assert app.execute(count).fetchone()[0] == 0
        app.execute(rls.set_config_sql("440106000000-440106999999"))
        assert app.execute(count).fetchone()[0] == 1
        app.rollback()
        assert app.execute(count).fetchone()[0] == 0, "SET LOCAL ends with the transaction"


def test_adbc_snapshots_read_as_batch_or_in_a_scope_never_blind(pg_roles, committed):
    from minzheng.engine.errors import EngineError
    from minzheng.engine.snapshot import snapshot_adbc

    s = {"NAME": committed["dbname"], "HOST": committed["host"], "PORT": committed["port"]}
    on = dt.date.today()

    def refs(user: str, scope: str | None = None) -> set[str]:
        snap = snapshot_adbc(
            on=on,
            vendor="postgresql",
            settings={**s, "USER": user},
            scope=scope,
            tables=["household"],
        )
        return set(snap.tables["household"].column("ref").to_pylist())

    assert refs(pg_roles.batch) == {"BATCH-HH"}
    assert refs(pg_roles.app, "440106000000-440106999999") == {"BATCH-HH"}
    assert refs(pg_roles.app, "440104000000-440104999999") == set()
    with pytest.raises(EngineError, match="hide every row"):
        refs(pg_roles.app)


def test_a_job_writes_only_inside_its_actors_county(world, app_role):
    from minzheng.jobs.models import Job
    from minzheng.jobs.runner import run_job
    from tests.security.tasks import register_household

    def run(pk: str, code: str) -> str:
        Job.objects.create(
            id=pk,
            task_path=register_household.module_path,
            args=[pk, code],
            actor=world.users["county1"],
        )
        return run_job(pk)

    assert run("job-in", "440106001") == "SUCCESSFUL"
    assert run("job-out", "440104003") == "FAILED"
    assert REFUSED in Job.objects.get(pk="job-out").message


def test_a_cli_import_as_a_county_user_writes_only_its_county(
    world, app_role, tmp_path, monkeypatch
):
    from click.testing import CliRunner

    from minzheng.cli import main
    from minzheng.registry.importing.validate import ImportScope
    from tests.conftest import ids
    from tests.registry.sheets import row, write_csv

    # The application's own check off: only the database stands in the way.
    monkeypatch.setattr(ImportScope, "for_actor", classmethod(lambda cls, actor: cls()))
    a, b = ids(2, year=1975)

    def run(name: str, rows: list[dict[str, str]]) -> Any:
        path = str(write_csv(tmp_path / name, rows))
        return CliRunner().invoke(main, ["import", "registry", path, "--as", "county1"])

    inside = run("in.csv", [row("CLI-IN", "本区", a, hukou="440106001")])
    assert inside.exit_code == 0, inside.output
    outside = run("out.csv", [row("CLI-OUT", "外区", b, hukou="440104003")])
    assert outside.exit_code != 0 and REFUSED in str(outside.exception)
    with rls.acting(EVERYTHING):
        assert set(
            Household.objects.filter(ref__startswith="CLI-").values_list("ref", flat=True)
        ) == {"CLI-IN"}
