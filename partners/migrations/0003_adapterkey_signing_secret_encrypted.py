"""Adapter signing secrets move onto an encrypted field (issue 3): the secret is encrypted
under its final field name, since each ciphertext is bound to model, field and row."""

from django.db import migrations

import privacy.fields
from privacy.keyring import data_keys_ensure


def encrypt_secrets(apps, schema_editor):
    keys = apps.get_model("partners", "AdapterKey").objects.using(schema_editor.connection.alias)
    if keys.exists():
        # The first data keys are otherwise made after `migrate` has finished.
        data_keys_ensure(using=schema_editor.connection.alias)
    for key in keys.only("pk", "signing_secret_plain"):
        key.signing_secret = key.signing_secret_plain
        key.save(update_fields=["signing_secret"])


class Migration(migrations.Migration):
    dependencies = [("partners", "0002_partner_input_formats"), ("privacy", "0001_initial")]

    operations = [
        migrations.RenameField("adapterkey", "signing_secret", "signing_secret_plain"),
        migrations.AddField(
            "adapterkey", "signing_secret", privacy.fields.EncryptedTextField(kind="secret", null=True)
        ),
        migrations.RunPython(encrypt_secrets, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField("adapterkey", "signing_secret_plain"),
        migrations.AlterField("adapterkey", "signing_secret", privacy.fields.EncryptedTextField(kind="secret")),
    ]
