from django.urls import path

from minzheng.assistance.views import cases, enrolments, parameters, prices, rosters, simulate

app_name = "assistance"
urlpatterns = [
    path("cases/", cases.case_list, name="cases"),
    path("cases/publicity/", cases.publicity_list, name="publicity"),
    path("cases/new/<uuid:uid>/", cases.case_new, name="case_new"),
    path("cases/<uuid:uid>/", cases.case_detail, name="case"),
    path("cases/<uuid:uid>/<str:step>/", cases.case_step, name="case_step"),
    path("cases/<uuid:uid>/attachments/<int:pk>/", cases.attachment_download, name="attachment"),
    path("enrolments/", enrolments.enrolment_list, name="enrolments"),
    path("enrolments/export/", enrolments.enrolment_export, name="enrolments_export"),
    path("enrolments/<uuid:uid>/", enrolments.enrolment_detail, name="enrolment"),
    path("enrolments/<uuid:uid>/<str:step>/", enrolments.enrolment_step, name="enrolment_step"),
    path("reviews/", enrolments.review_list, name="reviews"),
    path("raise/", enrolments.standard_raise, name="raise"),
    path("parameters/", parameters.parameter_page, name="parameters"),
    path("parameters/export/", parameters.parameter_export, name="parameters_export"),
    path("parameters/template/", parameters.parameter_template, name="parameters_template"),
    path("parameters/import/", parameters.parameter_import, name="parameters_import"),
    path("simulate/", simulate.simulation_page, name="simulate"),
    path("rosters/", rosters.roster_list, name="rosters"),
    path("rosters/<int:pk>/", rosters.roster_detail, name="roster"),
    path("rosters/<int:pk>/download/", rosters.roster_download, name="roster_download"),
    path("rosters/<int:pk>/bank/", rosters.roster_bank_result, name="roster_bank"),
    path("prices/", prices.price_page, name="prices"),
]
