"""Grant permissions are no longer declared in `Partner.Meta`: `partners.permissions` makes a
row for each registered request kind after every migrate. Only the model state changes: the
existing `send_<kind>` rows and the grants that hold them stay (Django never deletes a
permission row when its declaration goes), so no grant is lost."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0007_enrolment"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="partner",
            options={"ordering": ["code"]},
        ),
    ]
