"""Forms of the registry pages; validation messages in Chinese and English via gettext."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minzheng.divisions.models import Division
from minzheng.divisions.selectors import division_resolve
from minzheng.identity.resident_id import InvalidId, parse
from minzheng.registry import codes
from minzheng.registry.models import Household, Person


class DivisionCodeField(forms.CharField):
    """A 6/9/12-digit division code, resolved to the current division (retired codes map)."""

    def clean(self, value: Any) -> Division | None:
        value = super().clean(value)
        if not value:
            return None
        res = division_resolve(value)
        if res is None:
            raise forms.ValidationError(_("行政区划代码“%(code)s”不存在"), params={"code": value})
        return res.division


class HouseholdSearchForm(forms.Form):
    q = forms.CharField(label=_("身份证号 / 姓名 / 拼音 / 地址"), required=False)
    division = forms.ModelChoiceField(
        queryset=Division.objects.current(), required=False, widget=forms.HiddenInput
    )
    needs_review = forms.BooleanField(label=_("仅待核实"), required=False)


class HouseholdCreateForm(forms.Form):
    ref = forms.CharField(label=_("户编号"), max_length=64)
    hukou_division = DivisionCodeField(label=_("户籍地行政区划代码"), max_length=12)
    address = forms.CharField(label=_("居住地址"), max_length=200, required=False)
    urban = forms.NullBooleanField(label=_("城镇"), required=False)

    def clean_ref(self) -> str:
        ref = self.cleaned_data["ref"].strip()
        if Household.objects.filter(ref=ref).exists():
            raise forms.ValidationError(_("户编号已存在"))
        return ref


class HouseholdEditForm(forms.Form):
    address = forms.CharField(label=_("居住地址"), max_length=200, required=False)
    residence_division = DivisionCodeField(label=_("居住地行政区划代码"), max_length=12)
    urban = forms.NullBooleanField(label=_("城镇"), required=False)


class MemberForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("公民身份号码"), max_length=30, required=False)
    relationship = forms.ChoiceField(
        label=_("与户主关系"), choices=codes.choices(codes.RELATIONSHIP)
    )

    def clean_id_number(self) -> str | None:
        raw = self.cleaned_data["id_number"].strip()
        if not raw:
            return None
        try:
            number = parse(raw).number
        except InvalidId as exc:
            raise forms.ValidationError(exc.message if self._zh() else exc.message_en) from exc
        if Person.objects.filter(id_number=number).exists():
            raise forms.ValidationError(_("该身份证号已登记，请使用人员迁户"))
        return number

    @staticmethod
    def _zh() -> bool:
        from django.utils.translation import get_language

        return (get_language() or "zh").startswith("zh")


class PersonEditForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    labour_capacity = forms.ChoiceField(
        label=_("劳动能力"), required=False, choices=[("", "—"), *codes.choices(codes.LABOUR)]
    )
    disability_category = forms.ChoiceField(
        label=_("残疾类别"), required=False, choices=[("", "—"), *codes.choices(codes.DISABILITY)]
    )
    disability_grade = forms.ChoiceField(
        label=_("残疾等级"),
        required=False,
        choices=[("", "—"), *codes.choices(codes.DISABILITY_GRADE)],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("disability_grade") and not data.get("disability_category"):
            self.add_error("disability_category", _("填写了残疾等级但缺少残疾类别"))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=_("文件"))

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".xls", ".xlsx", ".csv")):
            raise forms.ValidationError(_("仅允许导入 xls、xlsx、csv 格式文件"))
        return f
