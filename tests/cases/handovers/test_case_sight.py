"""The handover page reads whether its reader may open the handover's case with the
handover (`case_visible`): the one rule for the cases a reader may see, in its form for
one case (`visible_case`, issue 22), so the same answer as the case list's form for
every reader, without reading every grant the reader holds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bokvar.models import Unit
from cases.core.selectors.cases import visible_cases
from cases.core.services.access import grant_case
from cases.handovers import selectors
from tests.cases.handovers.conftest import send

pytestmark = pytest.mark.django_db

READERS = ("caseworker", "caseworker2", "guide", "coordinator", "steering", "auditor")


@pytest.fixture
def handover(make_case, org):
    case = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"])
    return send(case, actor=org.users["caseworker"], to_unit=org.units[Unit.Kind.INCOME_SUPPORT])


def _sight(user, handover) -> bool | None:
    """`case_visible` as the handover page reads it; None where the handover is not the
    reader's to see."""
    try:
        found = selectors.get_handover_for_user(user, handover.pk, with_case_sight=True)
    except Http404:
        return None
    # An annotation of the page's statement, not a field of the model.
    return bool(getattr(found, "case_visible"))  # noqa: B009


def test_whether_the_reader_may_open_the_case_is_the_rules_answer(org, handover):
    def by_the_rule(user) -> bool:
        return visible_cases(user).filter(pk=handover.case_id).exists()

    seen = {}
    for name in READERS:
        sight = _sight(org.users[name], handover)
        if sight is not None:
            seen[name] = sight
            assert sight == by_the_rule(org.users[name]), name
    # Who may and who may not: the sender's unit and the district's coordinator may
    # open the case; the receiving unit may read the handover but not yet the case.
    assert seen["caseworker"] is True
    assert seen["coordinator"] is True
    assert seen["caseworker2"] is False
    # A grant changes the answer at once (the statement is kept, the answer is not).
    grant_case(handover.case, org.users["caseworker2"], actor=org.users["coordinator"], reason="t")
    assert _sight(org.users["caseworker2"], handover) is True


def test_the_answer_probes_the_cases_grants_instead_of_listing_the_readers(org, handover):
    """The statement asks for the grants of the handover's case (`EXISTS` per grant
    source, correlated on the case), not whether the case is `IN` every case the reader
    holds a grant to: on national data PostgreSQL hashed a caseworker's 2,200 grants for
    that, 0.8 ms of the page's 1 ms statement, 92 buffers read against 1,619 this way
    (docs/performance.md, the nineteenth round)."""
    reader = org.users["caseworker2"]
    selectors._ONE.statements.clear()
    with CaptureQueriesContext(connection) as queries:
        _sight(reader, handover)
    (statement,) = [q["sql"] for q in queries.captured_queries if "cases_handover" in q["sql"]]
    assert "cases_caseuserobjectpermission" in statement
    assert '"content_object_id" FROM "cases_caseuserobjectpermission"' not in statement


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared plans")
def test_the_handover_is_read_on_one_generic_plan(org, make_case):
    """PostgreSQL planned the handover page's statement afresh on every page (1.27 ms of
    planning beside 0.22 ms of execution at national scale, issue 22); it runs on its
    generic plan, the session's mode reset after, and still reads each handover as it is
    now and refuses one the reader may not see."""
    from tests.prepared_plans import generic_runs_only

    selectors._ONE.statements.clear()
    sender, reader = org.users["caseworker"], org.users["caseworker2"]
    handovers = [
        send(
            make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"]),
            actor=sender,
            to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
        )
        for _ in range(3)
    ]
    for _ in range(3):
        for handover in handovers:
            found = selectors.get_handover_for_user(reader, handover.pk, with_case_sight=True)
            assert found.pk == handover.pk and found.status == handover.status
        with pytest.raises(Http404):
            selectors.get_handover_for_user(org.users["guide"], handovers[0].pk)
    # Nine reads by one reader: the first runs the text unprepared.
    assert generic_runs_only('SELECT "cases_handover"."id"%AS "case_visible"%') >= 8


def test_the_summary_reads_the_same_children_with_the_handover_as_alone(org, make_case):
    """The decision summary's children are read with the handover on the page (PostgreSQL)
    and alone elsewhere: the same ages, oldest first, either way."""
    case = make_case(
        unit_kind=Unit.Kind.ADULT, assignees=["caseworker"], children=[2019, 2012, 2015]
    )
    handover = send(
        case, actor=org.users["caseworker"], to_unit=org.units[Unit.Kind.INCOME_SUPPORT]
    )
    reader = org.users["caseworker2"]
    with_sight = selectors.get_handover_for_user(reader, handover.pk, with_case_sight=True)
    alone = selectors.get_handover_for_user(reader, handover.pk)
    assert not hasattr(alone, "case_child_years")
    summaries = [selectors.decision_summary(h, lines=[]) for h in (with_sight, alone)]
    year = timezone.localdate().year
    assert (
        summaries[0].children_ages
        == summaries[1].children_ages
        == [
            year - 2012,
            year - 2015,
            year - 2019,
        ]
    )
    assert summaries[0].adults == summaries[1].adults >= 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared plans")
def test_the_inboxs_lists_run_on_generic_plans_that_name_their_status(org, make_case):
    """PostgreSQL planned the inbox's two lists afresh on every inbox (1.9 ms of planning at
    national scale, issue 22, the twenty-first round). They run on their generic plans,
    with each list's status in the statement's text rather than bound (a generic plan
    estimates a bound status by the column's distinct values), and still list what is
    waiting and what came back as it is now."""
    from cases.handovers.services import deciding
    from tests.prepared_plans import generic_runs_only

    selectors._KEPT.statements.clear()
    income = org.units[Unit.Kind.INCOME_SUPPORT]
    sender, decider = org.users["caseworker"], org.users["caseworker2"]
    handovers = [
        send(make_case(unit_kind=Unit.Kind.ADULT), actor=sender, to_unit=income) for _ in range(3)
    ]
    deciding.return_handover(actor=decider, handover_id=handovers[0].pk, reason="Fel enhet")
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            waiting = selectors.inbox_rows(decider)
            assert {row.handover.pk for row in waiting} == {h.pk for h in handovers[1:]}
            back = selectors.returned_to(sender)
            assert [h.pk for h in back] == [handovers[0].pk]
    lists = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "cases_h')]
    assert any("= 'pending'" in sql for sql in lists)
    assert any("= 'returned'" in sql for sql in lists)
    # Three reads of each list: the first runs the text unprepared.
    for status in ("pending", "returned"):
        like = f'SELECT "cases_handover"."id"%"cases_handover"."status" = \'{status}\'%'
        assert generic_runs_only(like) >= 2, status


@pytest.mark.parametrize("protected", [False, True])
def test_the_page_describes_its_case_for_the_access_log_from_its_own_read(
    org, make_case, login, protected
):
    """What the access log says of the handover's case (main tenant, unit, protection)
    comes with the handover's statement (`facts_with_its_case`), not from a query of its
    own, and says what that query says."""
    from unittest import mock

    from audit.models import AccessLogEntry
    from cases.core.audit import subjects
    from cases.models import ProtectedIdentity
    from tests.case_fixtures import person

    members = [person("Hanna", "Huvudsson")]
    if protected:
        members.append(
            person(
                "Sara",
                "Skyddsdotter",
                protected_identity=ProtectedIdentity.PROTECTED_REGISTRATION,
            )
        )
    case = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"], people=members)
    handover = send(
        case, actor=org.users["caseworker"], to_unit=org.units[Unit.Kind.INCOME_SUPPORT]
    )
    expected = subjects.case_subjects({case.pk})[case.pk]
    assert expected.protected is protected
    client = login(org.users["caseworker2"])
    # The first view marks the handover seen, which reads it again without its sight.
    assert client.get(f"/cases/handovers/{handover.pk}/").status_code == 200
    first = AccessLogEntry.objects.order_by("-seq").first()
    with mock.patch.object(subjects._CASE_FACTS, "rows", side_effect=AssertionError("read")):
        assert client.get(f"/cases/handovers/{handover.pk}/").status_code == 200
    entry = AccessLogEntry.objects.order_by("-seq").first()
    assert entry.seq == first.seq + 1
    for logged in (first, entry):
        assert (logged.case_id, logged.person_id, logged.unit_id, logged.protected) == (
            case.pk,
            expected.person_id,
            expected.unit_id,
            protected,
        )
        assert logged.user_id == org.users["caseworker2"].pk and logged.outside_unit
