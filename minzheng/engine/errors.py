"""Errors of the engine: definition errors point at a file and line; run errors at a step."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Loc:
    """Where a definition was written: file and 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class DefinitionError(Exception):
    """One mistake in a rule, parameter or fixture file, with its file and line."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(f"{loc}: {message}")
        self.loc = loc
        self.message = message


class DefinitionErrors(Exception):
    """Every mistake found in one file (reported together, in line order)."""

    def __init__(self, errors: list[DefinitionError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.loc.file, e.loc.line))
        super().__init__("\n".join(str(e) for e in self.errors))


class EngineError(Exception):
    """A compiled pipeline failed to run; names the step and keeps the SQL."""

    def __init__(self, message: str, *, step: str = "", sql: str = "") -> None:
        super().__init__(f"step {step!r}: {message}" if step else message)
        self.step = step
        self.sql = sql


class ParameterGapError(EngineError):
    """A parameter has no value valid on the date for some subjects' divisions."""
