"""Aggregate data-set endpoints: read and write entered values, submit / approve / return.

Thin: validate the input, call one service of :mod:`minzheng.stats.datasets` (the same lock,
jurisdiction and validation as the web form and the CSV import), render. Values travel in
report units (万张), as the form shows them; ``base_value`` is the stored base-unit figure.

Mount with ``path("", include("minzheng.stats.api"))`` inside the v1 API:
``GET/POST stats/values/``, ``GET stats/approvals/``, ``POST stats/approvals/<action>/``.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.accounts.api import SecondFactorVerified, SeesPersonalData
from minzheng.accounts.scope import covers
from minzheng.core.api import ErrorSerializer, error_responses
from minzheng.divisions.models import Division
from minzheng.stats import datasets as svc
from minzheng.stats.catalogue import catalogue
from minzheng.stats.models import DataValue

PERIOD_PATTERN = r"^(19|20)\d{2}(Q[1-4]|-(0[1-9]|1[0-2]))?$"
DIVISION_PATTERN = r"^\d{6}(\d{6})?$"


def _query(name: str, description: str, *, required: bool = False, **schema: Any) -> Any:
    return OpenApiParameter(
        name, str, OpenApiParameter.QUERY, required=required, description=description, **schema
    )


PERIOD = _query("period", "统计期 / period: 2024Q3, 2024-07 or 2024", required=True,
                pattern=PERIOD_PATTERN)  # fmt: skip
DIVISION = _query("division", "县级或以上区划代码 / division code", pattern=DIVISION_PATTERN)


def _datasets() -> list[str]:
    return sorted(svc.datasets())


LOCKED = OpenApiResponse(
    ErrorSerializer, description="已上报或已审批锁定 / submitted or approved: locked"
)
STATUS = {"locked": 409, "forbidden": 403, "not_found": 404}


class DataSetRefused(exceptions.APIException):
    """A service refusal: bilingual ``detail``, ``code`` (locked 409, forbidden 403 …)."""

    def __init__(self, err: svc.DataSetError) -> None:
        super().__init__(f"{err.message} / {err.message_en}", err.code)
        self.status_code = STATUS.get(err.code, 400)
        self.violations = [v.__dict__ for v in err.violations]


class EntrySerializer(serializers.Serializer):
    indicator = serializers.CharField(max_length=16)
    value = serializers.CharField(
        max_length=40, allow_null=True, allow_blank=True,
        help_text="报表单位（如 万张）；null 或空为删除 / in report units; null or blank deletes",
    )  # fmt: skip
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)
    justification = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ValuesWriteSerializer(serializers.Serializer):
    division = serializers.RegexField(DIVISION_PATTERN, help_text="县级区划代码 / county code")
    period = serializers.RegexField(PERIOD_PATTERN, help_text="2024Q3, 2024-07 or 2024")
    values = EntrySerializer(many=True)


class ValueSerializer(serializers.Serializer):
    division = serializers.CharField()
    period = serializers.CharField()
    indicator = serializers.CharField()
    unit = serializers.CharField()
    value = serializers.CharField(help_text="报表单位 / report units")
    base_value = serializers.CharField(help_text="基本单位 / base units as stored")
    comment = serializers.CharField()
    justification = serializers.CharField()
    updated_at = serializers.DateTimeField()


class ApprovalActionSerializer(serializers.Serializer):
    dataset = serializers.ChoiceField(choices=_datasets())
    period = serializers.RegexField(PERIOD_PATTERN)
    division = serializers.RegexField(DIVISION_PATTERN)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


def _division(request: Request, code: str) -> Division:
    """A current division in the caller's jurisdiction; 404 otherwise (never says which)."""
    found = Division.objects.current().filter(code=code.ljust(12, "0")).first()
    if found is None or not covers(request.user, found):
        raise exceptions.NotFound()
    return found


def _call(fn: Any, **kw: Any) -> Any:
    try:
        return fn(**kw)
    except svc.DataSetError as err:
        raise DataSetRefused(err) from None


class DataSetView(APIView):
    permission_classes = [IsAuthenticated, SecondFactorVerified, SeesPersonalData]
    parser_classes = [JSONParser]

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, DataSetRefused) and exc.violations:
            response.data["violations"] = exc.violations
        return response


class ValuesView(DataSetView):
    """填报数值 / entered values of the counties inside the caller's jurisdiction."""

    @extend_schema(
        tags=["stats"],
        operation_id="stats_values_list",
        parameters=[PERIOD, DIVISION, _query("dataset", "数据集 / data set", enum=_datasets())],
        responses={200: ValueSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        period = _call(svc.period_label, text=request.query_params.get("period", ""))
        own = request.user.division
        code = request.query_params.get("division") or (own.code if own else "x")
        division = _division(request, code)
        qs = DataValue.objects.filter(period=period, division_code__startswith=division.prefix)
        dataset = request.query_params.get("dataset")
        if dataset:
            qs = qs.filter(indicator__in=_call(svc.dataset_get, code=dataset).codes)
        return Response(ValueSerializer([_value(r) for r in qs.order_by("division_code",
                                                                        "indicator")], many=True).data)  # fmt: skip

    @extend_schema(
        tags=["stats"],
        operation_id="stats_values_write",
        request=ValuesWriteSerializer,
        responses={200: None, **error_responses(400, 401, 403, 404), 409: LOCKED},
    )
    def post(self, request: Request) -> Response:
        given = ValuesWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        division = _division(request, data["division"])
        entries = {}
        for e in data["values"]:
            ind = _call(svc.indicator_get, code=e["indicator"])
            entries[ind.code] = svc.Entry(
                _call(svc.parse_value, ind=ind, text=e.get("value")),
                e.get("comment"), e.get("justification"),
            )  # fmt: skip
        saved = _call(svc.values_save, actor=request.user, division=division,
                      period=data["period"], entries=entries, source="api")  # fmt: skip
        body = {k: getattr(saved, k) for k in ("created", "updated", "deleted", "unchanged")}
        body["violations"] = [v.__dict__ for v in saved.violations]
        return Response(body)


def _value(r: DataValue) -> dict[str, Any]:
    ind = catalogue().indicators[r.indicator]
    return {
        "division": r.division_code[:6], "period": r.period, "indicator": r.indicator,
        "unit": ind.unit, "value": svc.fmt(svc.to_report(ind, r.value)),
        "base_value": svc.fmt(r.value), "comment": r.comment,
        "justification": r.justification, "updated_at": r.updated_at,
    }  # fmt: skip


class ApprovalsView(DataSetView):
    """审批状态 / approval state of one division's data set; POST submit/approve/return."""

    @extend_schema(tags=["stats"], operation_id="stats_approval_state",
                   parameters=[_query("dataset", "数据集 / data set", required=True,
                                      enum=_datasets()),
                               PERIOD, DIVISION],
                   responses={200: None, **error_responses(400, 401, 403, 404)})  # fmt: skip
    def get(self, request: Request) -> Response:
        q = request.query_params
        ds = _call(svc.dataset_get, code=q.get("dataset", ""))
        period = _call(svc.period_label, text=q.get("period", ""))
        division = _division(request, q.get("division", ""))
        state = svc.approval_state(ds.code, period, division.code)
        return Response({"dataset": ds.code, "period": period,
                         "division": division.short_code, "state": state})  # fmt: skip


ACTIONS = {"submit": svc.dataset_submit, "approve": svc.dataset_approve,
           "return": svc.dataset_return}  # fmt: skip


class ApprovalActionView(DataSetView):
    @extend_schema(tags=["stats"], operation_id="stats_approval_action",
                   parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH,
                                                enum=sorted(ACTIONS))],
                   request=ApprovalActionSerializer,
                   responses={200: None, **error_responses(400, 401, 403, 404), 409: LOCKED})  # fmt: skip
    def post(self, request: Request, action: str) -> Response:
        if action not in ACTIONS:
            raise exceptions.NotFound()
        given = ApprovalActionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        kw = {"actor": request.user, "dataset": data["dataset"], "period": data["period"],
              "division": _division(request, data["division"]), "source": "api"}  # fmt: skip
        if action == "return":
            kw["reason"] = data.get("reason", "")
        row = _call(ACTIONS[action], **kw)
        return Response({"dataset": row.dataset, "period": row.period,
                         "division": row.division_code[:6], "state": row.state})  # fmt: skip


urlpatterns = [
    path("stats/values/", ValuesView.as_view(), name="stats-values"),
    path("stats/approvals/", ApprovalsView.as_view(), name="stats-approvals"),
    path(
        "stats/approvals/<str:action>/", ApprovalActionView.as_view(), name="stats-approval-action"
    ),
]
