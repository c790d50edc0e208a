"""Kind ``web``: the server (and its worker) killed while requests are in flight.

Each trial signs in three browser-like clients that edit distinct households (the edit
moves every member: several rows in one transaction) between page reads, and a fourth
that uploads a small registry file (imported by the background worker). Progress is the
number of edits the server has acknowledged; the kill lands a random part of one edit's
time past the kill point. The server is started again on the same data: recovery is the
time to its first 200. Every edit must be there entirely or not at all, and those that
were acknowledged must be there; the upload is imported (re-uploaded if its job died).
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from typing import Any

from bench.faults import data
from bench.faults import registry as reg
from bench.faults.core import JobKind, KillPoint
from bench.faults.registry import Damage
from bench.faults.sandbox import Backend, Sandbox, wait_for
from bench.faults.web import Client, Edit, Server, check_edits, plan_edits, send_edit

# Upload files come from counties the loaded population does not use (refs never collide).
UPLOAD_COUNTIES = (
    "440103", "440105", "440111", "440112", "440113", "440114", "440115", "440117",
    "440118", "440303", "440304", "440305", "440306", "440307", "440308", "440309",
    "440310", "440311", "440402", "440403",
)  # fmt: skip
EDITORS = 3
QUEUE_GRACE_S = 20.0  # a job queued before the restart must have started by then


class WebKind(JobKind):
    name = "web"

    def __init__(
        self, backend: Backend, work: Path, persons: int, edits: int = 12, upload_rows: int = 300
    ) -> None:
        self.backend, self.work, self.persons = backend, work, persons
        self.n_edits, self.upload_rows = edits, upload_rows
        self.db = backend.vendor
        self.sb: Sandbox | None = None
        self.server: Server | None = None
        self.edits: list[Edit] = []
        self.threads: list[threading.Thread] = []
        self.latency: list[float] = []
        self.orphans: dict[int, str] = {}

    def prepare(self) -> None:
        self.sb = self.backend.new(data.population(self.backend, self.persons), name="web")
        rows = self.upload_rows * len(UPLOAD_COUNTIES)
        source = data.import_csv(self.backend, rows, UPLOAD_COUNTIES, seed=5)
        self.uploads = data.split_by_county(source, self.work / "uploads")
        self.server = Server(self.sb)
        self.server.start()

    def start(self, trial: int) -> None:
        assert self.sb is not None and self.server is not None
        self.edits = plan_edits(self.sb, self.n_edits, trial * self.n_edits, f"t{trial}")
        county = UPLOAD_COUNTIES[trial % len(UPLOAD_COUNTIES)]
        self.upload = self.uploads[county]
        self.expected = reg.Expected.from_csv(self.upload)
        self.batches_before = self._last_batch()
        self.threads = [
            threading.Thread(target=self._edit, args=(self.edits[i::EDITORS],), daemon=True)
            for i in range(EDITORS)
        ]
        self.threads.append(threading.Thread(target=self._upload, daemon=True))
        for t in self.threads:
            t.start()

    def _client(self) -> Client | None:
        assert self.server is not None
        client = Client(self.server.base)
        return client if client.login() else None

    def _edit(self, edits: list[Edit]) -> None:
        """One editor: each edit between a look at the household and a search."""
        client = self._client()
        if client is None:
            return
        for edit in edits:
            if send_edit(client, edit).status == 0:
                return  # the server is gone
            if edit.acked:
                self.latency.append(edit.seconds)
            client.get("/registry/households/?q=" + edit.code[:6])

    def _upload(self, path: Path | None = None) -> int:
        """Upload ``path`` (this trial's file); returns the status (302 = accepted)."""
        client = self._client()
        if client is None:
            return 0
        path = path or self.upload
        return client.post("/registry/import/", {}, file=(path.name, path.read_bytes())).status

    def figures(self) -> dict[str, Any]:
        return {"edits_per_trial": self.n_edits, "upload_rows": self.upload_rows}

    def alive(self) -> bool:
        return self.server is not None and self.server.proc is not None

    def progress(self) -> tuple[int, int]:
        return sum(e.acked for e in self.edits), len(self.edits)

    def jitter(self, rng: random.Random) -> float:
        """Once an edit is on its way, a random part of the quickest edit so far."""
        wait_for(lambda: any(e.sent and not e.acked for e in self.edits), timeout=5, every=0.005)
        return rng.uniform(0.0, 0.8) * (min(self.latency) if self.latency else 0.1)

    def landed(self) -> str:
        flying = sum(e.sent and not e.acked for e in self.edits)
        return f"{min(flying, 3)}{'+' if flying > 3 else ''} edit(s) in flight"

    def committed(self) -> list[Edit]:
        return [e for e in self.edits if e.acked]

    def kill(self) -> None:
        if self.server is not None:
            self.server.kill()
        for t in self.threads:
            t.join(timeout=30)

    def after_kill(self, before: list[Edit]) -> Damage:
        assert self.sb is not None
        d = check_edits(self.sb, self.edits)
        return d.add(reg.check_households(self.sb, self.expected, complete=False))

    def resume(self) -> dict[str, float]:
        """Start the server again (timed to its first 200), then finish the upload."""
        assert self.server is not None
        restarted = time.time()
        first = self.server.start()
        t = time.perf_counter()
        self.orphans = self._orphans(restarted, since=self.batches_before)
        self.reupload = 0
        # What a user would do when the upload never answered or never finished: upload again.
        if self.orphans or self._last_batch() == self.batches_before:
            since = self._last_batch()
            self.reupload = self._upload(self.upload)
            self._orphans(0.0, since=since, grace=600)  # wait for it to finish
        return {"recovery_s": first, "upload_recovery_s": time.perf_counter() - t}

    def _orphans(
        self, restarted: float, *, since: int, grace: float = QUEUE_GRACE_S
    ) -> dict[int, str]:
        """Uploads (batches after ``since``) the restarted app will never finish, with why.

        A job that was running when the worker died is never run again; one still queued
        should start within ``grace`` seconds of the restart.
        """
        assert self.sb is not None
        sb = self.sb

        def orphans(final: bool) -> dict[int, str]:
            rows = sb.rows("SELECT id, status FROM registry_importbatch WHERE id > ?", (since,))
            jobs = _import_jobs(sb)
            out = {}
            for pk, status in rows:
                if status in ("done", "failed"):
                    continue
                job, started = jobs.get(pk, ("", None))
                if job == "RUNNING" and started is not None and started < restarted:
                    out[pk] = "its job was running when the server died"
                elif final:
                    out[pk] = "its job never ran after the restart" if job else "never queued"
                else:
                    return {-1: "pending"}
            return out

        wait_for(lambda: -1 not in orphans(False), timeout=grace, every=0.2)
        return orphans(True)

    def _last_batch(self) -> int:
        assert self.sb is not None
        return int(self.sb.value("SELECT max(id) FROM registry_importbatch") or 0)

    def _batches(self) -> list[tuple[Any, ...]]:
        """This trial's ImportBatch rows: id, status, rows, and the report's message."""
        assert self.sb is not None
        rows = self.sb.rows(
            "SELECT id, status, rows, report FROM registry_importbatch WHERE id > ?",
            (self.batches_before,),
        )
        return [(pk, st, n, _message(report)) for pk, st, n, report in rows]

    def target(self, point: KillPoint, total: int) -> int:
        if point.share >= 0.9:  # every editor's last edit still to come
            return max(1, total - EDITORS)
        return super().target(point, total)

    def verify(self) -> Damage:
        assert self.sb is not None
        d = check_edits(self.sb, self.edits)
        d.add(reg.check_households(self.sb, self.expected, complete=True))
        d.stuck += len(self.orphans)
        for why in self.orphans.values():
            d.note(f"an upload stays unfinished after the restart ({why}); uploaded again")
        if self.reupload not in (0, 302):
            d.note(f"uploading the file again after the restart answered {self.reupload}")
        if d.lost:
            d.note(f"uploads of this trial: {self._batches()}")
        return d

    def close(self) -> None:
        if self.server is not None:
            self.server.kill()
        if self.sb is not None:
            self.backend.drop(self.sb)


def _message(report: Any) -> str:
    import json

    doc = report if isinstance(report, dict) else json.loads(report or "{}")
    keys = ("message_en", "created", "updated", "unchanged", "rejected")
    return ", ".join(f"{k}={doc[k]}" for k in keys if k in doc)


def _import_jobs(sb: Sandbox) -> dict[int, tuple[str, float | None]]:
    """ImportBatch id → (status, Unix start time) of the job importing it."""
    import datetime as dt
    import json

    out: dict[int, tuple[str, float | None]] = {}
    for args, status, started in sb.rows(
        "SELECT args, status, started_at FROM jobs_job WHERE task_path LIKE ?",
        ("%import_registry_file",),
    ):
        args = args if isinstance(args, list) else json.loads(args)  # jsonb arrives parsed
        when = started
        if isinstance(when, str):
            when = dt.datetime.fromisoformat(when)
        if isinstance(when, dt.datetime) and when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)  # SQLite keeps UTC without an offset
        out[int(args[0])] = (status, when.timestamp() if when else None)
    return out
