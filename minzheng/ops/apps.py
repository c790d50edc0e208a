from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "minzheng.ops"
    label = "ops"
