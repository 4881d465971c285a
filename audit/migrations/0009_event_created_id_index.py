# Events by (created_at, id): a time window's id range is then one index-only scan
# (`audit.selectors._ids_of_window`), and the window's newest-first page a scan of that range.
# The single-column index on created_at stays: dropping it is an AlterField, which SQLite
# carries out by rebuilding the table, and the rebuilt table would lack the append-only triggers.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0008_signing_key_change'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['created_at', 'id'], name='audit_created_idx'),
        ),
    ]
