from __future__ import annotations

import pytest
from django.urls import reverse

from audit import history
from bokvar.history import reason_label
from cases.core.services.people import update_person
from tests.case_fixtures import person

from .records import fill_case

pytestmark = pytest.mark.django_db


def _get(client, user, url, method="get"):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return getattr(client, method)(url)


def test_case_history_lists_changes_old_to_new_with_who_and_why(client, cases, caseworker):
    head = cases.a.household.head
    update_person(
        actor=caseworker,
        case_id=cases.a.pk,
        person_id=head.pk,
        expected_version=head.version,
        data=person(
            "Astrid",
            "Adultsson",
            "19800101-2387",
            phone="08-555 12 34",
            notes="Skuld hos Kronofogden",
        ),
    )
    response = _get(client, caseworker, reverse("audit:case_history", args=[cases.a.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    # The new phone with the old one, decrypted, who made it and why.
    assert "070-123 45 67 → 08-555 12 34" in text
    # The reason in the reader's language (Swedish by default).
    assert reason_label("person edited") in text
    assert caseworker.get_full_name() in text
    # Creation rows of the case's other records: the case, the household, its children.
    assert reason_label("case created") in text
    assert "2015" in text and "2019" in text
    # The case page links to it.
    page = _get(client, caseworker, reverse("cases:detail", args=[cases.a.pk])).content.decode()
    assert reverse("audit:case_history", args=[cases.a.pk]) in page


def test_protected_person_values_are_hidden_without_grant(client, org, cases, caseworker, auditor):
    # Every kind of record on the protected person's case, each with known values,
    # the signal among them (its tenant's name and address are the person's).
    made = fill_case(org, cases.p, tag="Skyddat")
    url = reverse("audit:case_history", args=[cases.p.pk])
    for user in (caseworker, auditor):
        response = _get(client, user, url)
        assert response.status_code == 200
        text = response.content.decode()
        assert "Skyddadsdotter" not in text
        assert "Hemligvägen" not in text
        assert "19900303" not in text
        for value in made.texts:
            assert value not in text, (user.username, value)
        # The records are listed (who changed what, when), only their values are hidden.
        changes = history.changes(user, case_id=cases.p.pk)
        shown = {(c.what, c.object_id) for c in changes if not c.hidden}
        for obj in (made.signal, made.contact, made.threat, made.placement, made.note):
            assert (str(obj._meta.verbose_name), obj.pk) not in shown, obj
        assert made.night.pk in {c.object_id for c in changes if c.hidden}
    # The coordinator, granted the person, sees every value.
    text = _get(client, org.users["coordinator"], url).content.decode()
    assert "Skyddadsdotter" in text
    for value in made.texts:
        assert value in text, value
    # A case without a protected person shows its records' values to its caseworker.
    other = fill_case(org, cases.a, tag="Öppet")
    text = _get(client, caseworker, reverse("audit:case_history", args=[cases.a.pk]))
    for value in other.texts:
        assert value in text.content.decode(), value


def test_protected_persons_earlier_values_stay_hidden_after_a_deletion(
    client, org, cases, caseworker
):
    """Hidden is decided on the history rows: a deleted record of a protected household
    stays hidden."""
    from cases.models import Contact

    made = fill_case(org, cases.p, tag="Raderat")
    Contact.objects.filter(pk=made.contact.pk).delete()
    hidden = {c.object_id for c in history.changes(caseworker, case_id=cases.p.pk) if c.hidden}
    assert made.contact.pk in hidden


def test_person_history_shows_the_persons_values(client, cases, caseworker):
    head = cases.a.household.head_id
    response = _get(client, caseworker, reverse("audit:person_history", args=[head]))
    assert response.status_code == 200
    assert "Adultsson" in response.content.decode()


@pytest.mark.parametrize(
    "username,status",
    [
        ("caseworker", 200),
        ("coordinator", 200),
        ("auditor", 200),
        ("caseworker2", 404),
        ("guide", 404),
        ("steering", 403),
    ],
)
def test_case_history_permissions(client, org, cases, username, status):
    url = reverse("audit:case_history", args=[cases.a.pk])
    assert _get(client, org.users[username], url).status_code == status


@pytest.mark.parametrize(
    "username,status",
    [("caseworker", 200), ("auditor", 200), ("caseworker2", 404), ("steering", 403)],
)
def test_person_history_permissions(client, org, cases, username, status):
    url = reverse("audit:person_history", args=[cases.a.household.head_id])
    assert _get(client, org.users[username], url).status_code == status


def test_history_outsider_wrong_method_and_unknown(client, cases, caseworker, auditor, outsider):
    url = reverse("audit:case_history", args=[cases.a.pk])
    assert _get(client, outsider, url).status_code == 403
    assert _get(client, caseworker, url, "post").status_code == 405
    assert _get(client, auditor, reverse("audit:case_history", args=[999999])).status_code == 404
    assert _get(client, auditor, reverse("audit:person_history", args=[999999])).status_code == 404
    # A protected person the caseworker was not granted: as if unknown.
    hidden = reverse("audit:person_history", args=[cases.p.household.head_id])
    assert _get(client, caseworker, hidden).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
