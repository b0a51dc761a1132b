"""Index the words of every existing person's names for search by part of a name
(issue 19, point 8). Not atomic: each batch commits, and running `migrate` again after
an interruption goes on with the people still without tokens. A name that fails its
integrity check is skipped (check_encryption reports it), as `rebuild_blind_indexes`
does."""

from django.db import migrations, transaction

BATCH = 1000


def fill(apps, schema_editor):
    from bokvar.fields import Tampered
    from cases.core.identity import name_token_index_set

    Person = apps.get_model("cases", "Person")
    PersonNameToken = apps.get_model("cases", "PersonNameToken")
    people = (
        Person.objects.exclude(pk__in=PersonNameToken.objects.values("person_id"))
        .only("pk", "row_key", "given_name", "family_name")
        .order_by("pk")
    )
    last_pk = 0
    while True:
        batch = list(people.filter(pk__gt=last_pk)[:BATCH])
        if not batch:
            return
        rows = []
        for person in batch:
            if isinstance(person.given_name, Tampered) or isinstance(person.family_name, Tampered):
                continue
            tokens = name_token_index_set(str(person.given_name), str(person.family_name))
            rows.extend(PersonNameToken(person_id=person.pk, token_bidx=t) for t in tokens)
        with transaction.atomic():
            PersonNameToken.objects.bulk_create(rows, ignore_conflicts=True)
        last_pk = batch[-1].pk


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0020_person_name_tokens"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
