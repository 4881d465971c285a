"""Personal data encrypted at rest, searchable by blind index, masked by default, revealed on purpose.

What other apps use:
- `privacy.fields.EncryptedTextField(kind=...)` and `BlindIndexField(source=...)`, on models
  with a UUID primary key that has a default; `kind_field=...` instead of `kind` for a
  column whose kind is each row's own (a query's subject);
- `privacy.selectors.blind_index_filter(model, field_name, value, kind=...) -> Q` to search
  (`kind` is needed, and matched, for a `kind_field` column);
- `privacy.masking.mask(kind, value)`, `privacy.serializers.MaskedField` and
  `privacy.admin.MaskedFieldsAdminMixin` to show values;
- `audit.reveal.reveal_field(actor=..., obj=..., field_name=..., purpose=...)` (or
  `reveal_values` for parts of a document) for plaintext;
- `manage.py keys_rotate` and `manage.py keys_status` to operate the keys.
"""
