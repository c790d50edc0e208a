"""How the registry looks over the API, and the few inputs the API accepts.

No rule lives here: jurisdiction is the selectors', changes are the services'. ID numbers
are masked everywhere except in the one-person representation (a logged read).
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from minzheng.divisions.models import Division
from minzheng.divisions.selectors import division_resolve
from minzheng.identity.resident_id import mask, normalise
from minzheng.registry.models import Asset, Household, Income, Person
from minzheng.registry.selectors import HouseholdFile

_CODE = re.compile(r"[0-9]{6}([0-9]{3}){0,2}")
_ID_IN_TEXT = re.compile(r"[0-9]{15}")  # 15 digits in a row: a legacy or 18-character number


@extend_schema_field(
    {
        "type": "string",
        "pattern": f"^{_CODE.pattern}$",
        "example": "440106",
        "description": "6 位（县级及以上）或 9 位（乡级）区划代码 / 6-digit (county and up) "
        "or 9-digit (township) division code",
    }
)
class DivisionCodeField(serializers.Field):
    """A division as its short code; input takes 6/9/12 digits, a retired code its successor."""

    default_error_messages = {
        "unknown": "行政区划代码“{code}”不存在 / unknown division code {code}",
    }

    def to_representation(self, value: Division) -> str:
        return value.short_code

    def to_internal_value(self, data: Any) -> Division:
        code = str(data).strip()[:12]
        found = division_resolve(code) if _CODE.fullmatch(code) else None
        if found is None:
            self.fail("unknown", code=code)
        return found.division  # type: ignore[union-attr]


class MaskedIdField(serializers.CharField):
    """An ID number shown as ``440106********123X``."""

    def to_representation(self, value: Any) -> str:
        return mask(str(value))


class SearchTextField(serializers.CharField):
    """Free text for a query string; an ID number must not travel in a URL."""

    default_error_messages = {
        "id_number": "身份证号不能出现在网址中，请使用 POST /api/v1/persons/search/ / "
        "ID numbers must not appear in URLs; use POST /api/v1/persons/search/",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs = {"required": False, "allow_blank": True, "max_length": 100, **kwargs}
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        if _ID_IN_TEXT.search(normalise(text)):
            self.fail("id_number")
        return text


def _division_name(source: str) -> serializers.CharField:
    return serializers.CharField(source=f"{source}.name", read_only=True, allow_null=True)


def _uid_of(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="uid", read_only=True, **kwargs)


class HouseholdSerializer(serializers.ModelSerializer):
    hukou_division = DivisionCodeField(read_only=True)
    hukou_division_name = _division_name("hukou_division")
    residence_division = DivisionCodeField(read_only=True, allow_null=True)
    residence_division_name = _division_name("residence_division")
    head = _uid_of(allow_null=True)
    head_name = serializers.CharField(source="head.name", read_only=True, allow_null=True)

    class Meta:
        model = Household
        fields = [
            "uid",
            "ref",
            "hukou_division",
            "hukou_division_name",
            "residence_division",
            "residence_division_name",
            "address",
            "urban",
            "head",
            "head_name",
            "needs_review",
            "review_note",
            "updated_at",
        ]
        read_only_fields = fields


class HouseholdSummarySerializer(HouseholdSerializer):
    member_count = serializers.IntegerField(read_only=True)

    class Meta(HouseholdSerializer.Meta):
        fields = [*HouseholdSerializer.Meta.fields, "member_count"]
        read_only_fields = fields


class PersonSummarySerializer(serializers.ModelSerializer):
    """A person in a list: the ID number masked, no birth date or phone."""

    id_number = MaskedIdField(read_only=True, allow_null=True)
    relationship_name = serializers.CharField(source="get_relationship_display", read_only=True)
    household = _uid_of(allow_null=True)
    household_ref = serializers.CharField(source="household.ref", read_only=True, allow_null=True)
    hukou_division = DivisionCodeField(read_only=True, allow_null=True)
    hukou_division_name = _division_name("hukou_division")
    residence_division = DivisionCodeField(read_only=True, allow_null=True)
    residence_division_name = _division_name("residence_division")

    class Meta:
        model = Person
        fields = [
            "uid",
            "name",
            "id_number",
            "id_status",
            "sex",
            "relationship",
            "relationship_name",
            "household",
            "household_ref",
            "hukou_division",
            "hukou_division_name",
            "residence_division",
            "residence_division_name",
        ]
        read_only_fields = fields


class PersonSerializer(PersonSummarySerializer):
    """One person, with the full ID number (every read of it is audited)."""

    id_number = serializers.CharField(read_only=True, allow_null=True)
    merged_into = _uid_of(allow_null=True)

    class Meta(PersonSummarySerializer.Meta):
        fields = [
            *PersonSummarySerializer.Meta.fields,
            "pinyin",
            "birth_date",
            "phone",
            "merged_into",
            "updated_at",
        ]
        read_only_fields = fields


class IncomeSerializer(serializers.ModelSerializer):
    """A current monthly income, in fen."""

    person = _uid_of()
    person_name = serializers.CharField(source="person.name", read_only=True)
    kind = serializers.CharField(read_only=True)
    kind_name = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Income
        fields = [
            "person",
            "person_name",
            "kind",
            "kind_name",
            "monthly_fen",
            "source",
            "valid_from",
        ]
        read_only_fields = fields


class AssetSerializer(serializers.ModelSerializer):
    """A current household asset: value in fen, or a count."""

    person = _uid_of(allow_null=True)
    kind = serializers.CharField(read_only=True)
    kind_name = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Asset
        fields = [
            "person",
            "kind",
            "kind_name",
            "value_fen",
            "quantity",
            "description",
            "source",
            "valid_from",
        ]
        read_only_fields = fields


class HouseholdFileSerializer(HouseholdSerializer):
    """A household file (一户一档) as ``household_file`` selected it for the caller."""

    members = PersonSummarySerializer(many=True, read_only=True)
    incomes = IncomeSerializer(many=True, read_only=True)
    assets = AssetSerializer(many=True, read_only=True)

    class Meta(HouseholdSerializer.Meta):
        fields = [*HouseholdSerializer.Meta.fields, "members", "incomes", "assets"]
        read_only_fields = fields

    def to_representation(self, instance: HouseholdFile) -> dict[str, Any]:
        data = dict(HouseholdSerializer(instance.household, context=self.context).data)
        for name in ("members", "incomes", "assets"):
            data[name] = self.fields[name].to_representation(getattr(instance, name))
        return data


class HouseholdFilterSerializer(serializers.Serializer):
    q = SearchTextField(help_text="姓名、拼音、地址或户编号 / name, pinyin, address or ref")
    division = DivisionCodeField(
        required=False, help_text="户籍地或居住地在此区划内 / hukou or residence inside"
    )
    needs_review = serializers.BooleanField(
        required=False, default=False, help_text="仅待核实 / flagged for review only"
    )


class PersonFilterSerializer(serializers.Serializer):
    q = SearchTextField(help_text="姓名或拼音 / name or pinyin")
    division = DivisionCodeField(
        required=False, help_text="户籍地或居住地在此区划内 / hukou or residence inside"
    )


class IdSearchSerializer(serializers.Serializer):
    id_number = serializers.CharField(
        max_length=30, help_text="公民身份号码（只放在请求体中） / resident ID number (body only)"
    )


class HouseholdUpdateSerializer(serializers.Serializer):
    # The length is checked on the text as sent (what the schema promises), then trimmed.
    address = serializers.CharField(
        max_length=200, allow_blank=True, required=False, trim_whitespace=False
    )
    residence_division = DivisionCodeField(
        required=False, help_text="须在本人辖区内 / must lie inside your jurisdiction"
    )
    urban = serializers.BooleanField(allow_null=True, required=False)

    def validate_address(self, value: str) -> str:
        return value.strip()
