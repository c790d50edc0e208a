from django.urls import path

from minzheng.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("download/", views.alerts_download, name="download"),
    path("bulk/", views.alerts_bulk, name="bulk"),
    path("<uuid:uid>/", views.alert_detail, name="alert"),
    path("<uuid:uid>/<str:step>/", views.alert_step, name="alert_step"),
]
