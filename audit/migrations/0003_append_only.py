"""Triggers that refuse UPDATE and DELETE on the audit tables and queue new events (see audit.append_only)."""

from django.db import migrations

from audit import append_only


def install(apps, schema_editor):
    append_only.install(schema_editor.connection, append_only.FIRST_TABLES)


def remove(apps, schema_editor):
    append_only.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_tree")]

    operations = [migrations.RunPython(install, remove)]
