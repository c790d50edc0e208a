from django.urls import path

from minzheng.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("<str:pk>/cancel/", views.job_cancel_view, name="cancel"),
]
