"""One mechanism for changing dated facts: close the open row, open a new one.

``DatedBatch`` collects the changes of many rows so bulk writers (imports, loaders)
issue a handful of statements; ``supersede`` is the single-row form used by services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

from minzheng.core.bulk import fast_insert, fast_update
from minzheng.core.models import Dated

D = TypeVar("D", bound=Dated)


def differs(row: models.Model | None, values: Mapping[str, Any], fields: Iterable[str]) -> bool:
    """True when ``row`` is missing or any of ``fields`` differs from ``values``."""
    return row is None or any(getattr(row, f) != values.get(f) for f in fields)


class DatedBatch:
    """Pending changes to one dated model, written by :meth:`flush` in bulk."""

    def __init__(self, model: type[Dated], fields: Iterable[str]) -> None:
        self.model = model
        self.fields = list(fields)
        self.closed: list[Dated] = []
        self.replaced: list[Dated] = []
        self.created: list[Dated] = []

    def change(self, current: Dated | None, new: Dated, *, on: dt.date) -> Dated:
        """Record that from ``on`` the fact is ``new`` (``current`` is the open row, if any).

        A change on the day the current row started corrects it in place, so a
        same-day correction leaves no zero-length interval behind.
        """
        if current is not None and current.valid_from >= on:
            for f in self.fields:
                setattr(current, f, getattr(new, f))
            self.replaced.append(current)
            return current
        if current is not None:
            current.valid_to = on
            self.closed.append(current)
        new.valid_from, new.valid_to = on, None
        self.created.append(new)
        return new

    def flush(self) -> None:
        """Write the closes first (the open-row constraints), then corrections, then new rows."""
        fast_update(self.model, self.closed, ["valid_to"])
        fast_update(self.model, self.replaced, self.fields)
        fast_insert(self.model, self.created, with_ids=True)
        self.closed, self.replaced, self.created = [], [], []


def supersede(current: D | None, new: D, *, on: dt.date, fields: Iterable[str]) -> D:
    """Close ``current`` on ``on`` (if any) and save ``new`` from that day on.

    Returns the row that now holds the fact: ``new``, or ``current`` corrected in place.
    """
    batch = DatedBatch(type(new), fields)
    row = batch.change(current, new, on=on)
    batch.flush()
    return row  # type: ignore[return-value]
