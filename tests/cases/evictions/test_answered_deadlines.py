"""Whose deadlines are whose: My deadlines, its badge and the today page's panel count
from the user's cases outward (issue 22: the badge is on every page of case staff), and
each reader still gets exactly the deadlines they answer for, nobody else's.

The rule, as written down here independently of the query: an open deadline of an open
case is the user's when the case is assigned to them, or assigned to nobody and
responsible in a unit where they are case staff; and a recovery deadline is also theirs
when its threat's payment route has an application (not refused) to an income-support
unit where they are coordinator or caseworker."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import connection
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from bokvar import compiled
from bokvar.conf import setting
from bokvar.history import attribute
from bokvar.models import Membership, Role, Unit
from bokvar.roles import CASE_STAFF, UNIT_CASE_ROLES
from cases.core.selectors import kept
from cases.core.selectors.cases import visible_cases
from cases.core.services.access import grant_case
from cases.core.services.cases import close_case
from cases.evictions import presenters, selectors
from cases.evictions.services import deadlines as contacts
from cases.evictions.services import payment_routes, threats
from cases.evictions.services.payment_routes import RouteData
from cases.evictions.services.threats import ThreatData
from cases.models import Case, CaseAssignment, Deadline, PaymentRoute
from tests.prepared_plans import prepared_plans

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
READERS = ("coordinator", "guide", "caseworker", "caseworker2", "steering", "auditor", "admin")


def _by_the_rule(user) -> set[int]:
    """The deadlines `user` answers for, decided row by row in Python."""
    staff_units = set(
        Membership.objects.filter(user=user, role__in=list(CASE_STAFF)).values_list(
            "unit_id", flat=True
        )
    )
    money_units = set(
        Membership.objects.filter(
            user=user, role__in=list(UNIT_CASE_ROLES), unit__kind=Unit.Kind.INCOME_SUPPORT
        ).values_list("unit_id", flat=True)
    )
    assigned: dict[int, set[int]] = {}
    for case_id, user_id in CaseAssignment.objects.values_list("case_id", "user_id"):
        assigned.setdefault(case_id, set()).add(user_id)
    routes = {route.threat_id: route for route in PaymentRoute.objects.all()}
    out = set()
    for d in Deadline.objects.select_related("case"):
        if d.done_at is not None or d.case.status != "open":
            continue
        whose = assigned.get(d.case_id, set())
        responsible = user.pk in whose or (not whose and d.case.responsible_unit_id in staff_units)
        route = routes.get(d.threat_id) if d.threat_id else None
        money = (
            d.kind == Deadline.Kind.RECOVERY
            and route is not None
            and route.applied_on is not None
            and route.decision != PaymentRoute.Decision.REFUSED
            and route.income_support_unit_id in money_units
        )
        if responsible or money:
            out.add(d.pk)
    return out


def _threat_with_route(org, make_case, *, unit_kind, assignees, route: RouteData | None):
    case = make_case(unit_kind=unit_kind, assignees=assignees)
    served = TODAY - timedelta(days=3)
    threat = threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(
            termination_served_on=served,
            board_notice_given_on=served,
            application_to="enforcement",
            application_on=served,
            eviction_on=TODAY + timedelta(days=60),
        ),
        today=TODAY,
    )
    if route is not None:
        payment_routes.save_payment_route(
            actor=org.users["coordinator"],
            case_id=case.pk,
            threat_id=threat.pk,
            expected_version=0,
            data=route,
            today=TODAY,
        )
    return case, threat


@pytest.fixture
def deadlines(org, make_case):
    """Deadlines of every kind of case a reader may or may not answer for."""
    coordinator = org.users["coordinator"]
    money = org.units[Unit.Kind.INCOME_SUPPORT].pk

    def follow_up(case, days=1):
        return contacts.add_follow_up(actor=coordinator, case=case, due_on=TODAY + timedelta(days))

    mine = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"])
    unassigned = make_case(unit_kind=Unit.Kind.ADULT)
    # The adult unit's case, assigned to someone of another unit: not the unit's any more.
    theirs = make_case(unit_kind=Unit.Kind.ADULT, assignees=["guide"])
    closed = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"])
    housing = make_case(unit_kind=Unit.Kind.HOUSING_TEAM)
    rows = SimpleNamespace(
        mine=follow_up(mine),
        mine_late=follow_up(mine, -5),
        mine_far=follow_up(mine, 90),
        mine_done=follow_up(mine),
        unassigned=follow_up(unassigned),
        theirs=follow_up(theirs),
        closed=follow_up(closed),
        housing=follow_up(housing),
    )
    contacts.complete_deadline(actor=coordinator, deadline_id=rows.mine_done.pk)
    close_case(
        actor=coordinator,
        case_id=closed.pk,
        expected_version=closed.version,
        outcome="other",
        closed_on=TODAY,
    )
    applied = RouteData(applied_on=TODAY, income_support_unit_id=money)
    refused = RouteData(
        applied_on=TODAY, income_support_unit_id=money, decision="refused", decided_on=TODAY
    )
    for name, route in (("applied", applied), ("refused", refused), ("no_route", None)):
        case, threat = _threat_with_route(
            org, make_case, unit_kind=Unit.Kind.HOUSING_TEAM, assignees=["coordinator"], route=route
        )
        setattr(rows, name, Deadline.objects.get(threat=threat, kind=Deadline.Kind.RECOVERY))
        setattr(rows, f"{name}_eviction", Deadline.objects.get(threat=threat, kind="eviction"))
    return rows


def test_each_reader_gets_the_deadlines_they_answer_for_and_no_others(org, deadlines):
    d = deadlines
    answered = {
        name: set(selectors.answered_deadlines(org.users[name]).values_list("pk", flat=True))
        for name in READERS
    }
    for name in READERS:
        assert answered[name] == _by_the_rule(org.users[name]), name
    # Who may, who may not, row by row.
    assert {d.mine.pk, d.mine_late.pk, d.mine_far.pk, d.unassigned.pk} <= answered["caseworker"]
    assert not {d.mine_done.pk, d.closed.pk, d.theirs.pk, d.housing.pk} & answered["caseworker"]
    assert {d.theirs.pk, d.housing.pk} <= answered["guide"]
    assert not {d.mine.pk, d.unassigned.pk} & answered["guide"]
    assert {d.housing.pk, d.applied.pk, d.refused.pk, d.no_route.pk} <= answered["coordinator"]
    # The income-support unit: the recovery deadline with an application, and only that.
    assert d.applied.pk in answered["caseworker2"]
    assert (
        not {
            d.applied_eviction.pk,
            d.refused.pk,
            d.no_route.pk,
            d.mine.pk,
            d.unassigned.pk,
            d.housing.pk,
        }
        & answered["caseworker2"]
    )
    for name in ("steering", "auditor", "admin"):
        assert answered[name] == set(), name


def test_my_deadlines_the_badge_and_the_list_agree_with_the_rule(org, deadlines, login):
    horizon = TODAY + timedelta(days=max(setting("REMINDER_LEAD_DAYS")))
    for name in ("coordinator", "guide", "caseworker", "caseworker2"):
        user = org.users[name]
        expected = _by_the_rule(user)
        listed = [row.pk for row in selectors.my_deadlines(user)]
        assert sorted(listed) == sorted(expected), name
        due = Deadline.objects.filter(pk__in=expected, due_on__lte=horizon).count()
        assert selectors.my_deadline_count(SimpleNamespace(user=user)) == due, name
        # (caseworker2's one recovery deadline is months away: on the list, not the badge.)
        assert due > 0 or name == "caseworker2", name
        page = login(user).get(reverse("cases:deadlines"))
        shown = [row.pk for row in page.context["overdue"]] + [
            row.pk for row in page.context["upcoming"]
        ]
        assert shown == [row.pk for row in Deadline.objects.filter(pk__in=expected)], name
    # The list's order is the due day, then the id: the overdue one first.
    assert [row.pk for row in selectors.my_deadlines(org.users["caseworker"])][0] == (
        deadlines.mine_late.pk
    )


def _badge(page, key="deadlines"):
    (entry,) = [item for item in page.context["nav_items"] if item["key"] == key]
    return entry["badge"]


def _badge_statements(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("SELECT (SELECT COUNT(*)")]


@pytest.mark.parametrize("most", [200, 1])
def test_my_deadlines_counts_its_badge_from_its_rows(org, deadlines, login, most):
    """My deadlines lists what its badge counts: the badge is counted from the page's
    rows (issue 22), not by the badges' statement, and is the rule's number. When the
    page holds only its first rows and they are all within the horizon (`most` 1), the
    statement counts it as on every other page."""
    from django.test.utils import CaptureQueriesContext

    from cases.evictions.views import deadlines as views

    horizon = TODAY + timedelta(days=max(setting("REMINDER_LEAD_DAYS")))
    for name in ("coordinator", "guide", "caseworker", "caseworker2"):
        user = org.users[name]
        due = Deadline.objects.filter(pk__in=_by_the_rule(user), due_on__lte=horizon).count()
        client = login(user)
        with mock.patch.object(views, "MOST", most), CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("cases:deadlines"))
        (statement,) = _badge_statements(queries.captured_queries)
        assert _badge(page) == due, name
        # Elsewhere the statement counts it: the same number.
        assert _badge(client.get(reverse("cases:handovers"))) == due, name
        truncated = due >= most  # the rows read may all be within the horizon
        assert ("cases_deadline" in statement) == truncated, (name, statement)


def test_the_badge_from_the_rows_is_none_only_when_rows_may_be_missing():
    horizon = TODAY + timedelta(days=max(setting("REMINDER_LEAD_DAYS")))

    def rows(*days):
        return [SimpleNamespace(due_on=TODAY + timedelta(days=d)) for d in days]

    count = selectors.deadline_badge_of_rows
    assert count([], most=3, today=TODAY) == 0
    assert count(rows(-5, 0, 90), most=3, today=TODAY) == 2  # the last beyond the horizon
    assert count(rows(-5, 0), most=3, today=TODAY) == 2  # fewer than asked: all of them
    assert count(rows(-5, 0, 1), most=3, today=TODAY) is None  # more may follow
    last = (horizon - TODAY).days
    assert count(rows(0, last), most=2, today=TODAY) is None
    assert count(rows(0, last + 1), most=2, today=TODAY) == 1


def test_a_new_assignment_moves_the_deadline_from_the_unit_to_the_person(org, deadlines):
    """The unassigned case's deadline is the unit's until someone is assigned: then it is
    that person's only (the badge of every other member of the unit drops)."""
    caseworker, guide = org.users["caseworker"], org.users["guide"]
    row = deadlines.unassigned
    assert row.pk in set(selectors.answered_deadlines(caseworker).values_list("pk", flat=True))
    attribute(CaseAssignment(case_id=row.case_id, user=guide), user=guide, reason="test").save()
    assert row.pk not in set(selectors.answered_deadlines(caseworker).values_list("pk", flat=True))
    assert row.pk in set(selectors.answered_deadlines(guide).values_list("pk", flat=True))


def test_roles_without_case_work_answer_for_nothing(org, deadlines):
    for role in (Role.STEERING, Role.AUDITOR):
        user = Membership.objects.filter(role=role).first().user
        assert not selectors.answered_deadlines(user).exists(), role


@pytest.fixture
def nothing_kept():
    selectors._MY_DEADLINES.statements.clear()
    yield
    selectors._MY_DEADLINES.statements.clear()


def _as_the_orm_reads_them(user, most=200):
    return list(selectors.my_deadlines(user)[:most])


def test_the_kept_list_is_the_orms_for_every_reader(org, deadlines, nothing_kept):
    """`my_deadline_rows` runs the list's statement compiled once per reader (issue 22):
    the same rows, in the same order, with the same related rows and annotation."""
    with mock.patch.object(kept, "_compile", wraps=kept._compile) as compiled:
        for _ in range(2):  # compiled, then through the kept statement
            for name in READERS:
                user = org.users[name]
                got, want = selectors.my_deadline_rows(user), _as_the_orm_reads_them(user)
                assert [d.pk for d in got] == [d.pk for d in want], name
                for mine, theirs in zip(got, want, strict=True):
                    for field, value in vars(theirs).items():
                        if field != "_state":
                            assert getattr(mine, field) == value, (name, field)
                    assert mine._state.fields_cache.keys() == theirs._state.fields_cache.keys()
                    assert mine.case.responsible_unit.name == theirs.case.responsible_unit.name
                    assert mine.case.number == theirs.case.number
                    assert mine.has_children == theirs.has_children
                    assert (mine.threat and mine.threat.pk) == (theirs.threat and theirs.threat.pk)
    assert compiled.call_count == len(READERS)
    assert selectors.my_deadline_rows(org.users["caseworker"])  # not vacuous


def test_the_kept_list_reads_the_deadlines_as_they_are_now(org, deadlines, nothing_kept):
    caseworker, coordinator = org.users["caseworker"], org.users["coordinator"]
    before = [d.pk for d in selectors.my_deadline_rows(caseworker)]
    assert deadlines.mine.pk in before
    contacts.complete_deadline(actor=coordinator, deadline_id=deadlines.mine.pk)
    after = [d.pk for d in selectors.my_deadline_rows(caseworker)]
    assert after == [pk for pk in before if pk != deadlines.mine.pk]
    assert len(selectors._MY_DEADLINES.statements) == 1
    # At most `most`, the first by the list's order; another limit is another statement.
    assert [d.pk for d in selectors.my_deadline_rows(caseworker, most=1)] == after[:1]
    assert len(selectors._MY_DEADLINES.statements) == 2


def test_no_reader_is_served_anothers_kept_list(org, deadlines, nothing_kept):
    caseworker, guide = org.users["caseworker"], org.users["guide"]
    mine = {d.pk for d in selectors.my_deadline_rows(caseworker)}
    theirs = {d.pk for d in selectors.my_deadline_rows(guide)}
    assert mine == _by_the_rule(caseworker) and theirs == _by_the_rule(guide)
    assert mine != theirs
    # A new unit of case staff for the guide: another key, and the unit's cases at once.
    Membership.objects.create(user=guide, unit=org.units[Unit.Kind.ADULT], role=Role.CASEWORKER)
    guide = type(guide).objects.get(pk=guide.pk)  # the roles as a new request loads them
    assert deadlines.unassigned.pk in {d.pk for d in selectors.my_deadline_rows(guide)}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements")
def test_the_kept_list_runs_on_one_generic_plan(org, deadlines, nothing_kept):
    """PostgreSQL planned the list afresh on every page while it preferred custom plans
    (1.7 ms of planning beside 2.3 ms of execution at national scale); the kept list runs
    on its generic plan (bokvar.prepared.generic_plan), the session's mode reset after."""
    caseworker = org.users["caseworker"]
    for _ in range(6):  # (the ORM's own reading would share the prepared statement's text)
        assert {d.pk for d in selectors.my_deadline_rows(caseworker)} == _by_the_rule(caseworker)
    rows, mode = prepared_plans('SELECT "cases_deadline"."id"%LIMIT 200')
    assert len(rows) == 1, rows
    generic, custom, _types = rows[0]
    assert custom == 0 and generic >= 4
    assert mode == "auto"


def test_payment_routes_of_no_threats_build_no_statement(org, deadlines):
    from django.db.models.sql.compiler import SQLCompiler

    with mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("built")):
        assert selectors.payment_routes_of_threats([]) == {}
    threat_id = Deadline.objects.get(pk=deadlines.applied.pk).threat_id
    routes = selectors.payment_routes_of_threats({threat_id})
    assert list(routes) == [threat_id] and routes[threat_id].threat.pk == threat_id


@pytest.fixture
def no_openable_kept():
    selectors._OPENABLE.statements.clear()
    yield
    selectors._OPENABLE.statements.clear()


def _openable_by_the_orm(user, ids) -> set[int]:
    return set(visible_cases(user).filter(pk__in=list(ids)).values_list("pk", flat=True))


def test_the_openable_cases_are_the_orms_for_every_reader(org, deadlines, no_openable_kept):
    """My deadlines links only the cases its reader may open, by a statement compiled
    once per reader (`KeptIdRows` with a reader's key): the same cases as the ORM's
    reading, for any ids, an unknown one and none at all."""
    case_ids = {d.case_id for d in vars(deadlines).values()} | {10**9}
    compiled_per_database = connection.vendor == "postgresql"
    with mock.patch.object(
        compiled.KeptIdRows, "_compile", autospec=True, side_effect=compiled.KeptIdRows._compile
    ) as compiling:
        for ids in (case_ids, sorted(case_ids)[:2], []):
            for name in READERS:
                user = org.users[name]
                assert selectors.openable_case_ids(user, ids) == _openable_by_the_orm(user, ids)
    assert compiling.call_count == (len(READERS) if compiled_per_database else 0)
    coordinator, caseworker = org.users["coordinator"], org.users["caseworker"]
    assert selectors.openable_case_ids(coordinator, case_ids) != selectors.openable_case_ids(
        caseworker, case_ids
    )  # not vacuous, and no reader served another's statement


def test_a_new_grant_opens_the_case_at_once(org, deadlines, no_openable_kept):
    guide = org.users["guide"]
    unassigned = Case.objects.get(pk=deadlines.unassigned.case_id)
    assert selectors.openable_case_ids(guide, [unassigned.pk]) == set()
    grant_case(unassigned, guide, actor=org.users["coordinator"], reason="test")
    assert selectors.openable_case_ids(guide, [unassigned.pk]) == {unassigned.pk}


REFERENCE_PAGE = (Path(__file__).parent / "reference_my_deadlines.html").read_text()
REFERENCE_ROW = (Path(__file__).parent / "reference_deadline_row.html").read_text()
NEW_PAGE = (
    Path(__file__).resolve().parents[3] / "templates/cases/evictions/my_deadlines.html"
).read_text()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_rows_written_in_python_are_the_row_templates_byte_for_byte(
    org, deadlines, login, language
):
    """My deadlines' rows (cases/evictions/presenters.py) against the page and its row
    template as they were (tests/cases/evictions/reference_*.html), for readers whose
    rows are overdue, due today or later, urgent, with children, linked or an
    income-support application with its next step."""
    engine = engines["django"]
    token = '<input type="hidden" name="csrfmiddlewaretoken" value="T">'
    seen = ""
    for name in ("caseworker", "caseworker2", "coordinator"):
        with translation.override(language):
            page = login(org.users[name]).get(reverse("cases:deadlines"))
            assert page.status_code == 200
            context = {k: page.context[k] for k in ("overdue", "upcoming", "today")}
            for part, overdue in (("overdue", True), ("upcoming", False)):
                context[f"{part}_rows"] = presenters.deadline_rows(
                    context[part], overdue=overdue, today=context["today"], csrf_input=token
                )
            context |= {"csrf_token": "T", "row_template": engine.from_string(REFERENCE_ROW)}
            request = RequestFactory().get(reverse("cases:deadlines"))
            request.user = org.users[name]
            new = engine.from_string(NEW_PAGE).render(context, request)
            reference = engine.from_string(REFERENCE_PAGE).render(context, request)
        assert new == reference, name
        seen += new
    assert 'class="deadline"' in seen and "<form" in seen and "<br>" in seen


def test_the_units_unassigned_open_cases_are_named_in_the_text(org, deadlines):
    """The badge runs on its generic plan, which reads the partial index of a unit's open
    cases nobody is assigned to (`case_unassigned_of_unit`, `status = 'open' AND NOT
    assigned`) only when the statement names the same constants: bound, it read every
    case of the unit (237 of the caseworker's 735 buffers at national scale, issue 22).
    The rows are the rule's (the tests above)."""
    sql, _params = selectors.answered_deadlines(org.users["caseworker"]).query.sql_with_params()
    # The unit's unassigned open cases; the deadlines' own join stays bound.
    unassigned = re.search(r"NOT (\w+)\.\"assigned\" AND .*? AND \1\.\"status\" = 'open'", sql)
    assert unassigned, sql
    assert sql.count("'open'") == 1
    # No longer the unit's open cases less its assigned ones.
    assert "case_unit_id" not in sql
