from django.urls import path

from minzheng.divisions import views

app_name = "divisions"
urlpatterns = [path("tree/", views.tree, name="tree")]
