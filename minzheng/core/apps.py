from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "minzheng.core"
    label = "core"
