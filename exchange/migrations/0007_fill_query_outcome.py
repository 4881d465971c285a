# The outcome code of answers stored before `Query.outcome` existed, read from the encrypted
# answer (decrypted here, batch by batch), so the figures count them too. The kinds whose
# answers have an outcome, as they stood when this was written.

import json

from django.db import migrations

OUTCOME_KINDS = ("stop_payment", "freeze", "freeze_release", "freeze_renew", "number_block")
ANSWER_STATUSES = ("answered", "not_found", "failed")
BATCH = 500


def fill_outcomes(apps, schema_editor):
    Query = apps.get_model("gateway", "Query")
    missing = Query.objects.filter(
        kind__in=OUTCOME_KINDS, status__in=ANSWER_STATUSES, outcome="", answer__isnull=False
    ).order_by("pk")
    last = None
    while True:
        batch = list((missing.filter(pk__gt=last) if last else missing).only("pk", "answer")[:BATCH])
        if not batch:
            return
        for query in batch:
            outcome = json.loads(query.answer).get("outcome") or ""
            if outcome:
                Query.objects.filter(pk=query.pk).update(outcome=str(outcome)[:30])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("gateway", "0006_outcome_created_index_erased_at")]

    operations = [migrations.RunPython(fill_outcomes, migrations.RunPython.noop)]
