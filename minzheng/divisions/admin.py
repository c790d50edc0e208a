from django.contrib import admin

from minzheng.divisions.models import Division, DivisionChange


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "valid_to", "successor")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent", "successor")


@admin.register(DivisionChange)
class DivisionChangeAdmin(admin.ModelAdmin):
    list_display = ("date", "label", "old_code", "old_name", "new_code", "new_name")
    search_fields = ("old_code", "new_code", "old_name", "new_name")
