"""Throwaway installations for the fault campaign: a data directory and a database each.

A :class:`Sandbox` is what one ``minzheng`` installation needs — ``MINZHENG_DATA_DIR`` and,
on PostgreSQL, ``DATABASE_URL`` — plus helpers to run the CLI in it and to read its
database directly (the campaign checks rows with plain SQL, never through the app).
A :class:`Backend` hands out fresh sandboxes cloned from named templates, so the slow
``minzheng init`` runs once per campaign: a file copy on SQLite, ``CREATE DATABASE …
TEMPLATE`` on PostgreSQL.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
_cli = Path(PYTHON).with_name("minzheng")
MINZHENG = [str(_cli)] if _cli.exists() else [PYTHON, "-m", "minzheng.cli"]
GUNICORN = Path(PYTHON).with_name("gunicorn")
# Variables of the caller's own installation that must not leak into a sandbox.
FOREIGN = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "MINZHENG_DATA_DIR", "REDIS_URL")


@dataclass(frozen=True)
class Runtime:
    """How sandboxed processes run the app: which copy of the source, where bytecode goes."""

    source: Path | None = None  # a snapshot holding ``minzheng/``; None = the checkout
    pycache: Path | None = None  # bytecode cache outside the source tree

    @property
    def cwd(self) -> Path:
        """Where processes start: ``python -c`` and gunicorn import from there first."""
        return self.source or ROOT

    def env(self) -> dict[str, str]:
        env = {"PYTHONPATH": str(self.source)} if self.source else {}
        if self.pycache is not None:
            env["PYTHONPYCACHEPREFIX"] = str(self.pycache)
        return env


def snapshot(work: Path, revision: str = "") -> Runtime:
    """Copy the package to run from: the working tree, or a commit (``git archive``).

    Others edit the checkout while a campaign runs; a copy keeps every process of the
    campaign on one version of the code.
    """
    dest = work / "src"
    dest.mkdir(parents=True)
    if revision:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", revision, "minzheng"],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    else:
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(ROOT / "minzheng", dest / "minzheng", ignore=ignore)
    if (ROOT / "node_modules").exists():  # front-end files, looked up beside the package
        (dest / "node_modules").symlink_to(ROOT / "node_modules")
    return Runtime(dest, work / "pycache")


@dataclass
class Sandbox:
    """One installation: a data directory and a database (SQLite file there, or ``url``)."""

    home: Path
    url: str = ""  # postgres://… ; empty = SQLite in ``home``
    runtime: Runtime = field(default_factory=Runtime)

    @property
    def vendor(self) -> str:
        return "postgresql" if self.url else "sqlite"

    @property
    def sqlite_file(self) -> Path:
        return self.home / "minzheng.sqlite3"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in FOREIGN}
        env.update(
            MINZHENG_DATA_DIR=str(self.home),
            MINZHENG_LOG_FORMAT="text",
            PYTHONUNBUFFERED="1",
            **self.runtime.env(),
            **extra,
        )
        if self.url:
            env["DATABASE_URL"] = self.url
        if self.runtime.pycache is not None:
            # Without cached bytecode every start compiles the app again (seconds on a
            # small machine); it is cached in the campaign's directory, not in the checkout.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        return env

    def cli(self, *args: str, timeout: float = 600, check: bool = True) -> Completed:
        """Run ``minzheng ARGS`` here to completion."""
        return run(
            [*MINZHENG, *args], env=self.env(), timeout=timeout, check=check, cwd=self.runtime.cwd
        )

    def django(self, code: str, timeout: float = 300) -> Completed:
        """Run Python ``code`` with Django set up for this sandbox."""
        prologue = "from minzheng.cli import setup_django; setup_django()\n"
        return run(
            [PYTHON, "-c", prologue + code], env=self.env(), timeout=timeout, cwd=self.runtime.cwd
        )

    def spawn(self, argv: Sequence[str], log: str | None, **extra: str) -> subprocess.Popen[bytes]:
        """Start ``argv`` in its own process group (so SIGKILL reaches all of it).

        Output goes to ``<home>-<log>.log`` beside the data directory, or to a pipe.
        """
        out = None if log is None else (self.home.parent / f"{self.home.name}-{log}.log").open("ab")
        try:
            return subprocess.Popen(
                list(argv),
                env=self.env(**extra),
                cwd=self.runtime.cwd,
                stdout=subprocess.PIPE if out is None else out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            if out is not None:
                out.close()  # the child has its own descriptor

    @contextmanager
    def db(self) -> Iterator[Any]:
        """A plain DB-API connection (autocommit) for the campaign's own checks."""
        if self.url:
            import psycopg

            con: Any = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        else:
            con = sqlite3.connect(self.sqlite_file, timeout=30, isolation_level=None)
        try:
            yield con
        finally:
            con.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query; ``?`` placeholders work on both databases."""
        with self.db() as con:
            if self.url:
                sql = sql.replace("?", "%s")
            return list(con.execute(sql, tuple(params)).fetchall())

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None


@dataclass
class Completed:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def run(
    argv: Sequence[str],
    *,
    env: dict[str, str],
    timeout: float,
    check: bool = True,
    cwd: Path = ROOT,
) -> Completed:
    """Run a command to completion (killed with its group on timeout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        raise RuntimeError(f"timed out after {timeout:.0f}s: {' '.join(argv)}") from None
    except BaseException:  # interrupted (Ctrl-C, SIGTERM): take the command down too
        kill_group(proc)
        raise
    done = Completed(
        list(argv),
        proc.returncode,
        out.decode(errors="replace"),
        err.decode(errors="replace"),
        time.perf_counter() - start,
    )
    if check and done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).splitlines()[-15:])
        raise RuntimeError(f"exit {done.returncode}: {' '.join(argv)}\n{tail}")
    return done


def kill_group(proc: subprocess.Popen[Any], sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to the process group ``proc`` leads, then reap it."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    condition: Callable[[], bool], *, timeout: float, every: float = 0.05
) -> tuple[bool, float]:
    """Poll ``condition`` until true or ``timeout``; returns (met, seconds waited)."""
    start = time.perf_counter()
    while True:
        with suppress(Exception):
            if condition():
                return True, time.perf_counter() - start
        if time.perf_counter() - start > timeout:
            return False, time.perf_counter() - start
        time.sleep(every)


class Backend:
    """Fresh sandboxes of one database vendor, cloned from named templates."""

    vendor = "sqlite"

    def __init__(self, workdir: Path, runtime: Runtime | None = None) -> None:
        self.workdir = workdir
        self.runtime = runtime or Runtime(pycache=workdir / "pycache")
        self.templates: dict[str, Any] = {}
        self._n = itertools.count(1)

    def new(self, template: str = "", *, name: str = "") -> Sandbox:
        """A sandbox holding a copy of ``template`` (empty database when "")."""
        home = self.workdir / f"{name or 'sb'}{next(self._n)}"
        home.mkdir(parents=True)
        sb = self._empty(home)
        if template:
            self._restore(self.templates[template], sb)
        return sb

    def template(self, name: str, build: Callable[[Sandbox], object], base: str = "") -> None:
        """Build template ``name`` once: a sandbox from ``base``, changed by ``build``."""
        if name in self.templates:
            return
        sb = self.new(base, name=f"tmpl-{name}-")
        build(sb)
        self.templates[name] = self._save(sb, name)
        self.drop(sb)

    def drop(self, sb: Sandbox) -> None:
        shutil.rmtree(sb.home, ignore_errors=True)

    def close(self) -> None:
        """Remove every sandbox and template this backend made."""

    # SQLite: a template is a checkpointed copy of the database file.
    def _empty(self, home: Path) -> Sandbox:
        return Sandbox(home, runtime=self.runtime)

    def _save(self, sb: Sandbox, name: str) -> Any:
        with sb.db() as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        path = self.workdir / f"template-{name}.sqlite3"
        shutil.copyfile(sb.sqlite_file, path)
        return path

    def _restore(self, saved: Any, sb: Sandbox) -> None:
        shutil.copyfile(saved, sb.sqlite_file)


class PostgresBackend(Backend):
    """Sandboxes as databases on the server of ``url`` (all dropped at close).

    They are named after ``url``'s database — ``<name>_f<pid>_…`` — or ``mzfault_<pid>_…``
    when it names the maintenance database ``postgres``.
    """

    vendor = "postgresql"

    def __init__(self, workdir: Path, url: str, runtime: Runtime | None = None) -> None:
        super().__init__(workdir, runtime)
        self.base, name = url.split("?")[0].rsplit("/", 1)
        self.admin_url = f"{self.base}/postgres"  # where CREATE/DROP DATABASE run
        self.prefix = f"{name}_f{os.getpid()}_" if name != "postgres" else f"mzfault_{os.getpid()}_"
        self.made: list[str] = []

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as con:
            con.execute(sql)

    def _create(self, name: str, template: str = "") -> str:
        self.admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.made.append(name)
        return f"{self.base}/{name}"

    def _empty(self, home: Path) -> Sandbox:
        url = self._create(f"{self.prefix}{home.name}".lower()[:60])
        return Sandbox(home, url=url, runtime=self.runtime)

    def _save(self, sb: Sandbox, name: str) -> Any:
        saved = f"{self.prefix}tmpl_{name}"
        self._create(saved, sb.url.rsplit("/", 1)[1])
        return saved

    def _restore(self, saved: Any, sb: Sandbox) -> None:
        db = sb.url.rsplit("/", 1)[1]
        self.admin(f'DROP DATABASE "{db}"')
        self.admin(f'CREATE DATABASE "{db}" TEMPLATE "{saved}"')

    def drop(self, sb: Sandbox) -> None:
        db = sb.url.rsplit("/", 1)[1]
        with suppress(Exception):
            self.admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        super().drop(sb)

    def close(self) -> None:
        for name in reversed(self.made):
            with suppress(Exception):
                self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()


def workdir(prefix: str = "mz-faults-") -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
