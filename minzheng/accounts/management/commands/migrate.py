"""``migrate`` as the owner role when ``MIGRATE_DATABASE_URL`` is set (ADR 005).

The app role (``DATABASE_URL``) owns nothing and cannot create tables, so ``minzheng init``
and ``minzheng manage migrate`` run the migrations on the ``owner`` connection instead;
``--database`` still chooses explicitly.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections


class Command(MigrateCommand):
    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        if "owner" in connections:
            parser.set_defaults(database="owner")
