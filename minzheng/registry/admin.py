from django.contrib import admin

from minzheng.registry.models import Household, ImportBatch, Person


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ("ref", "hukou_division", "residence_division", "urban", "needs_review")
    search_fields = ("ref",)
    raw_id_fields = ("hukou_division", "residence_division", "head")
    list_select_related = ("hukou_division", "residence_division")


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "sex", "birth_date", "relationship", "household", "id_status")
    search_fields = ("name", "pinyin", "initials")
    raw_id_fields = ("hukou_division", "residence_division", "household", "merged_into")
    list_select_related = ("household",)
    exclude = ("id_number",)  # full ID numbers are shown only on the audited person page (#3)


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "file_name", "status", "rows", "actor")
