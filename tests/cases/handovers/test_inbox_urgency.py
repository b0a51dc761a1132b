"""The handover inbox (issue 19, point 4): every row says how long it has waited, where it
stands against escalation and the case's next deadline, most urgent first; accepting
names who in the receiving unit takes the case, and the case shows them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bokvar.legal_calendar import add_working_days
from bokvar.models import Unit
from cases.handovers import selectors
from cases.handovers.services import deciding
from cases.models import CaseAssignment, Deadline, Handover

from .conftest import send

pytestmark = pytest.mark.django_db


def _sent_days_ago(handover: Handover, days: int) -> None:
    Handover.objects.filter(pk=handover.pk).update(sent_at=timezone.now() - timedelta(days=days))


def _deadline(case, days: int) -> Deadline:
    return Deadline.objects.create(
        case=case, kind=Deadline.Kind.FOLLOW_UP, due_on=timezone.localdate() + timedelta(days=days)
    )


@pytest.fixture
def four(make_case, org, caseworker):
    """Four transfers to income support: plain and new, escalated, acute, and with a
    deadline close."""
    income = org.units[Unit.Kind.INCOME_SUPPORT]
    made = {}
    for name in ("plain", "escalated", "acute", "deadline"):
        case = make_case(unit_kind=Unit.Kind.ADULT)
        urgency = Handover.Urgency.ACUTE if name == "acute" else Handover.Urgency.NORMAL
        made[name] = send(case, actor=caseworker, to_unit=income, urgency=urgency)
    _sent_days_ago(made["escalated"], 15)
    _deadline(made["deadline"].case, 4)
    _deadline(made["plain"].case, 40)
    return made


def test_inbox_is_sorted_by_urgency(four, caseworker2):
    rows = selectors.inbox_rows(caseworker2)
    order = [row.handover.pk for row in rows]
    expected = [four[n].pk for n in ("escalated", "acute", "deadline", "plain")]
    assert order == expected


def test_a_row_says_waited_escalation_and_next_deadline(four, caseworker2):
    today = timezone.localdate()
    rows = {row.handover.pk: row for row in selectors.inbox_rows(caseworker2)}
    old = rows[four["escalated"].pk]
    assert old.waited_days == 15
    assert old.escalation.escalated and old.escalation.steps_arrived >= 2
    new = rows[four["plain"].pk]
    assert new.waited_days == 0 and not new.escalation.escalated
    sent_on = timezone.localtime(new.handover.sent_at).date()
    assert new.escalation.next_on == add_working_days(sent_on, 2)
    near = rows[four["deadline"].pk]
    assert near.next_deadline == today + timedelta(days=4)
    assert near.deadline_working_days is not None and 0 < near.deadline_working_days <= 4


def test_escalation_is_dated_on_working_days():
    # Sent on Friday 2026-12-18: two working days later is Tuesday the 22nd, four is
    # Monday the 28th (24-26 December are not working days), six is Wednesday the 30th.
    sent = date(2026, 12, 18)
    before = selectors.escalation_of(sent, today=date(2026, 12, 21))
    assert (before.steps_arrived, before.next_on) == (0, date(2026, 12, 22))
    first = selectors.escalation_of(sent, today=date(2026, 12, 24))
    assert (first.steps_arrived, first.next_on) == (1, date(2026, 12, 28))
    last = selectors.escalation_of(sent, today=date(2027, 1, 4))
    assert (last.steps_arrived, last.next_on) == (3, None)


def test_inbox_page_shows_the_rows(four, login, caseworker2):
    page = login(caseworker2).get("/cases/handovers/").content.decode()
    for name in ("plain", "escalated", "acute", "deadline"):
        assert four[name].case.number in page
    assert "Eskalerad (steg" in page  # the escalated one, in Swedish
    assert "15 dagar" in page
    assert "Eskaleras " in page
    escalated_at = page.index(four["escalated"].case.number)
    assert escalated_at < page.index(four["plain"].case.number)


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_inbox_queries_do_not_grow(make_case, org, login, caseworker, caseworker2):
    income = org.units[Unit.Kind.INCOME_SUPPORT]

    def add(n: int) -> None:
        for i in range(n):
            h = send(make_case(unit_kind=Unit.Kind.ADULT), actor=caseworker, to_unit=income)
            _deadline(h.case, i + 1)
            _sent_days_ago(h, i)

    add(3)
    client = login(caseworker2)
    client.get("/cases/handovers/")  # warm-up: the access log's chain head
    few = _count(client, "/cases/handovers/")
    add(9)
    assert _count(client, "/cases/handovers/") == few
    # The handovers' free text about the household is not read for the list.
    with CaptureQueriesContext(connection) as ctx:
        client.get("/cases/handovers/")
    listed = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith('SELECT "cases_handover"."id"')
    ]
    assert listed and not any('"cases_handover"."reason"' in sql for sql in listed)


def test_accept_names_who_takes_the_case(transfer, login, caseworker2, income_colleague):
    url = f"/cases/handovers/{transfer.pk}/accept/"
    form = login(caseworker2).get(f"/cases/handovers/{transfer.pk}/").content.decode()
    assert 'name="taken_by"' in form and "Ida Inkomstsson" in form
    response = login(caseworker2).post(url, {"taken_by": income_colleague.pk})
    assert response.status_code == 302
    transfer.refresh_from_db()
    case = transfer.case
    case.refresh_from_db()
    assert transfer.taken_by == income_colleague
    assert case.responsible_caseworker == income_colleague
    assert CaseAssignment.objects.filter(case=case, user=income_colleague).exists()
    page = login(income_colleague).get(f"/cases/{case.pk}/").content.decode()
    assert "Ansvarig handläggare" in page and "Ida Inkomstsson" in page


@pytest.mark.parametrize("chosen", ["outsider_of_unit", "missing", "garbage"])
def test_accept_refuses_a_taker_outside_the_unit(transfer, login, caseworker, caseworker2, chosen):
    data = {
        "outsider_of_unit": {"taken_by": caseworker.pk},  # the adult unit's caseworker
        "missing": {},
        "garbage": {"taken_by": "x" * 50},
    }[chosen]
    response = login(caseworker2).post(f"/cases/handovers/{transfer.pk}/accept/", data)
    assert response.status_code == 400
    assert "taken_by" in response.context["form"].errors
    transfer.refresh_from_db()
    assert transfer.status == Handover.Status.PENDING


def test_who_may_accept_and_assign(transfer, login, caseworker, steering, guide, coordinator):
    url = f"/cases/handovers/{transfer.pk}/accept/"
    assert login(caseworker).post(url, {"taken_by": caseworker.pk}).status_code == 403  # sender
    assert login(steering).post(url, {"taken_by": caseworker.pk}).status_code == 403
    assert login(guide).post(url, {"taken_by": caseworker.pk}).status_code == 404
    # The district's coordinator sees the handover but is not of the receiving unit.
    assert login(coordinator).post(url, {"taken_by": caseworker.pk}).status_code == 403
    transfer.refresh_from_db()
    assert transfer.status == Handover.Status.PENDING


def test_service_refuses_a_taker_outside_the_unit(transfer, caseworker, caseworker2):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        deciding.accept_handover(actor=caseworker2, handover_id=transfer.pk, taken_by=caseworker)
    assert "taken_by" in refused.value.message_dict


def test_without_a_choice_the_acceptor_takes_it(transfer, caseworker2):
    deciding.accept_handover(actor=caseworker2, handover_id=transfer.pk)
    transfer.refresh_from_db()
    assert transfer.taken_by == caseworker2
    assert transfer.case.responsible_caseworker == caseworker2


def test_api_accept_names_who_takes_it(transfer, caseworker, caseworker2, income_colleague):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(caseworker2, backend="django.contrib.auth.backends.ModelBackend")
    url = f"/api/v1/handovers/{transfer.pk}/accept/"
    refused = client.post(url, {"taken_by": caseworker.pk}, format="json")
    assert refused.status_code == 400 and "taken_by" in str(refused.json())
    transfer.refresh_from_db()
    assert transfer.status == Handover.Status.PENDING
    accepted = client.post(url, {"taken_by": income_colleague.pk}, format="json")
    assert accepted.status_code == 200 and accepted.json()["taken_by"] == income_colleague.pk
    transfer.case.refresh_from_db()
    assert transfer.case.responsible_caseworker == income_colleague


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_returned_handovers_not_yet_read_are_found_by_their_own_index(four, caseworker):
    """The inbox's badge on every page of case staff: the returned handovers its unit has
    not marked read come from the partial index on (from unit, status), not from every
    returned handover of the country intersected with the unit's (issue 22)."""
    from django.db import transaction
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = caseworker
    sql, params = selectors.inbox_badge(request).values("pk").query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({sql}) AS counted", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "handover_returns_unread" in plan, plan
    assert "handover_status_sent" not in plan, plan


@pytest.fixture
def nothing_kept():
    selectors._KEPT.statements.clear()
    yield
    selectors._KEPT.statements.clear()


def _the_orms_inbox(user):
    return list(
        Handover.objects.filter(
            status=Handover.Status.PENDING, to_unit_id__in=selectors.deciding_unit_ids(user)
        )
        .select_related("case", "from_unit", "to_unit")
        .defer(*selectors.FREE_TEXT)
        .annotate(next_deadline=selectors._next_deadline())
    )


def _same(mine, theirs):
    for field, value in vars(theirs).items():
        if field != "_state":
            assert getattr(mine, field) == value, field
    assert mine._state.fields_cache.keys() == theirs._state.fields_cache.keys()
    assert mine.get_deferred_fields() == theirs.get_deferred_fields()
    assert mine.case.number == theirs.case.number
    assert mine.to_unit.name == theirs.to_unit.name


def test_the_inbox_lists_are_kept_compiled_and_read_as_they_are_now(
    four, org, caseworker, caseworker2, nothing_kept
):
    """`inbox_rows` and `returned_to` run their statements compiled once per reader
    (issue 22): the ORM's rows, and a handover returned since shows at once."""
    from unittest import mock

    from cases.core.selectors import kept

    with mock.patch.object(kept, "_compile", wraps=kept._compile) as compiled:
        for _ in range(2):
            got = {row.handover.pk: row.handover for row in selectors.inbox_rows(caseworker2)}
            want = {h.pk: h for h in _the_orms_inbox(caseworker2)}
            assert got.keys() == want.keys() == {h.pk for h in four.values()}
            for pk, handover in got.items():
                _same(handover, want[pk])
            assert got[four["deadline"].pk].next_deadline == timezone.localdate() + timedelta(4)
            assert selectors.returned_to(caseworker) == []
    assert compiled.call_count == 2  # the inbox for caseworker2, the returned for caseworker
    deciding.return_handover(actor=caseworker2, handover_id=four["plain"].pk, reason="Not ours")
    assert four["plain"].pk not in {row.handover.pk for row in selectors.inbox_rows(caseworker2)}
    (back,) = selectors.returned_to(caseworker)
    assert back.pk == four["plain"].pk and back.returned_by == caseworker2
    assert back.get_deferred_fields() == set(selectors.FREE_TEXT)
    # No reader is served another's: the sender's inbox holds nothing of the receiver's.
    assert selectors.inbox_rows(caseworker) == []


def test_one_handover_is_read_by_a_statement_kept_per_reader(four, org, caseworker, caseworker2):
    """`get_handover_for_user` runs its statement compiled once per reader and per form
    (issue 22): the ORM's answer for every reader and handover, found or 404, with the
    case's sight read alongside."""
    from unittest import mock

    from django.http import Http404

    from cases.core.selectors import kept

    selectors._ONE.statements.clear()
    readers = [caseworker, caseworker2] + [
        org.users[n] for n in ("guide", "steering", "coordinator")
    ]
    fields = ("pk", "case_id", "status", "kind", "to_unit_id")
    with mock.patch.object(kept, "_compile", wraps=kept._compile) as compiled:
        for _ in range(2):
            for user in readers:
                for handover in four.values():
                    for sight in (False, True):
                        want = (
                            (
                                selectors._with_case_sight(user, selectors.visible_handovers(user))
                                if sight
                                else selectors.visible_handovers(user)
                            )
                            .filter(pk=handover.pk)
                            .first()
                        )
                        if want is None:
                            with pytest.raises(Http404):
                                selectors.get_handover_for_user(
                                    user, handover.pk, with_case_sight=sight
                                )
                            continue
                        got = selectors.get_handover_for_user(
                            user, handover.pk, with_case_sight=sight
                        )
                        assert [getattr(got, f) for f in fields] == [
                            getattr(want, f) for f in fields
                        ]
                        assert got.case.responsible_unit.name == want.case.responsible_unit.name
                        if sight:
                            assert (got.case_visible, got.case_hidden, got.case_adults) == (
                                want.case_visible,
                                want.case_hidden,
                                want.case_adults,
                            )
    assert compiled.call_count == 2 * len(readers)
    assert selectors.get_handover_for_user(caseworker2, four["plain"].pk).pk == four["plain"].pk
    with pytest.raises(Http404):
        selectors.get_handover_for_user(org.users["steering"], four["plain"].pk)
