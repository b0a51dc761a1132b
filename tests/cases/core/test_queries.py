"""The case list costs the same number of queries whatever the number of cases and grants.

The page's cases come from one query; the pager adds one COUNT of the same filtered
set, bounded to a thousand cases past the page (bokvar.paging: "page n of more than m").
Where statements are prepared (PostgreSQL here) the count is sent with the page's rows,
in their round trip, full page or not (`CaseListPages.page_and_count`); elsewhere only
where the page is full (a page short of full is its list's end, counted by its rows).
Both are single queries whatever the data, and the total per page stays constant as
cases and grants grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from bokvar.models import Unit
from bokvar.prepared import prepares

pytestmark = pytest.mark.django_db


def _queries(client, url, params=None) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx), [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("username", ["coordinator", "caseworker", "guide"])
def test_case_list_is_one_rows_query_plus_the_pager_count_at_any_size(
    client, org, make_case, username
):
    user = org.users[username]
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    for _ in range(3):
        case = make_case(
            unit_kind=Unit.Kind.ADULT, assignees=["caseworker", "guide"], children=[2016]
        )
    client.get(reverse("cases:list"))  # warm per-process caches
    small, sql = _queries(client, reverse("cases:list"))
    # 3 cases: counted with the rows where they are pipelined, else not at all.
    sent_with_rows = prepares(connection.alias)
    assert len([q for q in sql if q.startswith("SELECT COUNT(*) FROM")]) == sent_with_rows
    for _ in range(30):
        case = make_case(
            unit_kind=Unit.Kind.ADULT, assignees=["caseworker", "guide"], children=[2016]
        )
        assign_perm("cases.view_case", org.users["caseworker2"], case)
    large, sql = _queries(client, reverse("cases:list"))
    assert large == small + (not sent_with_rows)  # the full page's count
    for _ in range(3):
        case = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker", "guide"])
        assign_perm("cases.view_case", org.users["caseworker2"], case)
    assert _queries(client, reverse("cases:list"))[0] == large
    # Queries whose main table is the case table (navigation badges join it too; where
    # the access log describes cases by a query of its own, it is not the page's rows:
    # the list's rows come with what it says of them, `facts_with_the_case`).
    main = [q.split(" WHERE ")[0] for q in sql if 'AS "any_protected"' not in q]
    rows = [q for q in main if q.startswith('SELECT "cases_case"."id"')]
    # A coordinator's count is of parts one after the other (UNION ALL), in one query.
    counts = [
        q
        for q in main
        if q.startswith(
            (
                'SELECT COUNT(*) FROM (SELECT "cases_case"."id"',
                'SELECT COUNT(*) FROM ((SELECT "cases_case"."id"',
            )
        )
    ]
    assert (len(rows), len(counts)) == (1, 1), (
        "one query for the page's rows plus one for the pager's count"
    )
    # The main tenant's name is read, not their other encrypted fields.
    (listed,) = [q for q in sql if q.startswith('SELECT "cases_case"."id"') and "head_granted" in q]
    assert '"cases_person"."given_name"' in listed
    assert not any(f'"cases_person"."{name}"' in listed for name in ("address", "notes"))
    # The count stops a thousand cases past the page (bokvar.paging), not at the last case.
    assert [q for q in sql if q.startswith("SELECT COUNT(*) FROM")][0].count("LIMIT 1001") == 1
    found = client.post(reverse("cases:list"), {"q": "19800101-2387", "status": "open"})
    searched, _ = _queries(client, found["Location"])
    assert searched <= large


def test_case_page_query_count_is_constant(client, org, make_case):
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    case = make_case(assignees=["caseworker"])
    client.get(reverse("cases:detail", args=[case.pk]))
    small, _ = _queries(client, reverse("cases:detail", args=[case.pk]))
    for _ in range(10):
        make_case(assignees=["caseworker"])
    assert _queries(client, reverse("cases:detail", args=[case.pk]))[0] == small


@pytest.mark.parametrize(
    "username", ["coordinator", "caseworker", "caseworker2", "guide", "steering", "outsider"]
)
def test_the_grant_driven_form_sees_exactly_the_same_cases(org, cases, make_case, username):
    """`visible_cases_by_grants` (the case list of anyone but a coordinator, and its
    pager) is the one rule written as a UNION: the same cases for every reader, grants to
    the user, to their groups and a coordinator's districts alike."""
    from cases.core.selectors.cases import visible_cases, visible_cases_by_grants
    from tests.factories import UserFactory

    users = dict(org.users, outsider=UserFactory(username="outsider-union"))
    other = make_case(unit_kind=Unit.Kind.INCOME_SUPPORT)
    assign_perm("cases.view_case", org.users["caseworker"], other)  # a grant of one's own
    user = users[username]
    expected = set(visible_cases(user).values_list("pk", flat=True))
    assert set(visible_cases_by_grants(user).values_list("pk", flat=True)) == expected
    if username in ("coordinator", "caseworker"):
        assert expected  # the comparison is not between two empty sets


# --- The case page at most 20 queries, the same whatever the case holds (issue 22) -------

CASE_PAGE_MOST_QUERIES = 20


def _case_with_history(org, make_case, n: int, tag: str):
    """A case whose history holds `n` of everything the case page shows: household members
    and children, contacts, interventions, follow-ups, landlord signals, eviction threats
    (one open, with a payment route), handovers, placements, shelter nights, cost items,
    referrals and changes. `n` = 1 and `n` = 6 give cases of the same shape."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from cases.evictions.services import contacts, deadlines, threats
    from cases.evictions.services.threats import ThreatData
    from cases.handovers.services import deciding, sending
    from cases.models import EvictionThreat, Landlord, LandlordSignal, PaymentRoute
    from housing import services as housing
    from housing.models import CostCategory, Placement, Shelter, ShelterNight
    from partners import services as partner_services
    from partners.referrals import services as referrals
    from tests.case_fixtures import person

    users, today = org.users, timezone.localdate()
    caseworker = users["caseworker"]
    case = make_case(
        assignees=["caseworker", "guide"],
        people=[person("Huvud", f"{tag}son")]
        + [person(f"Medlem{i}", f"{tag}dotter{i}") for i in range(n)],
        children=[2010 + i for i in range(n)],
    )
    head = case.household.head
    landlord = Landlord.objects.create(
        kind="private", private_name=f"Värd {tag}", name_bidx=f"queries-{tag}"
    )
    category, _ = CostCategory.objects.get_or_create(name="Hemtjänst")
    shelter, _ = Shelter.objects.get_or_create(name="Härbärget", district=org.district)
    partner = partner_services.create_partner(
        actor=users["coordinator"],
        district=org.district,
        data=partner_services.PartnerData(name=f"Balans {tag}", kind="association"),
    )
    apartment = housing.create_apartment(
        actor=users["coordinator"],
        district_id=org.district.pk,
        kind="training",
        reference=f"Q-{tag}",
        address="Kommunens gata 1",
        rent=Decimal(5000),
        status_since=today - timedelta(days=400),
    )
    for i in range(n):
        day = today - timedelta(days=3 * i + 1)
        contacts.record_contact(
            actor=caseworker, case_id=case.pk, kind="call", on=day, reached=True, note=f"samtal {i}"
        )
        contacts.record_intervention(
            actor=caseworker, case_id=case.pk, kind="debt_counselling", on=day, note=f"insats {i}"
        )
        deadlines.add_follow_up(
            actor=caseworker, case=case, due_on=today + timedelta(days=i + 2), note=f"uppf {i}"
        )
        LandlordSignal.objects.create(
            landlord=landlord,
            kind="disturbance",
            channel="letter",
            received_on=day,
            description=f"störning {i}",
            case=case,
        )
        EvictionThreat.objects.create(
            case=case,
            arrears_notice_on=day - timedelta(days=300),
            outcome="withdrawn",
            concluded_on=day - timedelta(days=200),
        )
        handover, _ = sending.send_handover(
            actor=caseworker,
            case_id=case.pk,
            kind="consultation",
            to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
            reason=f"fråga {i}",
        )
        # Answered and closed, so the next one is sent anew (sent, accepted, closed).
        deciding.accept_handover(actor=users["caseworker2"], handover_id=handover.pk)
        deciding.close_consultation(actor=users["coordinator"], handover_id=handover.pk)
        Placement.objects.create(
            apartment=apartment,
            case=case,
            household=case.household,
            start_on=today - timedelta(days=100 + 10 * i),
            end_on=today - timedelta(days=95 + 10 * i),
            outcome="moved_on",
            guide=users["guide"],
        )
        ShelterNight.objects.create(
            person=head,
            shelter=shelter,
            night=day,
            cost=Decimal(300),
            paying_unit=org.units[Unit.Kind.ADULT],
        )
        housing.add_cost_item(
            actor=caseworker,
            case_id=case.pk,
            category=category,
            on=today,
            amount=Decimal(100),
            note=f"kostnad {i}",
        )
        referrals.propose_referral(
            actor=caseworker,
            case_id=case.pk,
            data=referrals.ReferralData(
                partner_id=partner.pk,
                person_id=head.pk,
                proposed_on=day,
                consent_on=day,
                share_need=True,
                need=f"behov {i}",
            ),
        )
    current = threats.create_threat(
        actor=caseworker,
        case_id=case.pk,
        data=ThreatData(
            arrears_notice_on=today - timedelta(days=20),
            termination_served_on=today - timedelta(days=10),
            board_notified_on=today - timedelta(days=9),
        ),
    )
    PaymentRoute.objects.create(
        threat=current, income_support_unit=org.units[Unit.Kind.INCOME_SUPPORT], applied_on=today
    )
    return case


@pytest.mark.parametrize("username", ["caseworker", "coordinator"])
def test_case_page_stays_within_twenty_queries_however_long_its_history(
    client, org, make_case, username
):
    """The case page's sections read one query each (never one per item), the write
    permission and the household's protection are decided once per request: a case with
    six times the history costs the same queries, at most 20 (issue 22, point 2)."""
    client.force_login(org.users[username], backend="django.contrib.auth.backends.ModelBackend")
    small = _case_with_history(org, make_case, 1, "Liten")
    large = _case_with_history(org, make_case, 6, "Stor")
    client.get(reverse("cases:detail", args=[small.pk]))  # warm per-process caches
    small_count, small_sql = _queries(client, reverse("cases:detail", args=[small.pk]))
    large_count, large_sql = _queries(client, reverse("cases:detail", args=[large.pk]))
    listing = "\n".join(f"{i:2d} {q[:300]}" for i, q in enumerate(large_sql))
    assert large_count == small_count, listing
    if connection.vendor == "postgresql":  # SQLite reads each list alone (rows.read_together)
        assert large_count <= CASE_PAGE_MOST_QUERIES, listing
    page = client.get(reverse("cases:detail", args=[large.pk])).content.decode()
    # Everything of the long history is still shown: the sixth of each.
    for shown in ("samtal 5", "insats 5", "störning 5", "Medlem5", "kostnad 5"):
        assert shown in page, shown


@pytest.mark.parametrize("username", ["coordinator", "caseworker", "guide"])
def test_group_grants_are_read_without_the_groups_table(org, cases, username):
    """A case granted to one of the reader's groups is found through the membership table
    alone: joining the groups' own table looked each grant's group up (314 of a city
    coordinator's 1,341 buffers for their list's first page, issue 22). The rows are the
    rule's (the grant-driven form and the one-case form, tested against it above)."""
    from cases.core.selectors.cases import visible_case, visible_cases, visible_cases_by_grants

    user = org.users[username]
    for queryset in (visible_cases(user), visible_case(user), visible_cases_by_grants(user)):
        sql = str(queryset.query)
        assert "casegroupobjectpermission" in sql
        assert '"auth_group"' not in sql, sql
