"""A private PostgreSQL cluster for the campaign: its own directory, a free loopback port.

The shared server on 127.0.0.1:5432 belongs to others and is never stopped; anything the
campaign must stop and start again runs here. initdb refuses to run as root, so as root
the cluster belongs to the ``postgres`` system user (``runuser``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from contextlib import suppress
from pathlib import Path

from bench.faults.sandbox import free_port

PG_BIN = Path(os.environ.get("MINZHENG_PG_BIN", "/usr/lib/postgresql/15/bin"))
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": 200,
    "shared_buffers": "64MB",
    "log_min_messages": "fatal",
}


def unavailable() -> str:
    """Why a private cluster cannot run here ("" when it can)."""
    if not (PG_BIN / "initdb").exists():
        return f"no PostgreSQL binaries in {PG_BIN} (set MINZHENG_PG_BIN)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a 'postgres' user to own the cluster"
        if not shutil.which("runuser"):
            return "running as root without runuser"
    return ""


class PrivatePostgres:
    """``initdb`` + ``pg_ctl`` in a temporary directory; trust auth on 127.0.0.1 only."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="mz-faults-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.running = False
        if os.geteuid() == 0:
            os.chmod(self.dir, 0o755)
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = [str(PG_BIN / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, check=True, cwd=self.dir
        )

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> PrivatePostgres:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        conf = {**SETTINGS, "port": self.port, "unix_socket_directories": self.dir}
        (self.data / "postgresql.auto.conf").write_text(
            "".join(f"{k} = '{v}'\n" for k, v in conf.items())
        )
        return self.start()

    def start(self) -> PrivatePostgres:
        log = self.dir / "server.log"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(log), "-w", "-t", "60", "start")
        self.running = True
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False

    def close(self) -> None:
        """Stop the cluster (immediately) and remove its directory."""
        if self.running:
            with suppress(Exception):
                self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
