"""A small steady load on the web server: signed-in clients reading, editing, probing /healthz."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from bench.faults.web import Client, Edit, Response, send_edit

LEAKS = ("Traceback", "OperationalError", "psycopg", "django.db")


@dataclass(frozen=True)
class Hit:
    """One request as the client saw it."""

    start: float  # perf_counter when sent
    what: str  # list / healthz / edit
    status: int  # 0: no answer (refused, reset, timed out)
    seconds: float
    leak: bool  # the body shows a traceback or driver error
    error: str = ""
    body: str = ""

    @property
    def end(self) -> float:
        return self.start + self.seconds


class Load:
    """``threads`` clients, each: household list, /healthz, and every third turn an edit."""

    def __init__(self, base: str, edits: list[Edit], threads: int = 4, timeout: float = 15) -> None:
        self.base, self.n, self.timeout = base, threads, timeout
        self.edits: Iterator[Edit] = iter(edits)
        self.sent: list[Edit] = []
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.running = threading.Event()  # cleared: the clients wait (an idle app)
        self.running.set()
        self.threads: list[threading.Thread] = []

    def start(self) -> Load:
        clients = [Client(self.base, self.timeout) for _ in range(self.n)]
        if not all(c.login() for c in clients):
            raise RuntimeError("the load's clients could not sign in")
        self.threads = [threading.Thread(target=self._run, args=(c,), daemon=True) for c in clients]
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> list[Hit]:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=self.timeout + 5)
        return self.hits

    def burst(self, path: str, n: int = 16) -> None:
        """``n`` requests at once (cookie-less), so that every server thread takes one."""

        def one() -> None:
            t = time.perf_counter()
            self._record("burst", t, Client(self.base, self.timeout).get(path))

        threads = [threading.Thread(target=one, daemon=True) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=self.timeout + 5)

    def _record(self, what: str, t: float, r: Response) -> None:
        leak = any(word in r.body for word in LEAKS)
        with self.lock:
            self.hits.append(Hit(t, what, r.status, r.seconds, leak, r.error, r.body[:300]))

    def _next_edit(self) -> Edit | None:
        with self.lock:
            edit = next(self.edits, None)
            if edit is not None:
                self.sent.append(edit)
            return edit

    def _run(self, client: Client) -> None:
        probe = Client(self.base, self.timeout)  # no session, as a load balancer
        turn = 0
        while not self.stopping.is_set():
            if not self.running.wait(timeout=0.2):
                continue
            t = time.perf_counter()
            self._record("list", t, client.get("/registry/households/"))
            t = time.perf_counter()
            self._record("healthz", t, probe.get("/healthz"))
            turn += 1
            edit = self._next_edit() if turn % 3 == 0 else None
            if edit is not None:
                t = time.perf_counter()
                self._record("edit", t, send_edit(client, edit))
            time.sleep(0.05)
