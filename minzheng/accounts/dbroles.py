"""PostgreSQL roles for row-level security (ADR 005): owner, app and batch.

* **owner** — owns the schema and every table, runs ``migrate`` (``MIGRATE_DATABASE_URL``),
  backups and restores; ``BYPASSRLS`` and ``CREATEDB`` (a backup is verified by restoring
  it into a scratch database); never used by the running application.
* **app** — what the web server, worker and CLI connect as (``DATABASE_URL``): data
  manipulation only, no ownership, ``NOBYPASSRLS``, bound by every policy.
* **batch** — feeds the engine's nightly pass (``BATCH_DATABASE_URL``): ``SELECT`` on the
  division table and the protected tables only; its scope is *everything*, set on the role
  (``ALTER ROLE … SET minzheng.scope = 'all'``), so it reads every row and writes none.

:func:`roles_sql` is the statements (pure, idempotent; ``deploy/postgres-roles.sql`` is its
output); :func:`roles_create` runs them as a superuser, with passwords.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from minzheng.accounts.rls import DIVISIONS, PROTECTED, SETTING

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Roles:
    owner: str = "minzheng_owner"
    app: str = "minzheng_app"
    batch: str = "minzheng_batch"

    def __post_init__(self) -> None:
        names = list(asdict(self).values())
        bad = [n for n in names if not _NAME.match(n)]
        if bad:
            raise ValueError(f"role names must be lower-case identifiers: {bad}")
        if len(set(names)) != 3:
            raise ValueError(f"owner, app and batch must be three roles: {names}")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _adopt(owner: str, schema: str) -> str:
    """A DO block giving ``owner`` the schema's tables, views, free sequences and functions."""
    return f"""DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.oid::regclass AS obj, c.relkind FROM pg_class c
      WHERE c.relnamespace = '{schema}'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
        AND pg_get_userbyid(c.relowner) <> '{owner}'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                        AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I',
      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                     WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.obj, '{owner}');
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS obj FROM pg_proc p
      WHERE p.pronamespace = '{schema}'::regnamespace AND pg_get_userbyid(p.proowner) <> '{owner}'
  LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.obj, '{owner}');
  END LOOP;
END $$"""


def _batch_grants(batch: str, schema: str) -> str:
    tables = ", ".join(f"'{t}'" for t in [DIVISIONS, *PROTECTED])
    return f"""DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[{tables}] LOOP
    IF to_regclass(format('%I.%I', '{schema}', t)) IS NOT NULL THEN
      EXECUTE format('GRANT SELECT ON %I.%I TO %I', '{schema}', t, '{batch}');
    END IF;
  END LOOP;
END $$"""


def roles_sql(roles: Roles, *, database: str, schema: str = "public") -> list[str]:
    """Statements that create or update the three roles and their grants (idempotent).

    Run them before the first ``migrate`` and again after every upgrade: the batch role's
    grants cover the protected tables that exist when they run.
    """
    if not _NAME.match(schema):
        raise ValueError(f"schema must be a lower-case identifier: {schema}")
    o, a, b = _ident(roles.owner), _ident(roles.app), _ident(roles.batch)
    db, s = _ident(database), _ident(schema)
    base = "LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION"
    out = [
        f"DO $$ BEGIN CREATE ROLE {r}; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        for r in (o, a, b)
    ]
    out += [
        # CREATEDB: `minzheng backup` verifies each dump by restoring it into a scratch database.
        f"ALTER ROLE {o} WITH {base} CREATEDB BYPASSRLS",
        f"ALTER ROLE {a} WITH {base} NOCREATEDB NOBYPASSRLS",
        f"ALTER ROLE {b} WITH {base} NOCREATEDB NOBYPASSRLS",
        f"ALTER ROLE {a} IN DATABASE {db} RESET {SETTING}",
        f"ALTER ROLE {b} IN DATABASE {db} SET {SETTING} = 'all'",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {o}, {a}, {b}",
        f"ALTER SCHEMA {s} OWNER TO {o}",
        f"REVOKE CREATE ON SCHEMA {s} FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA {s} TO {a}, {b}",
        _adopt(roles.owner, schema),
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {a}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {a}",
        _batch_grants(roles.batch, schema),
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {a}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {a}",
    ]
    return out


def roles_create(
    cursor: Any,
    roles: Roles,
    *,
    passwords: Mapping[str, str] | None = None,
    schema: str = "public",
) -> list[str]:
    """Run :func:`roles_sql` on ``cursor``'s database (a superuser's); returns the statements.

    Refuses to touch a role that is a superuser: pointing ``DATABASE_URL`` at ``postgres``
    and then demoting it would lock the operator out.
    """
    from psycopg import sql

    names = list(asdict(roles).values())
    cursor.execute("SELECT rolname FROM pg_roles WHERE rolsuper AND rolname = ANY(%s)", [names])
    supers = [r[0] for r in cursor.fetchall()]
    if supers:
        raise ValueError(f"refusing to change superuser role(s) {supers}: choose other names")
    cursor.execute("SELECT current_database()")
    statements = roles_sql(roles, database=cursor.fetchone()[0], schema=schema)
    for statement in statements:
        cursor.execute(statement)
    for role, password in (passwords or {}).items():
        if role not in names:
            raise ValueError(f"a password for {role}, which is none of {names}")
        q = sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password))
        cursor.execute(q.as_string())
    return statements


def roles_from_settings() -> tuple[Roles, dict[str, str]]:
    """Role names and passwords from ``DATABASE_URL``, ``MIGRATE_DATABASE_URL`` and
    ``BATCH_DATABASE_URL`` (defaults where one is not set)."""
    from django.conf import settings

    dbs = settings.DATABASES
    wanted = {"owner": "owner", "app": "default", "batch": "batch"}
    names: dict[str, str] = {}
    passwords: dict[str, str] = {}
    for kind, alias in wanted.items():
        conf = dbs.get(alias) or {}
        names[kind] = conf.get("USER") or getattr(Roles, kind)
        if conf.get("PASSWORD"):
            passwords[names[kind]] = conf["PASSWORD"]
    return Roles(**names), passwords


def roles_command(*, admin_url: str, execute: bool = True) -> list[str]:
    """``minzheng db roles``: create or update the configured roles through ``admin_url``.

    With ``execute=False`` only returns the statements (passwords are never printed).
    """
    import psycopg

    roles, passwords = roles_from_settings()
    if not execute:
        from django.conf import settings

        return roles_sql(roles, database=settings.DATABASES["default"]["NAME"])
    with psycopg.connect(admin_url, autocommit=False) as conn, conn.cursor() as cur:
        return roles_create(cur, roles, passwords=passwords)


def roles_file() -> str:
    """``deploy/postgres-roles.sql``: :func:`roles_sql` for the default names, for ``psql``."""
    head = (
        "-- Minzheng PostgreSQL roles (ADR 005). Generated by minzheng.accounts.dbroles.roles_file();\n"
        "-- do not edit. Run as a superuser before the first migrate and after every upgrade:\n"
        "--   psql -v ON_ERROR_STOP=1 -d minzheng -f deploy/postgres-roles.sql\n"
        "-- then give each role a password (\\password minzheng_app …), or instead run\n"
        "--   minzheng db roles --admin-url postgres://postgres@/minzheng\n"
        "-- which takes names and passwords from DATABASE_URL, MIGRATE_DATABASE_URL, BATCH_DATABASE_URL.\n"
    )
    return head + "".join(f"\n{s};\n" for s in roles_sql(Roles(), database="minzheng"))
