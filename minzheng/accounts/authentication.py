"""API authentication: DRF tokens that expire (kept apart from views: DRF imports it early)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def token_expired(token: Token) -> bool:
    """Whether ``token`` is older than ``MINZHENG_TOKEN_HOURS``."""
    return timezone.now() - token.created > dt.timedelta(hours=settings.MINZHENG_TOKEN_HOURS)


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF tokens that stop working ``MINZHENG_TOKEN_HOURS`` after they were issued.

    A new ``POST auth/token/`` after expiry issues a fresh one (the old row is replaced).
    """

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(
                "令牌已过期，请重新登录 / token expired, sign in again"
            )
        return user, token
