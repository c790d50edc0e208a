"""Template filters: money in 元 with 2 decimals, masked ID numbers."""

from __future__ import annotations

from decimal import Decimal

from django import template

from minzheng.identity.resident_id import mask

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """Integer fen as 元 with two decimals and thousands separators (``123456`` → ``1,234.56``)."""
    if fen is None:
        return ""
    return f"{Decimal(fen) / 100:,.2f}"


@register.filter
def masked(number: str | None) -> str:
    """An ID number with the middle hidden (``440106********123X``)."""
    return mask(number) if number else ""


@register.filter
def minutes(delta: object) -> int:
    """A timedelta in whole minutes (for the lockout page)."""
    seconds = getattr(delta, "total_seconds", lambda: 0)()
    return int(seconds // 60)
