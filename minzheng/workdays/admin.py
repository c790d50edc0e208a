"""The calendar in the admin: edits and deletions drop the in-memory calendar."""

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from minzheng.workdays.models import CalendarDay, CalendarYear
from minzheng.workdays.selectors import invalidate_cache


class YearFilter(admin.SimpleListFilter):
    title = "年份"
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        years = CalendarDay.objects.dates("date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(date__year=self.value()) if self.value() else queryset


def _changed() -> None:
    invalidate_cache()
    transaction.on_commit(invalidate_cache)  # again once committed, for reads in between


class _InvalidatesCalendar(admin.ModelAdmin):
    """Edits here change deadlines: this process re-reads the table at once."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _changed()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        _changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        super().delete_queryset(request, queryset)
        _changed()


@admin.register(CalendarDay)
class CalendarDayAdmin(_InvalidatesCalendar):
    list_display = ("date", "kind", "name", "name_en", "source")
    list_filter = ("kind", YearFilter)
    search_fields = ("name", "name_en")
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(_InvalidatesCalendar):
    list_display = ("year", "source", "loaded_at", "note")
    list_filter = ("source",)
    search_fields = ("source", "note")
