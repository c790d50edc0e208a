"""``POST /api/v1/assess/``: the calculator over HTTP (the same code as ``minzheng assess``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
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


# JSON types as the schema says: DRF would accept "1" for an integer, 0 for a boolean or
# 12 for a string; a client relying on that breaks against a stricter server.
class StrictBoolean(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictInteger(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class StrictMoney(serializers.DecimalField):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChar(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class StrictChoice(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictRegex(serializers.RegexField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


@extend_schema_field({"oneOf": [{"type": "number"}, {"type": "string", "maxLength": 20}]})
class NumberOrText(serializers.Field):
    """An override value: a number (800, 1.5) or its text ("800.00", "+5%" is not one)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            raise serializers.ValidationError("须为数字或文本 / a number or text")
        if isinstance(data, str) and len(data) > 20:
            raise serializers.ValidationError("过长 / too long")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class StrictDate(serializers.DateField):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(data)


class DisabilitySerializer(serializers.Serializer):
    category = StrictChar(max_length=10, help_text="视力/听力/言语/肢体/智力/精神/多重 or 1–7")
    grade = StrictInteger(min_value=1, max_value=4)


class MemberSerializer(serializers.Serializer):
    id_number = StrictChar(max_length=18, required=False, allow_blank=True)
    relationship = StrictChar(
        max_length=10, required=False, help_text="户主, 配偶, 子 … or a GB/T 4761 code"
    )
    birth_date = StrictDate(required=False)
    sex = StrictChar(max_length=4, required=False, help_text="1/2, 男/女")
    monthly_income = StrictMoney(required=False, **MONEY)
    disability = DisabilitySerializer(required=False, allow_null=True)
    self_care_failed = StrictInteger(min_value=0, max_value=6, required=False)
    serious_illness = StrictBoolean(required=False)
    in_school = StrictBoolean(required=False)
    labour_capacity = StrictChoice(["full", "partial", "none"], required=False)
    annual_medical_expense = StrictMoney(required=False, **MONEY)
    annual_education_expense = StrictMoney(required=False, **MONEY)


class AssetsSerializer(serializers.Serializer):
    financial = StrictMoney(required=False, **MONEY)
    homes = StrictInteger(min_value=0, max_value=1000, required=False)
    vehicles = StrictInteger(min_value=0, max_value=1000, required=False)
    business = StrictBoolean(required=False)


class EmergencySerializer(serializers.Serializer):
    type = StrictChoice(["emergency", "expenditure", "急难型", "支出型"])
    need = StrictMoney(**MONEY)


class AssessRequestSerializer(serializers.Serializer):
    division = StrictRegex(r"^\d{6}(\d{3}){0,2}$", help_text="区划代码（6、9 或 12 位）")
    date = StrictDate(required=False)
    urban = StrictBoolean(required=False, default=True)
    members = MemberSerializer(many=True, min_length=1, max_length=50)
    assets = AssetsSerializer(required=False)
    supporters_able = StrictBoolean(required=False)
    care_mode = StrictChoice(["centralised", "dispersed", "集中", "分散"], required=False)
    emergency = EmergencySerializer(required=False, allow_null=True)
    parameters = serializers.DictField(
        child=NumberOrText(),
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
