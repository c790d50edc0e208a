"""On PostgreSQL, row-level security on the assistance tables that hold personal data (ADR 005)."""

from django.db import migrations

from minzheng.accounts.rls import ProtectTables


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_row_level_security"),
        ("assistance", "0004_lifecycle_price"),
    ]
    operations = [
        ProtectTables(
            "assistance_case",
            "assistance_caseevent",
            "assistance_attachment",
            "assistance_homevisit",
            "assistance_objection",
            "assistance_enrolment",
            "assistance_enrolmentchange",
            "assistance_payment",
        )
    ]
