"""Issue 19, point 6: the auditor's access log names the reader, the person (to auditors
only, never a protected identity), the case number and the unit; filters by user, person
(by identity number, a logged lookup), case number and period, refusing bad input with a
400 naming the field; flags unusually many distinct people opened (not rows listed); and
a flagged read can be marked reviewed with a comment."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit import chain
from audit.models import AccessLogEntry, ReadReview
from audit.review import LogFilters, entries, flag
from bokvar.history import history_of

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _read(client, user, case):
    assert _login(client, user).get(reverse("cases:detail", args=[case.pk])).status_code == 200


def test_rows_name_reader_person_case_and_unit(client, cases, caseworker, auditor):
    _read(client, caseworker, cases.a)
    _read(client, caseworker, cases.p)
    response = _login(client, auditor).get(reverse("audit:log"))
    assert response.status_code == 200
    text = response.content.decode()
    assert caseworker.get_full_name() in text
    assert "Astrid Adultsson" in text  # the head of case A, to the auditor
    assert cases.a.number in text and cases.p.number in text
    assert str(cases.a.responsible_unit) in text
    # No model labels or bare ids for what was read.
    assert "cases.case" not in text and f"#{cases.a.pk}<" not in text
    # The protected main tenant of case P is never named, not even to the auditor.
    head = cases.p.household.head
    assert head.family_name not in text and head.given_name not in text


def test_filter_by_case_number_and_user(client, cases, caseworker, coordinator, auditor):
    _read(client, caseworker, cases.a)
    _read(client, coordinator, cases.b)
    _login(client, auditor)
    rows = client.get(reverse("audit:log"), {"case": cases.b.number}).context["rows"]
    assert [(r.entry.user_id, r.case) for r in rows] == [(coordinator.pk, cases.b.number)]
    named = f"{caseworker.get_full_name()} ({caseworker.username})"
    # A row's link names the reader by id; the page names them by name and username.
    response = client.get(reverse("audit:log"), {"user": caseworker.pk})
    assert {r.entry.case_id for r in response.context["rows"]} == {cases.a.pk}
    assert f"Visar läsningarna som {named} har gjort." in response.content.decode()
    # Typed, by username (any case): the same reads.
    typed = client.get(reverse("audit:log"), {"username": caseworker.username.upper()})
    assert typed.status_code == 200
    assert [r.entry.seq for r in typed.context["rows"]] == [
        r.entry.seq for r in response.context["rows"]
    ]
    # The filter lists nobody: staff are thousands at national scale (issue 22).
    page = client.get(reverse("audit:log")).content.decode()
    assert "<option" not in page.split('name="username"')[1].split("</div>")[0]
    assert '<select name="user"' not in page and "Visar läsningarna som" not in page


def test_a_closed_accounts_reads_can_be_asked_for(client, cases, caseworker, auditor):
    """Staff leave; their reads stay in the log. The filter offered active staff only, so
    a row's link to a closed account's reads answered 400; by link and by username they
    are shown."""
    _read(client, caseworker, cases.a)
    caseworker.is_active = False
    caseworker.save(update_fields=["is_active"])
    _login(client, auditor)
    for params in ({"user": caseworker.pk}, {"username": caseworker.username}):
        response = client.get(reverse("audit:log"), params)
        assert response.status_code == 200, params
        assert {r.entry.case_id for r in response.context["rows"]} == {cases.a.pk}


@pytest.mark.parametrize(
    "params,field",
    [
        ({"case": "BK-1999-9999"}, "case"),
        ({"start": "2026-13-45"}, "start"),
        ({"start": "0001-01-01"}, "start"),
        ({"end": "9999-12-31"}, "end"),
        ({"start": "2026-02-01", "end": "2026-01-01"}, "end"),
        ({"user": "999999"}, "user"),
        ({"username": "nobody-by-this-name"}, "username"),
        ({"person": "abc"}, "person"),
    ],
)
def test_bad_filters_answer_400_naming_the_field(client, cases, auditor, params, field):
    response = _login(client, auditor).get(reverse("audit:log"), params)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert response.context["rows"] == []
    assert _login(client, auditor).get(reverse("audit:log_csv"), params).status_code == 400


def test_person_by_identity_number_is_a_logged_lookup(
    client, cases, caseworker, coordinator, auditor
):
    _read(client, caseworker, cases.a)
    _read(client, coordinator, cases.b)
    head = cases.a.household.head
    response = _login(client, auditor).post(
        reverse("audit:log"), {"personal_number": "19800101-2387"}
    )
    assert response.status_code == 302
    # The number never enters an address: the redirect names the person by id.
    assert "19800101" not in response["Location"] and "2387" not in response["Location"]
    lookup = AccessLogEntry.objects.filter(user_id=auditor.pk, how="lookup").get()
    assert lookup.person_id == head.pk
    rows = client.get(response["Location"]).context["rows"]
    assert {r.entry.case_id for r in rows if r.entry.user_id == caseworker.pk} == {cases.a.pk}
    missing = client.post(reverse("audit:log"), {"personal_number": "19121212-1212"})
    assert missing.status_code == 400
    assert "personal_number" in missing.context["search"].errors
    assert "19121212" not in missing.content.decode()


def test_many_reads_count_distinct_people_opened_not_rows_listed(
    client, cases, caseworker, settings
):
    settings.AUDIT_DAILY_READ_THRESHOLD = 2
    _login(client, caseworker)
    for _ in range(3):  # three list pages of every case the caseworker sees
        assert client.get(reverse("cases:list")).status_code == 200
    for _ in range(4):  # one case opened again and again: one person
        _read(client, caseworker, cases.a)
    listed = AccessLogEntry.objects.filter(user_id=caseworker.pk, how="list").count()
    assert listed >= 6
    assert not any("many" in r.flags for r in flag(list(entries(LogFilters()))))
    # Three different people opened in a day: more than two.
    _read(client, caseworker, cases.p)
    chain.append(  # a third person, say through the API
        user_id=caseworker.pk, object_type="cases.case", object_id=cases.b.pk, how="api",
        person_id=cases.b.household.head_id, case_id=cases.b.pk,
    )  # fmt: skip
    assert all("many" in r.flags for r in flag(list(entries(LogFilters(user_id=caseworker.pk)))))


def test_a_flagged_read_is_marked_reviewed_with_a_comment(client, org, cases, caseworker, auditor):
    _read(client, caseworker, cases.p)  # protected: flagged
    entry = AccessLogEntry.objects.get(user_id=caseworker.pk, case_id=cases.p.pk)
    url = reverse("audit:log_review", args=[entry.seq])
    for name in ("caseworker", "coordinator", "steering", "admin"):
        assert _login(client, org.users[name]).post(url, {"comment": "x"}).status_code == 403
    assert _login(client, auditor).get(url).status_code == 405
    assert client.post(url, {"comment": "  "}).status_code == 400
    assert (
        client.post(reverse("audit:log_review", args=[999999]), {"comment": "x"}).status_code == 400
    )
    awaiting = {"awaiting_review": "on"}
    assert [r.entry.seq for r in client.get(reverse("audit:log"), awaiting).context["rows"]] == [
        entry.seq
    ]
    back = reverse("audit:log") + "?flagged=on"
    response = client.post(url, {"comment": "Ärendet var hennes tidigare", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    review = ReadReview.objects.get(entry=entry)
    assert (review.reviewed_by, review.comment) == (auditor, "Ärendet var hennes tidigare")
    assert history_of(ReadReview).get().history_change_reason == "read reviewed"
    page = client.get(reverse("audit:log")).content.decode()
    assert "Ärendet var hennes tidigare" in page and auditor.get_full_name() in page
    assert client.get(reverse("audit:log"), awaiting).context["rows"] == []
    # Once only: a second review is refused, the first stands.
    assert client.post(url, {"comment": "Igen"}).status_code == 400
    assert ReadReview.objects.get().comment == "Ärendet var hennes tidigare"
    # An outside address to go back to is not followed.
    _read(client, caseworker, cases.p)
    other = AccessLogEntry.objects.order_by("-seq").first()
    response = _login(client, auditor).post(
        reverse("audit:log_review", args=[other.seq]),
        {"comment": "ok", "next": "https://elsewhere.example/"},
    )
    assert response["Location"] == reverse("audit:log")


def test_log_page_queries_do_not_grow_with_named_rows(
    client, cases, caseworker, coordinator, auditor
):
    def count():
        _login(client, auditor)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("audit:log")).status_code == 200
        return len(ctx.captured_queries)

    _read(client, caseworker, cases.a)
    small = count()
    for case in (cases.a, cases.p):
        _read(client, caseworker, case)
    _read(client, coordinator, cases.b)
    _read(client, coordinator, cases.g)
    entry = AccessLogEntry.objects.filter(protected=True).first()
    from audit.services import review_read

    review_read(actor=auditor, seq=entry.seq, comment="Sett")
    assert count() == small
