"""Kind ``disk-full``: the data directory is a small tmpfs and the import does not fit.

Each round mounts a fresh tmpfs as ``MINZHENG_DATA_DIR`` (SQLite database there), fills
it with a ballast file so that only part of the import fits — the first chunk, about
half, about nine tenths, in turn — and starts the web server on it. The import must
fail with a clear message and leave only whole households; then the ballast is deleted
(space freed) and the same installation must carry on: the running server answers and
takes an edit, the import run again completes. Unmounted at the end of every round.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from contextlib import suppress
from pathlib import Path

from bench.faults import data
from bench.faults import registry as reg
from bench.faults.core import POINTS, KillPoint, Summary, counted
from bench.faults.kinds.importing import CHUNK_ROWS
from bench.faults.registry import Damage
from bench.faults.sandbox import MINZHENG, Backend, Sandbox, wait_for
from bench.faults.web import Client, Server, check_edits, plan_edits, send_edit, status

MB = 1 << 20
CLEAR = ("磁盘", "空间", "disk", "space")


def unavailable() -> str:
    """Why tmpfs cannot be mounted here ("" when it can)."""
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    probe = Path(tempfile.mkdtemp(prefix="mz-faults-probe-"))
    try:
        mount(probe, 1)
        umount(probe)
        return ""
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"cannot mount a tmpfs: {exc}"
    finally:
        with suppress(OSError):
            probe.rmdir()


def mount(path: Path, megabytes: int) -> None:
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0755", "tmpfs", str(path)],
        check=True,
        capture_output=True,
    )


def umount(path: Path) -> None:
    for args in (["umount", str(path)], ["umount", "-l", str(path)]):
        if subprocess.run(args, capture_output=True, check=False).returncode == 0:
            return


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir() if f.is_file())


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def last_line(text: str) -> str:
    lines = [x.strip() for x in text.replace("\r", "\n").splitlines() if x.strip()]
    return lines[-1] if lines else ""


class DiskFull:
    name = "disk-full"

    def __init__(self, backend: Backend, work: Path, rows: int, rounds: int) -> None:
        self.backend, self.work, self.rows, self.rounds = backend, work, rows, rounds
        self.committed: dict[str, list[int]] = {}  # kill point → persons in when the disk filled

    def run(self) -> Summary:
        self.file = data.import_csv(self.backend, self.rows)
        self.expected = reg.Expected.from_csv(self.file)
        self.template = data.with_user(self.backend)
        self.need = self._calibrate()
        summary = Summary(self.name, "sqlite", 0)
        messages: dict[str, int] = {}
        for r in range(self.rounds):
            d, msg, seconds = self._round(r, POINTS[r % len(POINTS)])
            summary.faults += 1
            summary.damage.add(d)
            summary.recovery.append(seconds)
            messages[msg] = messages.get(msg, 0) + 1
        summary.figures["messages"] = messages
        summary.figures["persons_committed_when_full"] = self.committed
        summary.figures["import_needs_mb"] = round(self.need / MB, 1)
        summary.findings = counted(summary.damage.notes)
        return summary

    def _calibrate(self) -> int:
        """Bytes the import adds to the data directory at its peak (database, WAL, index)."""
        sb = self.backend.new(self.template, name="disk-calibrate-")
        start = peak = dir_bytes(sb.home)
        proc = sb.spawn([*MINZHENG, "import", "registry", str(self.file)], log="import")

        def sample() -> bool:
            nonlocal peak
            peak = max(peak, dir_bytes(sb.home))
            return proc.poll() is not None

        wait_for(sample, timeout=600, every=0.02)
        peak = max(peak, dir_bytes(sb.home))
        self.backend.drop(sb)
        return peak - start

    def _room(self, point: KillPoint) -> int:
        """Free bytes to leave: enough for the first chunk, or a share of the whole."""
        first = self.need * min(0.9, 1.4 * CHUNK_ROWS / self.rows)
        return int(first if point.share <= 0 else self.need * min(point.share, 0.9))

    def _round(self, r: int, point: KillPoint) -> tuple[Damage, str, float]:
        mnt = self.work / f"tmpfs{r}"
        mnt.mkdir()
        size = (os.path.getsize(self.backend.templates[self.template]) + self.need) // MB + 24
        mount(mnt, size)
        server = None
        try:
            sb = Sandbox(mnt, runtime=self.backend.runtime)
            shutil.copyfile(self.backend.templates[self.template], sb.sqlite_file)
            ballast = mnt / "ballast"
            ballast.write_bytes(b"\0" * max(0, free_bytes(mnt) - self._room(point)))
            server = Server(sb, worker=False)
            server.proc = sb.spawn(server.argv(), log="server")  # beside the tmpfs, not on it
            out = sb.cli("import", "registry", str(self.file), check=False, timeout=600)
            d, msg = self._failed(sb, out.returncode, out.stderr)
            self.committed.setdefault(point.label, []).append(reg.persons(sb).total())
            ballast.unlink()
            t = time.perf_counter()
            d.add(self._carry_on(sb, server))
            return d, msg, time.perf_counter() - t
        finally:
            if server is not None:
                server.kill()
            umount(mnt)
            with suppress(OSError):
                mnt.rmdir()

    def _failed(self, sb: Sandbox, code: int, stderr: str) -> tuple[Damage, str]:
        """The failed run: a clear message, a sound database, only whole households."""
        d = Damage()
        msg = last_line(stderr)
        if code == 0:
            d.note("the import did not run out of space (room too large)")
        if "Traceback" in stderr or not any(w in msg.lower() for w in CLEAR):
            d.note(f"disk full: the import ends with a traceback, not a clear message ({msg})")
        if sb.value("PRAGMA integrity_check") != "ok":
            d.half_written += 1
            d.note("the database fails PRAGMA integrity_check after the disk filled")
        d.add(reg.check_households(sb, self.expected, complete=False))
        d.add(reg.check_create_audits(sb))
        return d, msg

    def _carry_on(self, sb: Sandbox, server: Server) -> Damage:
        """After freeing space: the running server reads, the import completes, edits land."""
        d = Damage()
        ok, _ = wait_for(lambda: status(server.base + "/healthz") == 200, timeout=120, every=0.2)
        if not ok:
            d.note("the server did not answer /healthz 200 after space was freed")
        out = sb.cli("import", "registry", str(self.file), check=False, timeout=600)
        if out.returncode != 0:
            d.note(f"the import failed again after space was freed: {last_line(out.stderr)}")
        d.add(reg.check_households(sb, self.expected, complete=True))
        d.add(reg.check_create_audits(sb))
        states = reg.batches(sb)
        d.stuck += states.get("running", 0)
        if states.get("running"):
            d.note("the disk-full run's ImportBatch stays 'running' (never marked failed)")
        client = Client(server.base)
        edits = plan_edits(sb, 1, 0, "disk")
        if not (client.login() and edits and send_edit(client, edits[0]).status == 302):
            d.note("the running server could not take an edit after space was freed")
        return d.add(check_edits(sb, edits))
