from minzheng.stats.views import dashboard, datasets, people, reports

app_name = "stats"

urlpatterns = [*dashboard.urls, *datasets.urls, *people.urls, *reports.urls]
