"""One mechanism for changing a dated fact: close the open row, open a new one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

from minzheng.core.models import Dated

D = TypeVar("D", bound=Dated)


def differs(row: models.Model, values: Mapping[str, Any], fields: Iterable[str]) -> bool:
    """True when any of ``fields`` of ``row`` differs from ``values``."""
    return any(getattr(row, f) != values.get(f) for f in fields)


def supersede(current: D | None, new: D, *, on: dt.date) -> D:
    """Close ``current`` on ``on`` (if any) and save ``new`` starting that day.

    A change on the very day the current row started replaces it in place, so a
    same-day correction leaves no zero-length interval behind.
    """
    new.valid_from = on
    new.valid_to = None
    if current is not None:
        if current.valid_from >= on:
            new.pk = current.pk
            new.valid_from = current.valid_from
        else:
            current.valid_to = on
            current.save(update_fields=["valid_to"])
    new.save()
    return new
