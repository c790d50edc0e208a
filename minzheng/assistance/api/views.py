"""``POST /api/v1/assess/``: the calculator over HTTP (the same code as ``minzheng assess``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.accounts.api import SecondFactorVerified, SeesPersonalData
from minzheng.assistance.assess import AssessError
from minzheng.assistance.services import household_assess
from minzheng.core.api import error_responses

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0, "coerce_to_string": False}


class DisabilitySerializer(serializers.Serializer):
    category = serializers.CharField(
        max_length=10, help_text="视力/听力/言语/肢体/智力/精神/多重 or 1–7"
    )
    grade = serializers.IntegerField(min_value=1, max_value=4)


class MemberSerializer(serializers.Serializer):
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True)
    relationship = serializers.CharField(
        max_length=10, required=False, help_text="户主, 配偶, 子 … or a GB/T 4761 code"
    )
    birth_date = serializers.DateField(required=False)
    sex = serializers.CharField(max_length=4, required=False, help_text="1/2, 男/女")
    monthly_income = serializers.DecimalField(required=False, **MONEY)
    disability = DisabilitySerializer(required=False, allow_null=True)
    self_care_failed = serializers.IntegerField(min_value=0, max_value=6, required=False)
    serious_illness = serializers.BooleanField(required=False)
    in_school = serializers.BooleanField(required=False)
    labour_capacity = serializers.ChoiceField(["full", "partial", "none"], required=False)
    annual_medical_expense = serializers.DecimalField(required=False, **MONEY)
    annual_education_expense = serializers.DecimalField(required=False, **MONEY)


class AssetsSerializer(serializers.Serializer):
    financial = serializers.DecimalField(required=False, **MONEY)
    homes = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    vehicles = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    business = serializers.BooleanField(required=False)


class EmergencySerializer(serializers.Serializer):
    type = serializers.ChoiceField(["emergency", "expenditure", "急难型", "支出型"])
    need = serializers.DecimalField(**MONEY)


class AssessRequestSerializer(serializers.Serializer):
    division = serializers.RegexField(r"^\d{6}(\d{3}){0,2}$", help_text="区划代码（6、9 或 12 位）")
    date = serializers.DateField(required=False)
    urban = serializers.BooleanField(required=False, default=True)
    members = MemberSerializer(many=True, min_length=1, max_length=50)
    assets = AssetsSerializer(required=False)
    supporters_able = serializers.BooleanField(required=False)
    care_mode = serializers.ChoiceField(
        ["centralised", "dispersed", "集中", "分散"], required=False
    )
    emergency = EmergencySerializer(required=False, allow_null=True)
    parameters = serializers.DictField(
        child=serializers.CharField(max_length=20),
        required=False,
        help_text='覆盖参数，如 {"dibao_standard": 800}',
    )


class ReasonSerializer(serializers.Serializer):
    test = serializers.CharField()
    title = serializers.CharField()
    passed = serializers.BooleanField()
    text = serializers.CharField(allow_null=True)
    member = serializers.IntegerField(required=False)


class ProgrammeSerializer(serializers.Serializer):
    title = serializers.CharField()
    title_en = serializers.CharField()
    eligible = serializers.BooleanField()
    monthly_amount = serializers.FloatField(help_text="元，两位小数")
    monthly_amount_fen = serializers.IntegerField()
    reasons = ReasonSerializer(many=True)


class ProgrammesSerializer(serializers.Serializer):
    dibao = ProgrammeSerializer()
    tekun = ProgrammeSerializer()
    bianyuan = ProgrammeSerializer()
    gangxing = ProgrammeSerializer()
    temporary = ProgrammeSerializer()


class AssessResponseSerializer(serializers.Serializer):
    division = serializers.CharField()
    division_name = serializers.CharField()
    date = serializers.DateField()
    programmes = ProgrammesSerializer()
    parameters = serializers.DictField()


EXAMPLE = {
    "division": "440106",
    "date": "2024-07-01",
    "urban": True,
    "members": [
        {"relationship": "户主", "birth_date": "1980-05-01", "monthly_income": 500},
        {"relationship": "配偶", "birth_date": "1982-03-01", "monthly_income": 300},
        {"relationship": "子", "birth_date": "2012-09-01", "in_school": True},
    ],
    "assets": {"financial": 10000, "homes": 1, "vehicles": 0, "business": False},
    "parameters": {"dibao_standard": "800"},
}


class AssessView(APIView):
    """Check one household against 低保, 特困, 低保边缘, 刚性支出 and 临时救助.

    Runs the same rule sets as the nightly batch, with the parameters in force for the
    division on the date (overridable per request). Nothing is stored.
    """

    permission_classes = [IsAuthenticated, SecondFactorVerified, SeesPersonalData]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["assistance"],
        operation_id="assess",
        request=AssessRequestSerializer,
        responses={
            200: AssessResponseSerializer,
            **error_responses(400, 401, 403, 415),
        },
        examples=[OpenApiExample("三口之家", value=EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        given = AssessRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            answer: dict[str, Any] = household_assess(request.data)
        except AssessError as err:
            return Response(
                {
                    "detail": f"{err.message} / {err.message_en}",
                    "code": "invalid",
                    "field": err.path,
                },
                status=400,
            )
        return Response(answer)
