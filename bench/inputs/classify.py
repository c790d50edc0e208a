"""Running one input through its importer and classifying what happened.

Outcomes: ``refused`` (the whole file, with a message: fine), ``report`` (rows accepted
and rejected: fine when no row is lost), ``crash`` (an exception the importer does not
document), ``hang`` (past the time limit), ``memory`` (past the memory limit, or a
``MemoryError``), ``bomb`` (a zip bomb that was not refused). Every input runs in a
transaction rolled back afterwards, so each one sees the same database.
"""

from __future__ import annotations

import resource
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.inputs.kinds import KINDS, Answer
from bench.inputs.mutations import Case

FAILURES = ("crash", "hang", "memory", "bomb")
PAGE = 4096


@dataclass
class Result:
    kind: str
    name: str
    family: str
    variant: str
    outcome: str  # refused / report / crash / hang / memory / bomb
    seconds: float
    rss_mb: float  # peak resident memory while the input ran
    grew_mb: float  # peak minus the resident memory before it
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    lost: int = 0
    no_column: int = 0
    misread: bool = False  # an "accept" input with rows not accepted
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome in FAILURES or self.lost != 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Hang(BaseException):
    """Raised in the importer by the alarm; a BaseException so ``except Exception`` in the
    code under test cannot swallow it."""


class _Rollback(Exception):
    pass


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE


class PeakSampler:
    """Samples this process's resident memory every few milliseconds."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            self._stop.wait(0.005)

    def __enter__(self) -> PeakSampler:
        self.peak = rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


@contextmanager
def alarm(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in this (main) thread after ``seconds``."""

    def ring(signum: int, frame: object) -> None:
        raise Hang(f"no answer after {seconds:g} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_case(
    kind: str, name: str, case: Case, path: Path, *, timeout: float = 20, memory_mb: float = 512
) -> Result:
    """Import ``path`` (the bytes of ``case``) as ``kind`` and classify the outcome."""
    from django.db import transaction

    spec = KINDS[kind]
    answer: Answer | None = None
    error: BaseException | None = None
    before_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    with PeakSampler() as mem:
        base = mem.peak
        try:
            with alarm(timeout), transaction.atomic():
                answer = spec.run(path)
                raise _Rollback
        except _Rollback:
            pass
        except (Exception, Hang, MemoryError) as exc:  # classified below
            error = exc
    seconds = time.perf_counter() - start
    after_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    peak = max(mem.peak, after_max if after_max > before_max else 0)
    res = Result(
        kind,
        name,
        case.family,
        case.variant,
        "report",
        round(seconds, 3),
        round(peak / 2**20, 1),
        round((peak - base) / 2**20, 1),
    )
    if error is not None:
        return _failed(res, error, spec.refusals())
    assert answer is not None
    if answer.refused is not None:
        res.outcome, res.detail = "refused", answer.refused[:200]
    else:
        _count(res, answer, case)
    if case.expect == "refuse" and res.outcome != "refused":
        res.outcome = "bomb"
        res.detail = f"a zip bomb was read ({res.rows} rows) instead of refused"
    if res.grew_mb > memory_mb:
        res.outcome = "memory"
        res.detail = f"resident memory grew {res.grew_mb:.0f} MB (limit {memory_mb:.0f})"
    return res


def _failed(res: Result, error: BaseException, refusals: tuple[type, ...]) -> Result:
    if isinstance(error, refusals):
        res.outcome = "refused"
        res.detail = str(getattr(error, "message", error))[:200]
        return res
    res.outcome = (
        "hang"
        if isinstance(error, Hang)
        else "memory"
        if isinstance(error, MemoryError)
        else "crash"
    )
    res.detail = summary(error)
    return res


def summary(error: BaseException) -> str:
    """``Type: message @ file:line in function`` of the innermost application frame."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/minzheng/" in f.filename] or frames
    where = ""
    if ours:
        f = ours[-1]
        where = f" @ {f.filename.split('/minzheng/', 1)[-1]}:{f.lineno} in {f.name}"
    return f"{type(error).__name__}: {str(error)[:160]}{where}"


def _count(res: Result, answer: Answer, case: Case) -> None:
    """Rows lost = data rows − accepted − rejected (− exact repeats a kind documents)."""
    res.rows, res.accepted, res.rejected = answer.rows, answer.accepted, len(answer.rejected)
    res.no_column = answer.no_column
    data_rows = case.rows if case.rows is not None else answer.rows
    res.lost = data_rows - answer.accepted - len(answer.rejected) - answer.merged
    res.lost += answer.unexplained
    notes = []
    if case.rows is not None and answer.rows != case.rows:
        notes.append(f"the file holds {case.rows} data rows, the importer read {answer.rows}")
    if answer.stored is not None and answer.created is not None and answer.stored != answer.created:
        res.lost += abs(answer.created - answer.stored)
        notes.append(f"reported {answer.created} created, the database gained {answer.stored}")
    if answer.unexplained:
        notes.append(f"{answer.unexplained} rejections without a row or a reason")
    if case.expect == "accept" and answer.accepted < data_rows:
        res.misread = True
        notes.append(f"only {answer.accepted} of {data_rows} rows accepted from a supported file")
    res.detail = "; ".join(notes)
