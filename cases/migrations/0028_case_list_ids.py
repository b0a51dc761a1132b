from django.db import migrations, models

from bokvar.migration_ops import add_index_concurrently


class Migration(migrations.Migration):
    # The new index is built before the old one is dropped, without locking out writers
    # (add_index_concurrently): the case list always has one to walk.
    atomic = False

    dependencies = [
        ("cases", "0027_assignment_mirrors_case"),
    ]

    operations = [
        add_index_concurrently(
            "cases.Case",
            models.Index(
                fields=["-opened_on", "-id"],
                include=["responsible_unit", "status"],
                name="case_list_ids",
            ),
        ),
        migrations.RemoveIndex(model_name="case", name="case_list_order"),
    ]
