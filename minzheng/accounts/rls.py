"""Row-level security: PostgreSQL enforces the jurisdiction too (defence in depth, ADR 005).

:mod:`minzheng.accounts.scope` decides what an actor may see; this module carries the same
decision into PostgreSQL as one transaction-local setting, ``minzheng.scope``:

* ``''`` (or unset) — nothing; ``'all'`` — every row, including rows with no division;
* ``'440106000000-440106999999'`` — rows whose division code lies in that range.

Every table in :data:`PROTECTED` has a policy that tests it (``FORCE ROW LEVEL SECURITY``,
so the table owner is bound too unless it has ``BYPASSRLS``). Code acts for someone
inside :func:`acting` / :func:`acting_as` / :func:`acting_for` — the request middleware,
the job runner and the CLI — and an execute wrapper puts that scope into each transaction
with ``set_config(…, true)`` before its first statement. Outside any acting context the
setting stays empty: the app role reads and writes no personal data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.operations.base import Operation

from minzheng.accounts.scope import EVERYTHING, Scope, scope_of

SETTING = "minzheng.scope"
POLICY = "minzheng_scope"
DIVISIONS = "divisions_division"


@dataclass(frozen=True)
class Path:
    """How a row of a protected table reaches a division."""

    columns: tuple[str, ...] = ()  # its own division foreign keys (any one in scope)
    parent: tuple[str, str] | None = None  # or (foreign key, protected table it points to)


def divisions(*columns: str) -> Path:
    """The row carries its divisions: visible when any of ``columns`` lies in scope."""
    return Path(columns=columns)


def through(column: str, table: str) -> Path:
    """The row belongs to a row of ``table`` (itself protected): visible when that one is."""
    return Path(parent=(column, table))


# Every table of personal data and its way to a division. A new table adds one line here
# and a migration with ``ProtectTables("<table>")``. The audit trail is not on the list:
# it holds no personal data beyond ids, and only the audit administrator reads it.
PROTECTED: dict[str, Path] = {
    "registry_household": divisions("hukou_division_id", "residence_division_id"),
    "registry_person": divisions("hukou_division_id", "residence_division_id"),
    "registry_membership": through("person_id", "registry_person"),
    "registry_location": through("person_id", "registry_person"),
    "registry_condition": through("person_id", "registry_person"),
    "registry_income": through("person_id", "registry_person"),
    "registry_asset": through("household_id", "registry_household"),
    # Social assistance: a case is seen by the township that received it and the county
    # that decides it; its events, papers, visits and objections go with it.
    "assistance_case": divisions("received_division_id", "responsible_division_id"),
    "assistance_caseevent": through("case_id", "assistance_case"),
    "assistance_attachment": through("case_id", "assistance_case"),
    "assistance_homevisit": through("case_id", "assistance_case"),
    "assistance_objection": through("case_id", "assistance_case"),
    "assistance_enrolment": divisions("division_id"),
    "assistance_enrolmentchange": through("enrolment_id", "assistance_enrolment"),
    "assistance_payment": through("enrolment_id", "assistance_enrolment"),
    # Monitoring: a department's record is seen where its row's division lies (a code that
    # resolves to no division leaves it to national scope); pairs go with their record,
    # layers with their person.
    "monitoring_feedrecord": divisions("division_id"),
    "monitoring_clericalpair": through("feed_record_id", "monitoring_feedrecord"),
    "monitoring_layermembership": through("person_id", "registry_person"),
    "monitoring_alert": divisions("division_id"),
    "monitoring_alertevent": through("alert_id", "monitoring_alert"),
    "monitoring_discovery": divisions("division_id"),
}


# --- policies (pure functions: SQL text) -------------------------------------------------------
def predicate(table: str) -> str:
    """The SQL condition a row of ``table`` must meet under the current scope."""
    path = PROTECTED[table]
    # Read per row, not as a sub-select: an InitPlan would be read once per query but
    # keeps PostgreSQL 15 from planning parallel scans (ADR 005, measured).
    current = f"current_setting('{SETTING}', true)"
    terms = [f"{current} = 'all'"]
    if path.parent is not None:
        column, parent = path.parent
        terms.append(f'EXISTS (SELECT 1 FROM "{parent}" p WHERE p.id = "{table}"."{column}")')
    else:
        # The range on the code, through the division table's code index (as scope.py does).
        codes = (
            f"SELECT d.id FROM {DIVISIONS} d WHERE d.code BETWEEN "
            f"split_part({current}, '-', 1) AND split_part({current}, '-', 2)"
        )
        terms += [f'"{column}" IN ({codes})' for column in path.columns]
    return " OR ".join(terms)


def protect_sql(tables: Iterable[str]) -> list[str]:
    """Statements that put ``tables`` under their policy (idempotent)."""
    out = []
    for t in tables:
        p = predicate(t)
        out += [
            f'ALTER TABLE "{t}" ENABLE ROW LEVEL SECURITY',
            f'ALTER TABLE "{t}" FORCE ROW LEVEL SECURITY',
            f'DROP POLICY IF EXISTS {POLICY} ON "{t}"',
            f'CREATE POLICY {POLICY} ON "{t}" FOR ALL TO PUBLIC USING ({p}) WITH CHECK ({p})',
        ]
    return out


def unprotect_sql(tables: Iterable[str]) -> list[str]:
    """Statements that undo :func:`protect_sql`."""
    out = []
    for t in tables:
        out += [
            f'DROP POLICY IF EXISTS {POLICY} ON "{t}"',
            f'ALTER TABLE "{t}" NO FORCE ROW LEVEL SECURITY',
            f'ALTER TABLE "{t}" DISABLE ROW LEVEL SECURITY',
        ]
    return out


class ProtectTables(Operation):
    """Migration operation: row-level security on ``tables`` (PostgreSQL; no-op elsewhere)."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, *tables: str) -> None:
        unknown = [t for t in tables if t not in PROTECTED]
        if unknown:
            raise ValueError(f"add {unknown} to minzheng.accounts.rls.PROTECTED first")
        self.tables = tables

    def deconstruct(self) -> tuple[str, tuple, dict]:
        return (self.__class__.__name__, self.tables, {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _run(self, schema_editor: Any, statements: list[str]) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    def database_forwards(self, app_label: str, schema_editor: Any, *_: Any) -> None:
        self._run(schema_editor, protect_sql(self.tables))

    def database_backwards(self, app_label: str, schema_editor: Any, *_: Any) -> None:
        self._run(schema_editor, unprotect_sql(self.tables))

    def describe(self) -> str:
        return f"Row-level security on {', '.join(self.tables)}"


# --- the scope of the code that is running -----------------------------------------------------
_VALUE = re.compile(r"^(|all|[0-9]{12}-[0-9]{12})$")


def setting_of(scope: Scope) -> str:
    """The ``minzheng.scope`` value that means ``scope``."""
    if scope.nothing:
        return ""
    if scope.everything:
        return "all"
    low, high = scope.code_range
    return f"{low}-{high}"


def scope_for(actor: object) -> Scope:
    """``actor``'s scope; the system account (the CLI without ``--as``) sees everything.

    The importer already treats that account as unrestricted (``ImportScope``): whoever
    runs the CLI holds the database credentials, so narrower would protect nothing.
    """
    if getattr(actor, "username", None) == settings.MINZHENG_SYSTEM_USER:
        return EVERYTHING
    return scope_of(actor)


@dataclass
class _Frame:
    value: str = ""
    request: Any = None  # when set, the scope follows ``request.user`` as it changes
    user: Any = None  # the user ``value`` was computed for

    def current(self) -> str:
        if self.request is not None:
            user = getattr(self.request, "user", None)
            if user is not self.user:  # DRF's token, login() and logout() replace it
                self.user = user  # first: the lookups below re-enter and use the old value
                self.value = setting_of(scope_for(user))
        return self.value


_acting: ContextVar[_Frame | None] = ContextVar("minzheng_rls", default=None)


def current_value() -> str | None:
    """The ``minzheng.scope`` value of the innermost acting context (``None``: none)."""
    frame = _acting.get()
    return frame.current() if frame else None


@contextmanager
def _frame(frame: _Frame, using: str) -> Iterator[None]:
    conn = connections[using]
    if conn.vendor != "postgresql":
        yield
        return
    applier = _applier(conn)
    token = _acting.set(frame)
    try:
        yield
    finally:
        _acting.reset(token)
        applier.leave(conn, current_value() or "")


def acting(scope: Scope, *, using: str = DEFAULT_DB_ALIAS) -> Any:
    """Run the block with ``scope`` in force on PostgreSQL (every transaction it opens).

    Nests: leaving the block restores the outer scope (or none) in a transaction still open.
    """
    return _frame(_Frame(setting_of(scope)), using)


def acting_as(actor: object, *, using: str = DEFAULT_DB_ALIAS) -> Any:
    """:func:`acting` with ``actor``'s scope (:func:`scope_for`), looked up on PostgreSQL only."""
    if connections[using].vendor != "postgresql":
        return _frame(_Frame(), using)  # a no-op that needs no user lookup
    return acting(scope_for(actor), using=using)


def acting_for(request: Any, *, using: str = DEFAULT_DB_ALIAS) -> Any:
    """:func:`acting` for whoever ``request.user`` is when the database is first asked, and
    again whenever it changes (an API token is only read inside the view)."""
    return _frame(_Frame(request=request), using)


def _touches_protected(sql: str) -> bool:
    return any(t in sql for t in PROTECTED)


class _Applier:
    """Execute wrapper on one connection: the acting scope goes into each transaction.

    ``applied`` is what this transaction holds: it is forgotten when the server says no
    transaction is open (committed or rolled back) and after ``ROLLBACK TO SAVEPOINT``,
    which undoes a ``set_config`` made inside the savepoint. Mistakes can only leave the
    setting empty (no rows), never wider than the acting context, because nothing here
    sets it at session level.
    """

    def __init__(self) -> None:
        self.applied: str | None = None

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict
    ) -> Any:
        frame = _acting.get()
        conn = context["connection"]
        if frame is None:
            return execute(sql, params, many, context)
        if not conn.get_autocommit():
            return self._in_transaction(conn, frame.current(), execute, sql, params, many, context)
        if not _touches_protected(str(sql)):
            return execute(sql, params, many, context)
        # A lone statement on personal data outside a transaction: give it one.
        with transaction.atomic(using=conn.alias):
            return self._in_transaction(conn, frame.current(), execute, sql, params, many, context)

    def _in_transaction(
        self, conn: Any, value: str, execute: Callable[..., Any], sql: str, *args: Any
    ) -> Any:
        head = str(sql).lstrip()[:24].upper()
        if head.startswith("SET TRANSACTION"):  # must come first in its transaction
            self._forget_ended(conn)
            result = execute(sql, *args)
            self.sync(conn, value)
            return result
        self.sync(conn, value)
        result = execute(sql, *args)
        if head.startswith("ROLLBACK TO SAVEPOINT"):
            self.applied = None
        return result

    def _forget_ended(self, conn: Any) -> Any:
        from psycopg.pq import TransactionStatus

        status = conn.connection.info.transaction_status
        if status == TransactionStatus.IDLE:
            self.applied = None  # the next statement opens a new transaction
        return status

    def sync(self, conn: Any, value: str) -> None:
        """Make the open transaction (or the one the next statement opens) hold ``value``."""
        from psycopg.pq import TransactionStatus

        if self._forget_ended(conn) != TransactionStatus.INERROR:
            self.apply(conn, value)

    def apply(self, conn: Any, value: str) -> None:
        if self.applied != value:
            if not _VALUE.match(value):
                raise ValueError(f"not a scope value: {value!r}")
            with conn.connection.cursor() as cur:
                cur.execute("SELECT set_config(%s, %s, true)", (SETTING, value))
            self.applied = value

    def leave(self, conn: Any, outer: str) -> None:
        """An acting context ended: the open transaction (if any) returns to ``outer``."""
        from psycopg.pq import TransactionStatus

        raw = conn.connection
        status = raw.info.transaction_status if raw is not None and not raw.closed else None
        if status == TransactionStatus.INTRANS and self.applied is not None:
            self.apply(conn, outer)
        else:
            self.applied = None


def _applier(conn: Any) -> _Applier:
    """The connection's applier, installed once as its outermost execute wrapper."""
    applier = getattr(conn, "_minzheng_rls", None)
    if applier is None:
        applier = conn._minzheng_rls = _Applier()
        conn.execute_wrappers.insert(0, applier)  # outermost; others' LIFO pops stay theirs
    return applier


def ensure_applied(using: str = DEFAULT_DB_ALIAS) -> None:
    """Put the acting scope into the open transaction now (before raw-cursor statements)."""
    conn = connections[using]
    frame = _acting.get()
    if conn.vendor == "postgresql" and frame is not None and not conn.get_autocommit():
        conn.ensure_connection()
        _applier(conn).sync(conn, frame.current())


# --- bulk writes -------------------------------------------------------------------------------
def copy_rows(cursor: Any, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """``COPY`` rows into ``table`` on PostgreSQL, through a temporary table when row-level
    security applies (PostgreSQL refuses ``COPY FROM`` there), so the policy's
    ``WITH CHECK`` judges every row. ``cursor`` is a Django cursor."""
    cols = ", ".join(f'"{c}"' for c in columns)
    target = f'"{table}"'
    staged = False
    if table in PROTECTED:
        cursor.execute("SELECT row_security_active(%s)", [table])  # also applies the scope
        staged = bool(cursor.fetchone()[0])
    if staged:
        target = "pg_temp.minzheng_copy_stage"
        cursor.execute(f"DROP TABLE IF EXISTS {target}")
        cursor.execute(
            f'CREATE TEMP TABLE minzheng_copy_stage AS SELECT {cols} FROM "{table}" WITH NO DATA'
        )
    with cursor.cursor.copy(f"COPY {target} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    if staged:
        cursor.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM {target}')
        cursor.execute(f"DROP TABLE {target}")


# --- other connections (ADBC) ------------------------------------------------------------------
def set_config_sql(value: str) -> str:
    """``SELECT set_config(…)`` with ``value`` inlined, for drivers without parameters."""
    if not _VALUE.match(value):
        raise ValueError(f"not a scope value: {value!r}")
    return f"SELECT set_config('{SETTING}', '{value}', true)"


# True when policies bind this session and its scope is empty: every read would be empty.
BLIND_SQL = (
    "SELECT row_security_active('registry_person') "
    f"AND coalesce(current_setting('{SETTING}', true), '') = ''"
)


# --- operations --------------------------------------------------------------------------------
def role_check(using: str = DEFAULT_DB_ALIAS) -> tuple[bool, str, str]:
    """For ``minzheng doctor``: (ok, message, fix) — does a policy bind the app's connection?"""
    conn = connections[using]
    if conn.vendor != "postgresql":
        return True, "内嵌数据库：仅应用层辖区过滤 / SQLite: the application filter alone", ""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        user, bypasses = cur.fetchone()
        cur.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relname = ANY(%s) AND c.relkind = 'r' "
            "AND NOT (c.relrowsecurity AND c.relforcerowsecurity AND EXISTS (SELECT 1 FROM "
            "pg_policies p WHERE p.tablename = c.relname AND p.policyname = %s))",
            [list(PROTECTED), POLICY],
        )
        bare = [r[0] for r in cur.fetchall()]
    if bare:
        return (
            False,
            f"未启用行级安全 / no row-level security on {', '.join(bare)}",
            "minzheng init",
        )
    if bypasses:
        return (
            False,
            f"应用以可绕过行级安全的角色 {user} 连接 / the app connects as {user}, which "
            "bypasses row-level security",
            "DATABASE_URL 改用应用角色 / use the app role in DATABASE_URL (deploy/README.md)",
        )
    return True, f"行级安全生效（{user}）/ row-level security binds {user}", ""
