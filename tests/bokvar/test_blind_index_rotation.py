"""The blind-index key rotates (issue 17, point 4): with a new key first and the old one
still configured, search and the uniqueness of identity numbers work before, during
and after `rebuild_blind_indexes`, which moves every index to the new key; then the old
key can go. On PostgreSQL, a second connection proves no duplicate slips in while the
rebuild runs."""

from __future__ import annotations

import threading
import time
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction

from bokvar import blind_indexes, crypto
from bokvar.models import User
from cases.core.selectors.cases import search_condition
from cases.core.services.people import PersonalNumberTaken, ensure_unique_personal_number
from cases.models import Case, Landlord, LandlordSignal, Person

OLD = "old:the-old-blind-index-key"
NEW = "new:the-new-blind-index-key"
NUMBER = "19800101-2387"  # Astrid, case A of the `cases` fixture
PERSON = Person._meta.db_table


def _found(user: User, q: str) -> set[int]:
    return set(Case.objects.filter(search_condition(user, q)).values_list("pk", flat=True))


def _refused(actor: User, number: str = NUMBER) -> bool:
    try:
        ensure_unique_personal_number(Person(personal_number=number), actor=actor)
    except PersonalNumberTaken:
        return True
    return False


def _index_keys(*, tokens: bool = True) -> set[str]:
    keys = set()
    for col in blind_indexes.registered():
        values = col.model_class._default_manager.exclude(**{col.column: ""})
        keys |= {
            v.split("$")[0] if "$" in v else "legacy"
            for v in values.values_list(col.column, flat=True)
        }
    for words in blind_indexes.registered_tokens() if tokens else []:  # issue 19
        rows = apps.get_model(words.token_model)._default_manager
        keys |= {v.split("$")[0] for v in rows.values_list(words.column, flat=True)}
    return keys


def _reindex_everything_under(settings, spec: str) -> None:
    """The rows as an older configuration wrote them."""
    settings.BLIND_INDEX_KEYS = spec
    for col in blind_indexes.registered():
        for obj in col.model_class._default_manager.exclude(**{col.column: ""}):
            index = crypto.blind_index(col.text(obj) or "", purpose=col.purpose)
            col.model_class._default_manager.filter(pk=obj.pk).update(**{col.column: index})
    for tokens in blind_indexes.registered_tokens():
        for owner in apps.get_model(tokens.owner)._default_manager.all():
            tokens.write(owner)


@pytest.mark.django_db
def test_search_and_uniqueness_hold_before_during_and_after_the_rebuild(
    settings, cases, coordinator, caseworker
):
    _reindex_everything_under(settings, OLD)
    assert _found(caseworker, NUMBER) == {cases.a.pk}
    assert _found(caseworker, "Astrid Adultsson") == {cases.a.pk}

    settings.BLIND_INDEX_KEYS = f"{NEW},{OLD}"  # the new key writes, both are searched
    assert _found(caseworker, NUMBER) == {cases.a.pk}
    assert _found(caseworker, "astrid  ADULTSSON") == {cases.a.pk}
    assert _refused(coordinator)

    out = StringIO()
    call_command("rebuild_blind_indexes", "--dry-run", stdout=out)
    assert "would be rebuilt with key 'new'" in out.getvalue()
    call_command("rebuild_blind_indexes", "--batch-size", "2", stdout=StringIO())
    assert _index_keys() == {"new"}
    call_command("rebuild_blind_indexes", stdout=(again := StringIO()))
    assert again.getvalue().startswith("0 indexes rebuilt")  # resumable: nothing left

    settings.BLIND_INDEX_KEYS = NEW  # the old key removed
    assert _found(caseworker, NUMBER) == {cases.a.pk}
    assert _found(caseworker, "Astrid Adultsson") == {cases.a.pk}
    assert _refused(coordinator)
    assert not _refused(coordinator, "19121212-1212")


@pytest.mark.django_db
def test_indexes_from_before_issue_17_are_found_and_rebuilt(settings, cases, caseworker):
    """One HMAC key for every purpose and no key id: what the database holds on upgrade."""
    import hashlib
    import hmac

    secret = b"the-old-single-key"
    for col in blind_indexes.registered():
        for obj in col.model_class._default_manager.exclude(**{col.column: ""}):
            legacy = hmac.new(
                secret, f"{col.purpose}\x00{col.text(obj)}".encode(), hashlib.sha256
            ).hexdigest()
            col.model_class._default_manager.filter(pk=obj.pk).update(**{col.column: legacy})
    settings.BLIND_INDEX_KEYS = f"k1:{secret.decode()}"  # BOKVAR_BLIND_INDEX_KEY as it was
    # The words of names came after issue 17: never stored in the legacy form.
    assert _index_keys(tokens=False) == {"legacy"}
    assert _found(caseworker, NUMBER) == {cases.a.pk}
    call_command("rebuild_blind_indexes", stdout=StringIO())
    assert _index_keys(tokens=False) == {"k1"}
    assert _found(caseworker, NUMBER) == {cases.a.pk}


@pytest.mark.django_db
def test_a_signal_and_its_person_still_match_after_each_batch(settings, cases):
    person = Person.objects.get(pk=cases.a.household.head_id)
    _reindex_everything_under(settings, OLD)
    landlord = Landlord.objects.create(
        kind="private", private_name="Hyresvärd", name_bidx=crypto.blind_index("x", purpose="t")
    )
    signal = LandlordSignal.objects.create(
        landlord=landlord,
        kind=LandlordSignal.Kind.choices[0][0],
        channel=LandlordSignal.Channel.choices[0][0],
        received_on="2026-12-01",
        tenant_personal_number=NUMBER,
        tenant_personal_number_bidx=Person.objects.get(pk=person.pk).personal_number_bidx,
    )
    settings.BLIND_INDEX_KEYS = f"{NEW},{OLD}"
    seen = []

    def check():
        # Inside each batch's transaction: wherever the person's index is, so is the
        # signal's (the old form is replaced in every column of the purpose at once).
        number = Person.objects.get(pk=person.pk).personal_number_bidx
        seen.append(number == LandlordSignal.objects.get(pk=signal.pk).tenant_personal_number_bidx)

    import unittest.mock

    with unittest.mock.patch.object(blind_indexes, "after_batch_written", check):
        call_command("rebuild_blind_indexes", "--batch-size", "1", stdout=StringIO())
    assert seen and all(seen)
    signal.refresh_from_db()
    assert signal.tenant_personal_number_bidx.startswith("new$")


@pytest.mark.django_db
def test_a_row_with_a_moved_value_is_not_indexed_and_is_named(settings, cases):
    secret = Person.objects.get(pk=cases.p.household.head_id)
    other = Person.objects.get(pk=cases.a.household.head_id)
    _reindex_everything_under(settings, OLD)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {PERSON} SET personal_number = (SELECT personal_number FROM {PERSON}"
            " WHERE id = %s) WHERE id = %s",
            [secret.pk, other.pk],
        )
    settings.BLIND_INDEX_KEYS = f"{NEW},{OLD}"
    with pytest.raises(CommandError, match=f"cases.Person#{other.pk}"):
        call_command("rebuild_blind_indexes", stdout=StringIO())
    # Not re-indexed with the protected person's number.
    assert Person.objects.get(pk=other.pk).personal_number_bidx.startswith("old$")


def test_no_history_table_holds_a_blind_index():
    # What "history included" comes to: the history models exclude every index column.
    from django.apps import apps

    for model in apps.get_models():
        if model.__name__.startswith("Historical"):
            assert not [f.name for f in model._meta.fields if f.name.endswith("_bidx")], model


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections, PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_no_duplicate_slips_in_while_the_rebuild_runs(settings, make_case, org):
    """The rebuild holds its first batch open (its UPDATE written, not committed) while a
    second connection tries to register the same identity number twice: through the
    product, which looks for every key's form, and straight into the table with the
    new key's form, which the unique constraint holds until the rebuild commits."""
    settings.BLIND_INDEX_KEYS = OLD
    from tests.case_fixtures import person

    make_case(people=[person("Astrid", "Adultsson", NUMBER)])
    holder = Person.objects.get()
    household_id = holder.household_id
    coordinator = org.users["coordinator"]
    settings.BLIND_INDEX_KEYS = f"{NEW},{OLD}"

    written, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_open():
        written.set()
        assert release.wait(30)

    def run_rebuild():
        try:
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(blind_indexes, "after_batch_written", hold_open)
                call_command("rebuild_blind_indexes", stdout=StringIO())
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    rebuild = threading.Thread(target=run_rebuild)
    rebuild.start()
    try:
        assert written.wait(30)
        # The product's check sees the committed old form and refuses.
        assert _refused(coordinator)
        # Straight into the table with the new form: waits on the open rebuild's row.
        outcome: list[str] = []

        def insert_duplicate():
            try:
                with transaction.atomic():
                    Person.objects.create(
                        household_id=household_id,
                        given_name="Dubbel",
                        personal_number=NUMBER,
                        personal_number_bidx=crypto.blind_index(NUMBER, purpose="personal_number"),
                    )
                outcome.append("inserted")
            except IntegrityError:
                outcome.append("refused")
            finally:
                connections.close_all()

        racer = threading.Thread(target=insert_duplicate)
        racer.start()
        time.sleep(1.0)
        assert not outcome, "the duplicate was not held back by the unique constraint"
    finally:
        release.set()
        rebuild.join(30)
    racer.join(30)
    assert not errors, errors
    assert outcome == ["refused"]
    assert Person.objects.filter(personal_number_bidx__startswith="new$").count() == 1
    assert Person.objects.count() == 1
    assert _refused(coordinator)
    settings.BLIND_INDEX_KEYS = NEW
    assert _refused(coordinator)
