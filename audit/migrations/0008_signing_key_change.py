"""Signing-key changes (audit.key_history), append-only like the other audit tables."""

from django.db import migrations, models

from audit import append_only


def install(apps, schema_editor):
    append_only.install(schema_editor.connection, ("audit_signingkeychange",))


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_action_registered")]

    operations = [
        migrations.CreateModel(
            name="SigningKeyChange",
            fields=[
                ("number", models.PositiveBigIntegerField(primary_key=True, serialize=False)),
                ("previous_public_key", models.BinaryField(max_length=32)),
                ("public_key", models.BinaryField(max_length=32)),
                ("previous_key_id", models.CharField(max_length=16)),
                ("key_id", models.CharField(help_text="Fingerprint of the new key.", max_length=16)),
                (
                    "head_number",
                    models.PositiveBigIntegerField(help_text="The last head the previous key signed (0: none)."),
                ),
                ("tree_size", models.PositiveBigIntegerField()),
                ("root_hash", models.BinaryField(max_length=32)),
                ("timestamp_ms", models.PositiveBigIntegerField()),
                ("signature", models.BinaryField(max_length=64)),
                ("new_key_signature", models.BinaryField(max_length=64)),
            ],
            options={"ordering": ["number"]},
        ),
        # The table goes with its triggers when this is reversed.
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
