"""Personal data encrypted at rest, searchable by blind index, masked by default, revealed on purpose.

What other apps use:
- `privacy.fields.EncryptedTextField(kind=...)` and `BlindIndexField(source=...)`, on models
  with a UUID primary key that has a default;
- `privacy.selectors.blind_index_filter(model, field_name, value) -> Q` to search;
- `privacy.masking.mask(kind, value)`, `privacy.serializers.MaskedField` and
  `privacy.admin.MaskedFieldsAdminMixin` to show values;
- `audit.reveal.reveal_field(actor=..., obj=..., field_name=..., purpose=...)` for plaintext;
- `manage.py keys_rotate` and `manage.py keys_status` to operate the keys.
"""
