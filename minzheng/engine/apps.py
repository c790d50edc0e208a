from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "minzheng.engine"
    label = "engine"
