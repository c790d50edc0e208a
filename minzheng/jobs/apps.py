from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "minzheng.jobs"
    label = "jobs"
