"""Admin pages for the parameter tables (no personal data): filter by name and division,
every change audited through the same service when saved."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from minzheng.assistance.catalogue import SPECS, UNITS, to_display
from minzheng.assistance.models import Parameter, PriceIndex


@admin.register(Parameter)
class ParameterAdmin(admin.ModelAdmin):
    list_display = ("name", "title", "division_prefix", "shown", "unit", "valid_from", "valid_to",
                    "note")  # fmt: skip
    list_filter = ("name", "valid_to")
    search_fields = ("name", "division_prefix", "note")
    ordering = ("name", "division_prefix", "valid_from")
    readonly_fields = ("created_by",)

    @admin.display(description="名称")
    def title(self, obj: Parameter) -> str:
        s = SPECS.get(obj.name)
        return s.title if s else "—"

    @admin.display(description="取值")
    def shown(self, obj: Parameter) -> str:
        s = SPECS.get(obj.name)
        return to_display(s, obj.value) if s else str(obj.value)

    @admin.display(description="单位")
    def unit(self, obj: Parameter) -> str:
        s = SPECS.get(obj.name)
        return UNITS[s.unit][0] if s else ""

    def save_model(self, request: Any, obj: Parameter, form: Any, change: bool) -> None:
        """Through ``parameter_set``: the open row is closed, overlaps refused, audited."""
        from django.core.exceptions import ValidationError

        from minzheng.assistance.parameters import parameter_set
        from minzheng.core.errors import BilingualError

        try:
            saved, _ = parameter_set(
                actor=request.user, name=obj.name, division_prefix=obj.division_prefix,
                value=obj.value, valid_from=obj.valid_from, valid_to=obj.valid_to, note=obj.note,
            )  # fmt: skip
        except BilingualError as err:
            raise ValidationError(f"{err.message} / {err.message_en}") from err
        obj.pk = saved.pk


@admin.register(PriceIndex)
class PriceIndexAdmin(admin.ModelAdmin):
    list_display = ("division_prefix", "month", "cpi_permille", "food_permille", "source")
    ordering = ("-month", "division_prefix")
