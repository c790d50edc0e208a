"""Row-level security as text (ADR 005): the protected list, the policy SQL and the roles
script. Pure, so these run on SQLite too; the database tests are in test_row_security.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

from minzheng.accounts import rls
from minzheng.accounts.dbroles import Roles, roles_file, roles_sql
from minzheng.accounts.scope import EVERYTHING, NOTHING, Scope

DEPLOY_SQL = Path(__file__).resolve().parents[2] / "deploy" / "postgres-roles.sql"

# Tables that point at personal data but are not personal data themselves, and why.
NOT_PERSONAL = {
    "registry_importbatch": "who imported which file (the rows' contents are in the report)",
}


def _tables() -> dict[str, type[models.Model]]:
    return {m._meta.db_table: m for m in apps.get_models()}


def test_every_protected_table_is_a_model_and_its_path_leads_to_a_division():
    tables = _tables()
    for table, path in rls.PROTECTED.items():
        fields = {f.column: f for f in tables[table]._meta.concrete_fields}
        if path.parent:
            column, parent = path.parent
            assert parent in rls.PROTECTED, (table, parent)
            assert fields[column].related_model._meta.db_table == parent, table
        else:
            for column in path.columns:
                assert fields[column].related_model._meta.db_table == rls.DIVISIONS, table


def test_a_table_pointing_at_personal_data_is_protected_or_says_why_not():
    """A new table with a foreign key to a protected one needs a line in PROTECTED."""
    missing = []
    for table, model in _tables().items():
        for f in model._meta.concrete_fields:
            target = f.related_model._meta.db_table if f.is_relation and f.related_model else None
            if target in rls.PROTECTED and table not in rls.PROTECTED | NOT_PERSONAL:
                missing.append(f"{table}.{f.column} → {target}")
    assert missing == [], "add them to minzheng.accounts.rls.PROTECTED: " + ", ".join(missing)


def test_the_scope_travels_as_one_setting():
    assert rls.setting_of(NOTHING) == ""
    assert rls.setting_of(EVERYTHING) == "all"
    assert rls.setting_of(Scope(prefix="440106")) == "440106000000-440106999999"
    with pytest.raises(ValueError):
        rls.set_config_sql("all' OR true --")


def test_policies_use_the_division_code_range_or_the_parent_row():
    person = rls.predicate("registry_person")
    assert "d.code BETWEEN split_part" in person and "residence_division_id" in person
    income = rls.predicate("registry_income")
    assert 'FROM "registry_person" p WHERE p.id = "registry_income"."person_id"' in income
    create = rls.protect_sql(["registry_asset"])
    assert "FORCE ROW LEVEL SECURITY" in create[1] and "WITH CHECK" in create[-1]
    with pytest.raises(ValueError, match="PROTECTED"):
        rls.ProtectTables("assistance_case_not_listed")


def test_the_roles_script_in_deploy_is_generated():
    assert DEPLOY_SQL.read_text(encoding="utf-8") == roles_file(), (
        "regenerate: python -m minzheng.manage shell -v 0 -c 'from minzheng.accounts.dbroles "
        'import roles_file; print(roles_file(), end="")\' > deploy/postgres-roles.sql'
    )


def test_roles_are_three_distinct_identifiers():
    sql = "\n".join(roles_sql(Roles(), database="minzheng"))
    assert (
        '"minzheng_owner" WITH LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION CREATEDB BYPASSRLS'
        in sql
    )
    assert 'ALTER ROLE "minzheng_batch" IN DATABASE "minzheng" SET minzheng.scope = \'all\'' in sql
    with pytest.raises(ValueError):
        Roles(owner="x", app="x", batch="y")
    with pytest.raises(ValueError):
        Roles(app='app"; DROP TABLE x; --')
