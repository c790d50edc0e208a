from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "minzheng.assistance"
    verbose_name = "社会救助 Social assistance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from minzheng.registry.signals import person_died

        person_died.connect(_stop_on_death, dispatch_uid="assistance-stop-on-death")


def _stop_on_death(
    sender: object, person: object, on: object, actor: object = None, **kw: object
) -> None:
    from minzheng.assistance.payments import stop_on_death

    stop_on_death(person, on, actor)  # type: ignore[arg-type]
