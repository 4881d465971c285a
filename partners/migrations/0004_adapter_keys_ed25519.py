"""Adapter keys become Ed25519 public keys (issue 8), and seen nonces move into a table.

An HMAC key cannot be turned into a key pair: its adapter holds a shared secret, not a
private key. So every key still active is revoked here, not deleted: its rows stay as the
history the audit log's key ids point to. Each partner registers a new key (`key_create
--public-key`) before its adapter switches to the new SDK. The shared secrets are dropped:
AFX no longer holds anything an adapter signs with.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def revoke_hmac_keys(apps, schema_editor):
    keys = apps.get_model("partners", "AdapterKey").objects.using(schema_editor.connection.alias)
    keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("partners", "0003_adapterkey_signing_secret_encrypted")]

    operations = [
        migrations.RunPython(revoke_hmac_keys, migrations.RunPython.noop),
        migrations.RemoveField("adapterkey", "key_digest"),
        migrations.RemoveField("adapterkey", "signing_secret"),
        migrations.AddField(
            "adapterkey",
            "public_key",
            models.CharField(
                help_text="base64url of the raw 32-byte Ed25519 public key.", max_length=64, null=True, unique=True
            ),
        ),
        migrations.AlterField(
            "adapterkey",
            "key_id",
            models.CharField(help_text="Names the key in signatures (keyid).", max_length=16, unique=True),
        ),
        migrations.AddConstraint(
            "adapterkey",
            models.CheckConstraint(
                condition=models.Q(("public_key__isnull", False), ("revoked_at__isnull", False), _connector="OR"),
                name="adapter_key_active_has_public_key",
            ),
        ),
        migrations.CreateModel(
            name="SeenNonce",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("nonce", models.CharField(max_length=64)),
                ("expires_at", models.DateTimeField(db_index=True)),
                (
                    "key",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="partners.adapterkey"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("key", "nonce"), name="seen_nonce_once_per_key")
                ],
            },
        ),
    ]
