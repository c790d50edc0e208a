from django.urls import path

from minzheng.monitoring.views import alerts, discoveries, feeds, linkage

app_name = "monitoring"

urlpatterns = [
    path("", alerts.inbox, name="inbox"),
    path("dashboard/", alerts.dashboard, name="dashboard"),
    path("download/", alerts.alerts_download, name="download"),
    path("bulk/", alerts.alerts_bulk, name="bulk"),
    path("feeds/", feeds.feed_page, name="feeds"),
    path("feeds/<int:pk>/", feeds.feed_batch, name="feed_batch"),
    path("feeds/template/<str:name>/", feeds.feed_template, name="feed_template"),
    path("discoveries/", discoveries.discovery_list, name="discoveries"),
    path("discoveries/<int:pk>/", discoveries.discovery_step, name="discovery_step"),
    path("clerical/", linkage.clerical_queue, name="clerical"),
    path("clerical/<int:pk>/", linkage.clerical_step, name="clerical_step"),
    path("<uuid:uid>/", alerts.alert_detail, name="alert"),
    path("<uuid:uid>/<str:step>/", alerts.alert_step, name="alert_step"),
]
