"""The signal page's repeats and the access log's description of signals are read by
statements compiled once (issue 22: `KeptAll.all_of`, `KeptIdRows`), and give what the
ORM's own reading gives: the same repeats in the same order, the same case or tenant
for every signal (linked, unlinked naming a registered person, protected or not, naming
nobody), read as the data is now."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.registry import Subject
from bokvar import compiled
from cases.core.audit.subjects import case_subjects
from cases.core.selectors import kept
from cases.evictions import audit, selectors
from cases.evictions.services.landlord_signals import SignalInput, receive_signal
from cases.models import LandlordSignal, Person, ProtectedIdentity
from tests.case_fixtures import person

from .conftest import OTHER_PN, TENANT_PN

pytestmark = pytest.mark.django_db
POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _nothing_kept():
    for store in (selectors._REPEATS, audit._SIGNAL_LINKS):
        store.statements.clear()
    yield
    for store in (selectors._REPEATS, audit._SIGNAL_LINKS):
        store.statements.clear()


def _receive(landlord, *, days_ago=0, pn=TENANT_PN, kind="rent_arrears") -> LandlordSignal:
    return receive_signal(
        landlord=landlord,
        data=SignalInput(
            kind=kind,
            received_on=timezone.localdate() - timedelta(days=days_ago),
            channel="api",
            personal_number=pn,
            name="Tove Hyresgästsson",
        ),
    )


def _orm_description(signals: list[LandlordSignal]) -> list[Subject]:
    """The description as the ORM reads it, decided here row by row."""
    out = []
    for signal in signals:
        signal = LandlordSignal.objects.get(pk=signal.pk)
        if signal.case_id:
            out.append(case_subjects({signal.case_id})[signal.case_id])
            continue
        tenant = Person.objects.filter(
            personal_number_bidx=signal.tenant_personal_number_bidx
        ).first()
        if not signal.tenant_personal_number_bidx or tenant is None:
            out.append(Subject())
        else:
            protected = tenant.protected_identity != ProtectedIdentity.NONE
            out.append(Subject(person_id=tenant.pk, protected=protected))
    return out


def test_the_repeats_are_the_orms_in_order_and_as_they_are_now(landlord):
    first = _receive(landlord, days_ago=5)
    with mock.patch.object(kept, "_compile", wraps=kept._compile) as compiling:
        assert selectors.repeats_of(first) == []
        second = _receive(landlord, days_ago=3, kind="disturbance")
        third = _receive(landlord, days_ago=4, kind="other")
        for _ in range(2):
            got = selectors.repeats_of(first)
            assert got == list(first.repeats.order_by("received_on", "id"))
            assert [r.pk for r in got] == [third.pk, second.pk]
            assert got[1].get_kind_display() and got[1].arrears_amount == second.arrears_amount
            assert selectors.repeats_of(second) == []
    assert compiling.call_count == 1  # one statement for every signal
    fourth = _receive(landlord, days_ago=1)
    assert [r.pk for r in selectors.repeats_of(first)] == [third.pk, second.pk, fourth.pk]


def test_the_description_of_signals_is_the_orms(org, landlord, other_landlord, make_case):
    registered = make_case(people=[person("Tove", "Hyresgästsson", OTHER_PN)])
    linked_case = make_case()
    naming_nobody = _receive(landlord)  # TENANT_PN: nobody registered has it
    naming_a_person = _receive(other_landlord, pn=OTHER_PN)
    linked = _receive(landlord, pn="", kind="other", days_ago=40)
    LandlordSignal.objects.filter(pk=linked.pk).update(case=linked_case)
    signals = [naming_nobody, naming_a_person, linked]
    with mock.patch.object(
        compiled.KeptIdRows, "_compile", autospec=True, side_effect=compiled.KeptIdRows._compile
    ) as compiling:
        for subset in (signals, signals[1:], signals[:1], signals):
            assert audit.describe_signals(subset) == _orm_description(subset)
    described = audit.describe_signals(signals)
    tenant = Person.objects.get(household_id=registered.household_id)
    assert described[1] == Subject(person_id=tenant.pk, protected=False)
    assert described[2].case_id == linked_case.pk and described[0] == Subject()
    if POSTGRESQL:
        # The signals and their tenants in one statement, compiled once for one id and
        # once for several (the case facts' statement besides it).
        compiled_stores = [c.args[0] for c in compiling.call_args_list]
        assert compiled_stores.count(audit._SIGNAL_LINKS) == 2
    with CaptureQueriesContext(connection) as ctx:
        audit.describe_signals([naming_a_person])
    assert len(ctx) == 1  # the signal with its tenant: one round trip
    # The person protected since: the next description says so.
    Person.objects.filter(pk=tenant.pk).update(
        protected_identity=ProtectedIdentity.PROTECTED_REGISTRATION,
        protected_identity_noted_on=timezone.localdate(),
    )
    assert audit.describe_signals([naming_a_person]) == [
        Subject(person_id=tenant.pk, protected=True)
    ]


@pytest.mark.skipif(not POSTGRESQL, reason="PostgreSQL's plan")
def test_the_tenant_is_found_by_the_identity_numbers_index(org, other_landlord, make_case):
    """The person index is partial (not for the empty number): the description's tenant
    subquery must say so, or every person is read for each signal (0.4 s at national
    scale). With sequential scans off, a plan that can use the index shows none."""
    make_case(people=[person("Tove", "Hyresgästsson", OTHER_PN)])
    signal = _receive(other_landlord, pn=OTHER_PN)
    sql, params = audit._signals_with_tenants([signal.pk]).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "person_personal_number_unique" in plan and "Seq Scan on cases_person" not in plan


@pytest.mark.skipif(not POSTGRESQL, reason="PostgreSQL's plan")
def test_the_tenants_index_serves_the_statements_generic_plan(org, other_landlord, make_case):
    """The statement is prepared and run on every signal page: its generic plan (planned
    once a connection, not on every run) must use the partial index too, so the empty
    number it leaves out is written into the text, not bound (issue 22)."""
    from psycopg import sql as psycopg_sql

    make_case(people=[person("Tove", "Hyresgästsson", OTHER_PN)])
    signal = _receive(other_landlord, pn=OTHER_PN)
    sql, params = audit._signals_with_tenants([signal.pk]).query.sql_with_params()
    numbered = iter(range(1, len(params) + 1))
    prepared = re.sub("%s", lambda _m: f"${next(numbered)}", sql)
    raw = connection.connection
    values = ", ".join(psycopg_sql.Literal(v).as_string(raw) for v in params)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"PREPARE described AS {prepared}")
        try:
            cursor.execute(f"EXPLAIN EXECUTE described({values})")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE described")
    assert "$" in plan  # the generic plan: its conditions name parameters, not values
    assert "person_personal_number_unique" in plan and "Seq Scan on cases_person" not in plan


def test_the_signal_page_asks_for_repeats_only_when_its_signal_has_any(
    org, landlord, coordinator, login
):
    """The signal is read knowing whether anything repeats it (an EXISTS in its own
    statement, issue 22): without repeats the page asks for none, with them it lists
    each, as they are now."""
    first = _receive(landlord, days_ago=5)
    read = selectors.get_signal_for_user(coordinator, first.pk)
    assert read.has_repeats is False
    with CaptureQueriesContext(connection) as ctx:
        assert selectors.repeats_of(read) == []
    assert len(ctx) == 0
    client = login(coordinator)
    url = f"/cases/signals/{first.pk}/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b'id="repeats-heading"' not in page.content
    second = _receive(landlord, days_ago=3, kind="disturbance")
    read = selectors.get_signal_for_user(coordinator, first.pk)
    assert read.has_repeats is True
    assert [r.pk for r in selectors.repeats_of(read)] == [second.pk]
    page = client.get(url)
    assert page.status_code == 200
    assert b'id="repeats-heading"' in page.content
    assert f'href="/cases/signals/{second.pk}/"'.encode() in page.content
