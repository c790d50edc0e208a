from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "minzheng.assistance"
    verbose_name = "社会救助 Social assistance"
    default_auto_field = "django.db.models.BigAutoField"
