"""View decorators: who may open a page (jurisdiction is applied by the selectors)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from minzheng.accounts.models import User

View = Callable[..., HttpResponse]


def _requires(attr: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not getattr(request.user, attr, False):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


data_required = _requires("sees_personal_data")
login_required_view = _requires("is_authenticated")
edit_required = _requires("can_edit_registry")


class AuthedRequest(HttpRequest):
    """A request behind ``login_required``: ``user`` is a real :class:`User` (for the types)."""

    user: User
