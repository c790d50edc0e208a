from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "minzheng.stats"
    label = "stats"
    verbose_name = "统计 / statistics"
    default_auto_field = "django.db.models.BigAutoField"
