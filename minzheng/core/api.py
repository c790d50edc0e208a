"""What every API endpoint shares: the error responses and their documented bodies.

Errors keep DRF's shape (``{"detail": …}`` or field → messages) with a ``code`` added to
single-message errors and bilingual text for the common cases. A 404 is always the same
body, so it never tells whether the object exists outside the caller's jurisdiction, and
an unexpected error is logged here and answered with a fixed message, never a trace.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler
from rest_framework.views import set_rollback

logger = logging.getLogger("minzheng.api")

NOT_FOUND = "未找到 / not found"
INTERNAL_ERROR = "服务器内部错误，已记录 / internal server error (logged)"

# Replaces DRF's own message only when the exception carries its default text.
_BILINGUAL: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "未提供身份凭证 / authentication credentials were not provided",
    exceptions.AuthenticationFailed: "身份验证失败 / authentication failed",
    exceptions.PermissionDenied: "无权执行此操作 / you may not perform this action",
    exceptions.ParseError: "请求内容格式错误 / malformed request",
}
# Replaced whatever their text: a 404 must not differ between "elsewhere" and "nowhere".
_ALWAYS: dict[type[exceptions.APIException], str] = {
    exceptions.NotFound: NOT_FOUND,
    exceptions.Throttled: "请求过于频繁，请稍后再试 / too many requests; try again later",
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's handler with uniform 404s, bilingual common messages and no stack traces."""
    exc = _as_api_exception(exc)
    response = drf_handler(exc, context)
    if response is None:
        return _internal_error(exc, context)
    if isinstance(exc, exceptions.APIException) and isinstance(exc.detail, str):
        response.data = {"detail": _message(exc), "code": exc.get_codes()}
    return response


def _as_api_exception(exc: Exception) -> Exception:
    # Django's exceptions carry text ("No Household matches …") DRF would pass on.
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):  # a service's full_clean()
        return exceptions.ValidationError(serializers.as_serializer_error(exc))
    return exc


def _message(exc: exceptions.APIException) -> str:
    kind = type(exc)
    if kind in _ALWAYS:
        return _ALWAYS[kind]
    if kind in _BILINGUAL and str(exc.detail) == str(kind.default_detail):
        return _BILINGUAL[kind]
    return str(exc.detail)


def _internal_error(exc: Exception, context: dict[str, Any]) -> Response:
    view = context.get("view")
    logger.error("unhandled API error in %s", type(view).__name__, exc_info=exc)
    set_rollback()
    return Response({"detail": INTERNAL_ERROR, "code": "error"}, status=500)


class ErrorSerializer(serializers.Serializer):
    """The body of every single-message error (schema only)."""

    detail = serializers.CharField()
    code = serializers.CharField()


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Documented error responses for ``extend_schema(responses=…)``."""
    described = {
        400: OpenApiResponse(
            description="输入无效：字段 → 错误信息 / invalid input: field → messages"
        ),
        401: OpenApiResponse(ErrorSerializer, description="未登录 / not signed in"),
        403: OpenApiResponse(ErrorSerializer, description="角色无权 / the role does not allow it"),
        404: OpenApiResponse(ErrorSerializer, description="不存在或不在辖区内 / not found"),
        415: OpenApiResponse(
            ErrorSerializer, description="不支持的请求格式 / unsupported Content-Type"
        ),
        429: OpenApiResponse(
            ErrorSerializer, description="请求过多或账户锁定 / throttled or locked"
        ),
    }
    return {code: described[code] for code in codes}


def not_found(request: Any, exception: Exception | None = None) -> Any:
    """``handler404``: JSON under ``/api/`` (a path no route matches), Django's page elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": NOT_FOUND, "code": "not_found"}, status=404)
    return page_not_found(request, exception)


def allow_empty_query_values(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular post-processing hook: DRF reads an empty optional query parameter
    (``?division=``, as a web form sends it) as one not given, so the schema says so."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result
