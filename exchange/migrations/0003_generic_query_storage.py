# Generic storage for every request kind: a query's subject (with its kind and blind index),
# its answer as one encrypted document, the identifiers answers name as Finding rows, the
# parent of a trace's next tier, and the statuses awaiting_approval and cancelled.
#
# Existing order lookups are carried over. Encrypted values are bound to (model, field, row),
# so ciphertext cannot be copied between columns: each value is decrypted from its old
# column and encrypted again for its new one, and its blind index computed again.

import json
import uuid
from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
import privacy.fields
from django.db import migrations, models
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

SUBJECT_KINDS = [
    ('account', 'Bank account or card number'),
    ('name', "Person's name"),
    ('id_number', 'Identity document number'),
    ('phone', 'Phone number'),
    ('order_number', 'Payment order number'),
]
STATUSES = [
    ('awaiting_approval', 'Awaiting approval by a supervisor'),
    ('pending', 'Pending: waiting to be delivered'),
    ('dispatched', 'Dispatched: delivered to the partner'),
    ('answered', 'Answered'),
    ('not_found', 'Not found by the partner'),
    ('failed', 'Failed: the partner could not answer'),
    ('expired', 'Expired: no answer before the deadline'),
    ('refused', 'Refused by the gateway'),
    ('cancelled', 'Cancelled before it was answered'),
]
# Rendered as the order lookup's answer schema renders them, so old and new answers read alike.
AMOUNT = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
PAID_AT = serializers.DateTimeField(allow_null=True)


def _immediate_constraints(schema_editor):
    """PostgreSQL cannot alter a table with deferred constraint checks still queued: run them."""
    if schema_editor.connection.vendor == 'postgresql':
        schema_editor.execute('SET CONSTRAINTS ALL IMMEDIATE')


def carry_forward(apps, schema_editor):
    Query = apps.get_model('gateway', 'Query')
    Finding = apps.get_model('gateway', 'Finding')
    db = schema_editor.connection.alias
    for query in Query.objects.using(db).order_by('pk').iterator(chunk_size=500):
        query.subject_kind = 'order_number'
        query.subject = query.order_number or ''
        account = query.result_account
        if account is not None:
            query.answer = json.dumps(
                {
                    'bank': query.result_bank,
                    'account_number': account,
                    'holder_name': query.result_holder or '',
                    'amount': None if query.result_amount is None else AMOUNT.to_representation(query.result_amount),
                    'paid_at': None if query.result_paid_at is None else PAID_AT.to_representation(query.result_paid_at),
                },
                ensure_ascii=False,
            )
        query.save(using=db, update_fields=['subject_kind', 'subject', 'subject_index', 'answer'])
        if account is not None:
            Finding.objects.using(db).create(
                query_id=query.pk,
                case_id=query.case_id,
                partner_id=query.partner_id,
                kind='account',
                value=account,
                created_at=query.answered_at or query.created_at,
            )
    _immediate_constraints(schema_editor)


def carry_back(apps, schema_editor):
    Query = apps.get_model('gateway', 'Query')
    db = schema_editor.connection.alias
    for query in Query.objects.using(db).filter(kind='order_lookup').order_by('pk').iterator(chunk_size=500):
        query.order_number = query.subject
        fields = ['order_number', 'order_number_index']
        if query.answer is not None:
            answer = json.loads(query.answer)
            query.result_bank = answer['bank']
            query.result_account = answer['account_number']
            query.result_holder = answer['holder_name']
            query.result_amount = None if answer.get('amount') is None else Decimal(answer['amount'])
            query.result_paid_at = None if answer.get('paid_at') is None else parse_datetime(answer['paid_at'])
            fields += [
                'result_bank', 'result_account', 'result_account_index', 'result_holder', 'result_amount',
                'result_paid_at',
            ]
        query.save(using=db, update_fields=fields)
    _immediate_constraints(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('gateway', '0002_query_partner_reason'),
        ('partners', '0002_partner_input_formats'),
        ('privacy', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='query',
            name='subject_kind',
            field=models.CharField(choices=SUBJECT_KINDS, default='order_number', max_length=20),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='query',
            name='subject',
            field=privacy.fields.EncryptedTextField(kind_field='subject_kind', null=True),
        ),
        migrations.AddField(
            model_name='query',
            name='subject_index',
            field=privacy.fields.BlindIndexField(source='subject'),
        ),
        migrations.AddField(
            model_name='query',
            name='answer',
            field=privacy.fields.EncryptedTextField(blank=True, kind='free_text', null=True),
        ),
        migrations.AddField(
            model_name='query',
            name='parent',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='gateway.query'),
        ),
        migrations.AlterField(
            model_name='query',
            name='kind',
            field=models.CharField(help_text='A request kind of `exchange.kinds`.', max_length=40),
        ),
        migrations.AlterField(
            model_name='query',
            name='status',
            field=models.CharField(choices=STATUSES, default='pending', max_length=20),
        ),
        migrations.CreateModel(
            name='Finding',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('kind', models.CharField(choices=[('account', 'Bank account or card number'), ('phone', 'Phone number')], max_length=10)),
                ('value', privacy.fields.EncryptedTextField(kind_field='kind')),
                ('value_index', privacy.fields.BlindIndexField(db_index=False, source='value')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='findings', to='gateway.case')),
                ('partner', models.ForeignKey(help_text='The partner that answered.', on_delete=django.db.models.deletion.PROTECT, related_name='findings', to='partners.partner')),
                ('query', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='findings', to='gateway.query')),
            ],
            options={
                'ordering': ['created_at'],
                'indexes': [models.Index(fields=['value_index', 'case'], name='finding_value_case_idx')],
            },
        ),
        migrations.RunPython(carry_forward, carry_back),
        migrations.RemoveField(model_name='query', name='order_number_index'),
        migrations.RemoveField(model_name='query', name='order_number'),
        migrations.RemoveField(model_name='query', name='result_account_index'),
        migrations.RemoveField(model_name='query', name='result_account'),
        migrations.RemoveField(model_name='query', name='result_amount'),
        migrations.RemoveField(model_name='query', name='result_bank'),
        migrations.RemoveField(model_name='query', name='result_holder'),
        migrations.RemoveField(model_name='query', name='result_paid_at'),
        migrations.AlterField(
            model_name='query',
            name='subject',
            field=privacy.fields.EncryptedTextField(kind_field='subject_kind'),
        ),
    ]
