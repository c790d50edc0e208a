from django.urls import path

from minzheng.assistance import views

app_name = "assistance"
urlpatterns = [
    path("cases/", views.case_list, name="cases"),
    path("cases/publicity/", views.publicity_list, name="publicity"),
    path("cases/new/<uuid:uid>/", views.case_new, name="case_new"),
    path("cases/<uuid:uid>/", views.case_detail, name="case"),
    path("cases/<uuid:uid>/<str:step>/", views.case_step, name="case_step"),
    path("simulate/", views.simulation_page, name="simulate"),
    path("rosters/", views.roster_list, name="rosters"),
    path("rosters/<int:pk>/", views.roster_detail, name="roster"),
    path("rosters/<int:pk>/download/", views.roster_download, name="roster_download"),
]
