"""On PostgreSQL, row-level security on the monitoring tables that hold personal data (ADR 005).

A feed record whose division code resolves to no division (``division`` NULL) is then
visible to national scope only.
"""

from django.db import migrations

from minzheng.accounts.rls import ProtectTables


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_row_level_security"),
        ("monitoring", "0001_initial"),
    ]
    operations = [
        ProtectTables(
            "monitoring_feedrecord",
            "monitoring_clericalpair",
            "monitoring_layermembership",
        )
    ]
