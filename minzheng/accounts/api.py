"""API sign-in (a token for a password, plus a TOTP code where two factors are required)
and the role permissions every registry endpoint checks.

Sign-in goes through ``django.contrib.auth.authenticate(request=…)``, so django-axes
counts failures and refuses locked-out users exactly as on the web login page.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate, user_login_failed
from django.contrib.auth.models import update_last_login
from django.db import transaction
from django_otp import match_token
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from minzheng.accounts.authentication import token_expired
from minzheng.accounts.middleware import needs_second_factor
from minzheng.accounts.models import User
from minzheng.accounts.services import Audit, audit_record
from minzheng.core.api import error_responses


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text="动态验证码（需两步验证的账户） / TOTP code, for accounts that need two factors",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="以 `Authorization: Token <token>` 发送 / send as header"
    )


class BadCredentials(exceptions.APIException):
    status_code = 400
    default_detail = "用户名或密码错误 / wrong username or password"
    default_code = "invalid_credentials"


class OtpRequired(exceptions.APIException):
    status_code = 400
    default_detail = "该账户需要动态验证码（otp） / this account needs a one-time code (otp)"
    default_code = "otp_required"


class BadOtp(exceptions.APIException):
    status_code = 400
    default_detail = "动态验证码错误 / wrong one-time code"
    default_code = "invalid_otp"


class LockedOut(exceptions.APIException):
    """Too many failures (django-axes); 429 like axes' own lockout page, with Retry-After."""

    status_code = 429
    default_detail = "登录失败次数过多，账户已暂时锁定 / too many failed sign-ins; account locked"
    default_code = "locked_out"

    def __init__(self, request: Request) -> None:
        super().__init__()
        cool_off = get_cool_off(request)
        self.wait = int(cool_off.total_seconds()) if cool_off else None


class TokenThrottle(AnonRateThrottle):
    """Per client address, on top of axes' per-username lockout (spraying many usernames).

    Rate: ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]``, else 30 a minute.
    """

    scope = "token"

    def get_rate(self) -> str:
        return (api_settings.DEFAULT_THROTTLE_RATES or {}).get(self.scope) or "30/min"


class TokenView(APIView):
    """Exchange a username and password (and TOTP code) for an API token."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    throttle_classes = [TokenThrottle]

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        db = transaction.get_connection()
        atomic = db.settings_dict.get("ATOMIC_REQUESTS") and db.in_atomic_block
        if atomic and isinstance(exc, BadCredentials | BadOtp | LockedOut):
            # The request is one transaction (ADR 005) and DRF rolls it back on an error;
            # django-axes' record of this failure must stay, or the lockout never comes.
            # A refused sign-in writes nothing else.
            transaction.set_rollback(False)
        return response

    @extend_schema(
        operation_id="auth_token",
        tags=["auth"],
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="code: invalid_credentials / otp_required / invalid_otp，"
                "或字段错误 / or field errors",
            ),
            **error_responses(415, 429),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        given = TokenRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        user = _sign_in(request, **given.validated_data)
        token, _created = Token.objects.get_or_create(user=user)
        if token_expired(token):  # an expired token is replaced, never revived
            token.delete()
            token = Token.objects.create(user=user)
        return Response(TokenSerializer({"token": token.key}).data)


def _sign_in(request: Request, *, username: str, password: str, otp: str = "") -> User:
    # The DRF request, not request._request: axes marks a lockout on the object it is
    # given, and AxesMiddleware would turn a mark on the HttpRequest into an HTML page.
    user = authenticate(request=request, username=username, password=password)
    if user is None:
        raise _failure(request, BadCredentials())
    if needs_second_factor(user):
        _verify_otp(request, user, otp.strip())
    _signed_in(user)
    return user


def _verify_otp(request: Request, user: Any, otp: str) -> None:
    if not otp:
        raise OtpRequired()
    if match_token(user, otp) is None:
        # Counted like a wrong password, so codes cannot be guessed without limit.
        user_login_failed.send(
            sender=__name__, credentials={"username": user.get_username()}, request=request
        )
        raise _failure(request, BadOtp())


def _failure(request: Request, error: exceptions.APIException) -> exceptions.APIException:
    return LockedOut(request) if getattr(request, "axes_locked_out", False) else error


def _signed_in(user: Any) -> None:
    # What the user_logged_in signal would do, without the session axes would create for it.
    if settings.AXES_RESET_ON_SUCCESS:
        axes_reset(username=user.get_username())
    update_last_login(type(user), user)
    audit_record(actor=user, events=[Audit("login", "user", user.pk, summary="API 令牌登录")])


class SecondFactorVerified(BasePermission):
    """A web session whose user must use two factors counts only after the TOTP step.

    TwoFactorMiddleware lets ``/api/`` through (API clients cannot follow its redirect),
    so without this a password-only session would reach personal data over the API.
    Tokens need no check: they are issued only after the second factor.
    """

    message = "需先完成动态验证码验证 / verify your one-time code first"

    def has_permission(self, request: Request, view: Any) -> bool:
        if not isinstance(request.successful_authenticator, SessionAuthentication):
            return True
        is_verified = getattr(request.user, "is_verified", None)
        return not needs_second_factor(request.user) or bool(is_verified and is_verified())


class SeesPersonalData(BasePermission):
    """Holders of a data role only: administrators get 403 on every registry endpoint.

    Checked before any object is looked up, so the 403 says nothing about existence.
    """

    message = "您的角色无权查看个人信息 / your role may not see personal data"

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(getattr(request.user, "sees_personal_data", False))


class CanEditRegistry(BasePermission):
    """Holders of a registry-writing role (analysts only read)."""

    message = "您的角色无权修改登记信息 / your role may not change the registry"

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(getattr(request.user, "can_edit_registry", False))
