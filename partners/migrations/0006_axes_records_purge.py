"""Delete what django-axes recorded before it kept only digests of usernames (issue 8).

Until `AXES_USERNAME_CALLABLE` named `partners.sign_in.attempted_username_digest`, axes kept
the username typed at each failed sign-in in clear, and people type phone numbers and other
personal data into that box. Those rows are lockout state: an attempt counts only for
`AXES_COOLOFF_TIME` (15 minutes), and the audit log, not axes, is the record of sign-ins. So
every row of the three tables goes; the worst this loses is a lockout a few minutes early.
Rows written after this migration hold digests only. There is nothing to undo.
"""

from django.db import migrations


def purge_axes_records(apps, schema_editor):
    for model in ("AccessAttempt", "AccessFailureLog", "AccessLog"):
        apps.get_model("axes", model).objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0005_person_enrolment"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(purge_axes_records, migrations.RunPython.noop)]
