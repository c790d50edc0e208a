"""On PostgreSQL, row-level security on the registry's personal-data tables (ADR 005)."""

from django.db import migrations

from minzheng.accounts.rls import ProtectTables


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_audit_append_only"),
        ("divisions", "0001_initial"),
        ("registry", "0001_initial"),
    ]
    operations = [
        ProtectTables(
            "registry_household",
            "registry_person",
            "registry_membership",
            "registry_location",
            "registry_condition",
            "registry_income",
            "registry_asset",
        )
    ]
