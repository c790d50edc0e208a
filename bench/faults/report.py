"""Printing the campaign's figures: one table, then one JSON line per row (as every bench)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from bench.faults.core import Summary

COLUMNS = (
    ("kind", 18),
    ("db", 10),
    ("faults", 6),
    ("missed", 6),
    ("lost", 5),
    ("dupes", 5),
    ("half", 5),
    ("stuck", 5),
    ("rec. med s", 10),
    ("rec. max s", 10),
)


def _cells(s: Summary) -> list[str]:
    d = s.as_dict()
    keys = ("kind", "db", "faults", "missed", "rows_lost", "duplicates", "half_written", "stuck")
    return [str(d[k]) for k in keys] + [
        f"{d['recovery_median_s']:.2f}",
        f"{d['recovery_max_s']:.2f}",
    ]


def table(summaries: Iterable[Summary]) -> str:
    """The figures of every kind that ran, one row each; skipped kinds say why."""
    done = [s for s in summaries if not (s.skipped or s.error)]
    skipped = [s for s in summaries if s.skipped or s.error]
    rows = [[c for c, _ in COLUMNS], *(_cells(s) for s in done)]
    widths = [max(w, *(len(r[i]) for r in rows)) for i, (_, w) in enumerate(COLUMNS)]
    lines = [
        "  ".join(_align(i, c, w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines += [
        f"{s.kind:<{widths[0]}}  {s.db:<{widths[1]}}  "
        + (f"skipped: {s.skipped}" if s.skipped else f"FAILED: {s.error}")
        for s in skipped
    ]
    return "\n".join(lines)


def _align(i: int, cell: str, width: int) -> str:
    return cell.ljust(width) if i < 2 else cell.rjust(width)


def details(s: Summary) -> str:
    """The kind's own figures and what it found, indented under the table."""
    out = [f"{s.kind} ({s.db}), {s.seconds:.0f} s:"]
    if s.skipped or s.error:
        return f"{out[0]} {'skipped: ' + s.skipped if s.skipped else 'FAILED: ' + s.error}"
    out += [f"  {k}: {v}" for k, v in s.figures.items()]
    out += [f"  finding: {f}" for f in s.findings]
    return "\n".join(out)


def json_lines(summaries: Iterable[Summary]) -> str:
    return "\n".join(json.dumps(s.as_dict(), ensure_ascii=False) for s in summaries)
