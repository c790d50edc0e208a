"""List pages: page size 10/20/50/100, '共 N 条', jump to page N."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZES = (10, 20, 50, 100)


def paginate(request: HttpRequest, qs: QuerySet, default: int = 20) -> dict[str, Any]:
    """The page asked for by ``?page=&size=`` and what the pager template needs."""
    try:
        size = int(request.GET.get("size", default))
    except ValueError:
        size = default
    size = size if size in PAGE_SIZES else default
    paginator = Paginator(qs, size)
    page: Page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return {
        "page": page,
        "size": size,
        "sizes": PAGE_SIZES,
        "total": paginator.count,
        "query": params.urlencode(),
        "window": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
    }
