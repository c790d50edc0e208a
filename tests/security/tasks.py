"""A module-level task for the row-level security tests (django-tasks needs importable ones)."""

from __future__ import annotations

from django_tasks import task


@task()
def register_household(ref: str, code: str) -> int:
    """Open a household in division ``code`` as county1 (whatever scope the job runs in)."""
    from minzheng.accounts.models import User
    from minzheng.divisions.models import Division
    from minzheng.registry.services import household_register

    division = Division.objects.current().get(code=code.ljust(12, "0"))
    actor = User.objects.get(username="county1")
    return household_register(actor=actor, ref=ref, hukou_division=division).pk
