from django.urls import path

from minzheng.assistance import views

app_name = "assistance"
urlpatterns = [
    path("cases/", views.case_list, name="cases"),
    path("cases/publicity/", views.publicity_list, name="publicity"),
    path("cases/new/<uuid:uid>/", views.case_new, name="case_new"),
    path("cases/<uuid:uid>/", views.case_detail, name="case"),
    path("cases/<uuid:uid>/<str:step>/", views.case_step, name="case_step"),
    path("cases/<uuid:uid>/attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("enrolments/", views.enrolment_list, name="enrolments"),
    path("enrolments/export/", views.enrolment_export, name="enrolments_export"),
    path("enrolments/<uuid:uid>/", views.enrolment_detail, name="enrolment"),
    path("enrolments/<uuid:uid>/<str:step>/", views.enrolment_step, name="enrolment_step"),
    path("reviews/", views.review_list, name="reviews"),
    path("raise/", views.standard_raise, name="raise"),
    path("parameters/", views.parameter_page, name="parameters"),
    path("parameters/export/", views.parameter_export, name="parameters_export"),
    path("parameters/template/", views.parameter_template, name="parameters_template"),
    path("parameters/import/", views.parameter_import, name="parameters_import"),
    path("simulate/", views.simulation_page, name="simulate"),
    path("rosters/", views.roster_list, name="rosters"),
    path("rosters/<int:pk>/", views.roster_detail, name="roster"),
    path("rosters/<int:pk>/download/", views.roster_download, name="roster_download"),
    path("rosters/<int:pk>/bank/", views.roster_bank_result, name="roster_bank"),
    path("prices/", views.price_page, name="prices"),
]
