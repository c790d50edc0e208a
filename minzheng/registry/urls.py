from django.urls import path

from minzheng.registry.views import households, imports, persons

app_name = "registry"
urlpatterns = [
    path("households/", households.household_list, name="households"),
    path("households/export/", households.household_export, name="households_export"),
    path("households/new/", households.household_create, name="household_create"),
    path("households/<uuid:uid>/", households.household_detail, name="household"),
    path("households/<uuid:uid>/edit/", households.household_edit, name="household_edit"),
    path("households/<uuid:uid>/members/new/", households.member_add, name="member_add"),
    path(
        "households/<uuid:uid>/reviewed/", households.household_reviewed, name="household_reviewed"
    ),
    path("persons/", persons.person_list, name="persons"),
    path("persons/export/", persons.person_export, name="persons_export"),
    path("persons/<uuid:uid>/", persons.person_detail, name="person"),
    path("persons/<uuid:uid>/edit/", persons.person_edit, name="person_edit"),
    path("quality/", persons.quality_queue, name="quality"),
    path("import/", imports.import_page, name="import"),
    path("import/template/", imports.import_template, name="import_template"),
    path("import/<int:pk>/", imports.import_status, name="import_status"),
    path("import/<int:pk>/errors/", imports.import_errors, name="import_errors"),
]
