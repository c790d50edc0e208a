from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "minzheng.monitoring"
    label = "monitoring"
    verbose_name = "动态监测 / Monitoring"
    default_auto_field = "django.db.models.BigAutoField"
