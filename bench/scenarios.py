"""The benchmark scenarios. Pages go through Django's test client (URL routing,
middleware, permission filtering, templates); jobs call the same code as the
commands and tasks. Each domain adds its scenarios to `builders`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db import connection
from django.db.models import Count
from django.test import Client

from bokvar.models import Role, User
from cases.models import Case, Person

from . import floors
from .runner import Scenario

PAGE_BUDGET_MS = {"district": 100, "city": 100, "national": 250}


def signed_in_client(user: User) -> Client:
    """A client signed in as `user` with a second factor (since issue 21 every page
    needs one): the session is marked verified by a static device of the benchmark, as
    the sign-in views do after a code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="bench sign-in", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _get(client: Client, url: str, params: dict | None = None) -> Callable[[], object]:
    def run():
        response = client.get(url, params or {})
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        return response

    return run


def _placeholders(values: list) -> str:
    """`%s, %s, …` for an IN list of `values` (SQLite has no `= ANY(array)`); NULL for none."""
    return ", ".join(["%s"] * len(values)) or "NULL"


def _search(client: Client, text: str) -> Callable[[], object]:
    """A case search as the page makes it: posted, then the result page by its token."""

    def run():
        response = client.post("/cases/", {"q": text}, follow=True)
        if response.status_code != 200 or not response.redirect_chain:
            raise RuntimeError(f"the search answered {response.status_code}")
        return response

    return run


def _page(
    name: str,
    client: Client,
    url: str,
    *,
    floor_sql: str,
    floor_params: list | None = None,
    budget_ms: float | None = None,
    params: dict | None = None,
    search: str | None = None,
    **options,
) -> Scenario:
    """A page scenario with both floors: the SQL floor (`floor_sql` alone on the
    connection) and the framework floor (its rows in a bare template, requested by the
    same signed-in client through the same middleware; bench.floors). A `search` posts
    the text and follows the redirect, and so does its floor."""
    return Scenario(
        name,
        _search(client, search) if search is not None else _get(client, url, params),
        floor_sql=floor_sql,
        floor_params=list(floor_params or []),
        budget_ms=budget_ms,
        framework_floor=floors.request(client, floor_sql, floor_params, post=search is not None),
        **options,
    )


def first_user(role: str) -> User:
    return User.objects.filter(memberships__role=role).order_by("id").first()


def case_pages(scale: str) -> list[Scenario]:
    budget = PAGE_BUDGET_MS[scale]
    coordinator, caseworker = first_user(Role.COORDINATOR), first_user(Role.CASEWORKER)
    unit_id = caseworker.memberships.first().unit_id
    district_id = coordinator.memberships.first().unit.district_id
    sample = Case.objects.filter(responsible_unit_id=unit_id).order_by("-id").first()
    person = Person.objects.get(pk=sample.household.head_id)
    out = []
    for label, user in (("coordinator", coordinator), ("caseworker", caseworker)):
        client = signed_in_client(user)
        out += [
            _page(
                f"case list ({label}): first page",
                client,
                "/cases/",
                floor_sql=_floor_case_page(
                    label, district_id if label == "coordinator" else unit_id
                ),
                budget_ms=budget,
            ),
            _page(
                f"case list ({label}): identity-number search",
                client,
                "/cases/",
                search=person.personal_number.replace("-", ""),
                floor_sql="SELECT c.id, c.number, p.given_name, p.family_name FROM cases_case c "
                "JOIN cases_person p ON p.household_id = c.household_id "
                "WHERE p.personal_number_bidx = %s",
                floor_params=[person.personal_number_bidx],
                budget_ms=budget,
            ),
            _page(
                f"case list ({label}): filter open cases of a unit",
                client,
                "/cases/",
                params={"status": "open", "unit": unit_id},
                floor_sql="SELECT c.id, c.number, p.given_name, p.family_name FROM cases_case c "
                "JOIN cases_household h ON h.id = c.household_id "
                "LEFT JOIN cases_person p ON p.id = h.head_id "
                "WHERE c.status = 'open' AND c.responsible_unit_id = %s "
                "ORDER BY c.opened_on DESC, c.id DESC LIMIT 25",
                floor_params=[unit_id],
                budget_ms=budget,
            ),
        ]
    out.append(
        _page(
            "case page with its timeline",
            signed_in_client(caseworker),
            f"/cases/{sample.pk}/",
            floor_sql=CASE_PAGE_FLOOR,
            floor_params=case_page_floor_params(sample.pk),
            budget_ms=budget,
        )
    )
    return out


# The case page's floor's changes: the newest 15 records of each kind (the page reads
# as many).
_CHANGES = (
    ("change of the case", "cases_historicalcase", "h.id = c.id", "h.status"),
    ("change of the household", "cases_historicalhousehold", "h.id = c.household_id", "NULL"),
    (
        "change of a person",
        "cases_historicalperson",
        "h.household_id = c.household_id",
        "h.given_name",
    ),
    (
        "change of a child",
        "cases_historicalhouseholdchild",
        "h.household_id = c.household_id",
        "NULL",
    ),
    ("change of an assignment", "cases_historicalcaseassignment", "h.case_id = c.id", "NULL"),
)
_CHANGES_SQL = "".join(
    f"UNION ALL SELECT * FROM (SELECT '{kind}', h.history_id, CAST(h.history_date AS TEXT), "
    f"h.history_type, {shown} FROM {table} h JOIN c ON {on} "  # noqa: S608 - the code's own names
    f"ORDER BY h.history_date DESC LIMIT 15) AS changes_{n}\n"
    for n, (kind, table, on, shown) in enumerate(_CHANGES)
)

# The case page's rows (`cases.case_page.ROWS`), by one hand-written query: the case, its
# household's people and children, and each list its sections and timeline show. Until
# the twenty-first round the floor read the case and its people alone (1 to 3 rows) while
# the page reads and shows every list: for the bench's case at national scale 44 rows,
# 36 of them the household's shelter nights. The floor reads each row once: the nights once
# (the page reads the year's for its list and every year's for the chain), the newest 15
# records of each kind of change (the page reads as many, and the record before each).
# Values are not decrypted and no permission is checked beyond the case's id, as every
# floor. Plain SQL both databases run (the suite runs the scenarios on SQLite too).
CASE_PAGE_FLOOR = (
    """
WITH c AS (SELECT id, number, household_id, opened_on FROM cases_case WHERE id = %s)
SELECT 'case', c.id, CAST(c.opened_on AS TEXT), c.number, NULL FROM c
UNION ALL SELECT 'person', p.id, NULL, p.given_name, p.family_name
  FROM cases_person p JOIN c ON p.household_id = c.household_id
UNION ALL SELECT 'child', k.id, CAST(k.birth_year AS TEXT), NULL, NULL
  FROM cases_householdchild k JOIN c ON k.household_id = c.household_id
UNION ALL SELECT 'assignment', a.id, CAST(a.assigned_at AS TEXT), u.username, NULL
  FROM cases_caseassignment a JOIN c ON a.case_id = c.id JOIN bokvar_user u ON u.id = a.user_id
UNION ALL SELECT 'threat', t.id, CAST(t.eviction_on AS TEXT), t.outcome,
  CAST(t.arrears_amount AS TEXT) FROM cases_evictionthreat t JOIN c ON t.case_id = c.id
UNION ALL SELECT 'deadline', d.id, CAST(d.due_on AS TEXT), d.kind, d.note
  FROM cases_deadline d JOIN c ON d.case_id = c.id
UNION ALL SELECT 'signal', s.id, CAST(s.received_on AS TEXT), s.kind, l.organisation_name
  FROM cases_landlordsignal s JOIN c ON s.case_id = c.id
  LEFT JOIN cases_landlord l ON l.id = s.landlord_id
UNION ALL SELECT 'payment route', r.id, CAST(r.applied_on AS TEXT), r.decision, r.settlement
  FROM cases_paymentroute r JOIN cases_evictionthreat t ON t.id = r.threat_id
  JOIN c ON t.case_id = c.id
UNION ALL SELECT 'contact', x.id, CAST(x."on" AS TEXT), x.kind, x.note
  FROM cases_contact x JOIN c ON x.case_id = c.id
UNION ALL SELECT 'intervention', i.id, CAST(i."on" AS TEXT), i.kind, i.note
  FROM cases_intervention i JOIN c ON i.case_id = c.id
UNION ALL SELECT 'handover', h.id, CAST(h.sent_at AS TEXT), h.status, t.name
  FROM cases_handover h JOIN c ON h.case_id = c.id JOIN bokvar_unit t ON t.id = h.to_unit_id
"""
    + _CHANGES_SQL
    + """UNION ALL SELECT 'placement', pl.id, CAST(pl.start_on AS TEXT), ap.address, pl.outcome
  FROM housing_placement pl JOIN c ON pl.case_id = c.id
  JOIN housing_apartment ap ON ap.id = pl.apartment_id
UNION ALL SELECT 'cost', ci.id, CAST(ci."on" AS TEXT), CAST(ci.amount AS TEXT), ci.note
  FROM housing_costitem ci JOIN c ON ci.case_id = c.id WHERE ci."on" >= %s
UNION ALL SELECT 'night', n.id, CAST(n.night AS TEXT), sh.name, CAST(n.cost AS TEXT)
  FROM housing_shelternight n JOIN cases_person p ON p.id = n.person_id
  JOIN c ON p.household_id = c.household_id JOIN housing_shelter sh ON sh.id = n.shelter_id
UNION ALL SELECT 'referral', rf.id, CAST(rf.proposed_on AS TEXT), rf.status, pa.name
  FROM partners_referral rf JOIN c ON rf.case_id = c.id
  JOIN partners_partner pa ON pa.id = rf.partner_id
UNION ALL SELECT 'household case', hc.id, CAST(hc.opened_on AS TEXT),
  CAST(hc.closed_on AS TEXT), NULL FROM cases_case hc JOIN c ON hc.household_id = c.household_id
UNION ALL SELECT 'household placement', hp.id, CAST(hp.start_on AS TEXT),
  CAST(hp.end_on AS TEXT), NULL
  FROM housing_placement hp JOIN c ON hp.household_id = c.household_id
"""
)


def case_page_floor_params(case_id: int) -> list:
    """`CASE_PAGE_FLOOR`'s parameters: the case, and the first day of the year (the page
    lists this year's cost items)."""
    from django.utils import timezone

    return [case_id, date(timezone.localdate().year, 1, 1)]


def _floor_case_page(label: str, scope_id: int) -> str:
    if label == "coordinator":
        return (
            "SELECT c.id, c.number, p.given_name, p.family_name FROM cases_case c "
            "JOIN bokvar_unit u ON u.id = c.responsible_unit_id "
            "JOIN cases_household h ON h.id = c.household_id LEFT JOIN cases_person p ON p.id = h.head_id "
            f"WHERE u.district_id = {int(scope_id)} ORDER BY c.opened_on DESC, c.id DESC LIMIT 25"  # noqa: S608
        )
    return (
        "SELECT c.id, c.number, p.given_name, p.family_name FROM cases_case c "
        "JOIN cases_household h ON h.id = c.household_id LEFT JOIN cases_person p ON p.id = h.head_id "
        f"WHERE c.responsible_unit_id = {int(scope_id)} ORDER BY c.opened_on DESC, c.id DESC LIMIT 25"  # noqa: S608
    )


def key_rotation(scale: str) -> list[Scenario]:
    """Re-encrypt the people table with a new key and back; reports values per second."""
    import base64

    from django.conf import settings

    from bokvar.fields import encrypted_fields
    from bokvar.management.commands.rotate_keys import rotate_table

    fields = encrypted_fields(Person)
    original = settings.FIELD_ENCRYPTION_KEYS
    other = "bench:" + base64.b64encode(b"B" * 32).decode()
    count = Person.objects.count()
    values = count * len(fields)
    state = {"flip": False}

    def run():
        keys = f"{other},{original}" if not state["flip"] else f"{original},{other}"
        settings.FIELD_ENCRYPTION_KEYS = keys
        try:
            primary = keys.split(":", 1)[0]
            rotate_table(
                Person, fields, f"enc2:{primary}:", batch_size=5000, dry_run=False, progress=False
            )
        finally:
            settings.FIELD_ENCRYPTION_KEYS = original if state["flip"] else f"{original},{other}"
        state["flip"] = not state["flip"]

    def finish():
        # Leave everything on the configured key.
        if state["flip"]:
            run()
        settings.FIELD_ENCRYPTION_KEYS = original

    scenario = Scenario(
        "key rotation (people)",
        run,
        items=values,
        min_rate=5_000,
        # Reading every encrypted value once, without decrypting or writing.
        floor_sql="SELECT id, {} FROM cases_person".format(", ".join(f.column for f in fields)),
        repeat=2,
        capture_queries=False,
    )
    scenario.finish = finish
    return [scenario]


builders: list[Callable[[str], list[Scenario]]] = [case_pages, key_rotation]


def workflow(scale: str) -> list[Scenario]:
    from datetime import date, timedelta

    from bokvar.models import Notification
    from cases.evictions.services.deadlines import send_due_reminders
    from cases.models import Deadline

    budget = PAGE_BUDGET_MS[scale]
    caseworker, coordinator = first_user(Role.CASEWORKER), first_user(Role.COORDINATOR)
    district_id = coordinator.memberships.first().unit.district_id
    today = date.today()
    due_today = Deadline.objects.filter(
        done_at__isnull=True, due_on__gte=today, due_on__lte=today + timedelta(days=7)
    ).count()

    def reset():
        Notification.objects.filter(kind="deadline_reminder").delete()

    return [
        _page(
            "My deadlines (caseworker)",
            signed_in_client(caseworker),
            "/cases/deadlines/",
            floor_sql="SELECT d.id, d.due_on, c.number FROM cases_deadline d JOIN cases_case c ON c.id = d.case_id "
            "JOIN cases_caseassignment a ON a.case_id = c.id WHERE a.user_id = %s AND d.done_at IS NULL "
            "ORDER BY d.due_on LIMIT 50",
            floor_params=[caseworker.pk],
            budget_ms=budget,
        ),
        _page(
            "signal triage queue (coordinator)",
            signed_in_client(coordinator),
            "/cases/signals/",
            floor_sql="SELECT s.id, s.kind, s.received_on, l.organisation_name "
            "FROM cases_landlordsignal s JOIN cases_landlord l ON l.id = s.landlord_id "
            "WHERE s.district_id = %s AND s.status = 'untriaged' ORDER BY s.received_on, s.id",
            floor_params=[district_id],
            budget_ms=budget,
        ),
        Scenario(
            f"reminder task over a day of deadlines ({due_today} open within 7 days)",
            lambda: send_due_reminders(today=today),
            setup=reset,
            # The deadlines the task looks at, with their cases, in one read.
            floor_sql="SELECT d.id, d.kind, d.due_on, c.number, c.responsible_unit_id "
            "FROM cases_deadline d JOIN cases_case c ON c.id = d.case_id "
            "WHERE d.done_at IS NULL AND c.status = 'open' AND d.due_on <= %s",
            floor_params=[today + timedelta(days=7)],
            capture_queries=False,
            items=due_today,
            repeat=3,
        ),
    ]


builders.append(workflow)


IMPORT_ROWS = 100_000


def housing_jobs(scale: str) -> list[Scenario]:
    """Import 100,000 shelter nights through the invoice-import code (bulk validation,
    all or nothing), then remove them again before the next run."""
    from datetime import date, timedelta

    from bokvar.models import Unit
    from housing import nights
    from housing.models import Shelter, ShelterNight

    shelter = Shelter.objects.order_by("id").first()
    unit = Unit.objects.filter(district_id=shelter.district_id).order_by("id").first()
    people = list(Person.objects.order_by("id").values_list("personal_number", flat=True)[:2000])
    first = date(2100, 1, 1)  # nights nobody has: the import creates them all
    count = IMPORT_ROWS
    rows = [
        nights.BatchRow(
            line=i + 2,
            personal_number=people[i % len(people)],
            shelter=shelter.name,
            night=(first + timedelta(days=i // len(people))).isoformat(),
            paying_unit=unit.name,
        )
        for i in range(count)
    ]

    def cleanup():
        ShelterNight.history.filter(night__gte=first).delete()
        ShelterNight.objects.filter(night__gte=first).delete()

    def run():
        result = nights.import_batch(actor=None, rows=rows, source="import")
        if not result.ok or result.created != len(rows):
            raise RuntimeError(f"import failed: {result.errors[:3]}")

    from housing.models import ShelterPrice

    ShelterPrice.objects.get_or_create(
        shelter=shelter, valid_from=first, defaults={"price_per_night": 500}
    )
    scenario = Scenario(
        f"import {count:,} shelter nights",
        run,
        setup=cleanup,
        capture_queries=False,
        items=len(rows),
        min_rate=20_000,
        repeat=2,
    )
    scenario.finish = cleanup
    return [scenario]


def steering_year(scale: str) -> list[Scenario]:
    from datetime import date

    from steering import presenters, snapshots, stats
    from steering.models import MonthlyReport, StatisticsSnapshot
    from steering.periods import parse_period, ytd

    steering = first_user(Role.STEERING)
    year = parse_period(str(date.today().year - 1))
    # Every year is published ahead (steering.snapshots); a year to date of an old year
    # is not, so its first request sums its (published) months and counts what is not a
    # sum over time. It has no budget of its own: it shows what a first request for an
    # unusual period costs.
    cold = ytd(date.today().year - 2, 9)
    district = steering.memberships.first().unit.district

    with connection.cursor() as cursor:
        cursor.execute(_STEERING_FLOOR, _steering_floor_params(district.pk, year.start, year.end))
        rows_of_year = sum(row[3] for row in cursor.fetchall())

    def forget_cold_year():
        # As if never published: the period, its months and the same months a year before.
        keys = [cold.key, cold.year_earlier().key]
        months = [m.key for p in (cold, cold.year_earlier()) for m in p.month_periods()]
        StatisticsSnapshot.objects.filter(district=district, period__in=keys).delete()
        MonthlyReport.objects.filter(district=district, period__in=months).delete()
        presenters.forget()  # nor presented in this process
        snapshots.forget_reports()  # nor kept (a making that publishes is never kept)

    def forget_cold_period_only():
        keys = [cold.key, cold.year_earlier().key]
        StatisticsSnapshot.objects.filter(district=district, period__in=keys).delete()
        presenters.forget()
        snapshots.forget_reports()

    return [
        # What the steering group waits for: the page, served from the snapshot the
        # background refresh keeps (the warm-up run makes it if none is stored yet).
        _page(
            "steering dashboard for a year",
            signed_in_client(steering),
            "/steering/statistics/",
            params={"period": year.key},
            floor_sql="SELECT data FROM steering_statisticssnapshot "
            "WHERE district_id = %s AND period = %s",
            floor_params=[district.pk, year.key],
            budget_ms=500,
            repeat=10,
        ),
        # A first request for a period that is not pre-computed: the page aggregates
        # every figure for it, the same months a year before and the comparisons, then
        # stores it.
        Scenario(
            "steering dashboard for nine months not pre-computed (first request)",
            _get(
                signed_in_client(steering),
                "/steering/statistics/",
                {"period": cold.key},
            ),
            setup=forget_cold_year,
            floor_sql=_STEERING_FLOOR,
            floor_params=_steering_floor_params(district.pk, cold.start, cold.end),
            repeat=5,
        ),
        # The usual first request for an unusual period: its months are published (the
        # freeze on the 1st publishes every month), so the report adds their stored
        # partial sums and counts only what is not a sum over time (people counted once,
        # medians) for the period; the period and the year before are not stored.
        Scenario(
            "steering dashboard for nine months not pre-computed, months published",
            _get(signed_in_client(steering), "/steering/statistics/", {"period": cold.key}),
            setup=forget_cold_period_only,
            floor_sql=_STEERING_FLOOR,
            floor_params=_steering_floor_params(district.pk, cold.start, cold.end),
            repeat=5,
        ),
        # What a district's year costs to compute from scratch: the twelve month tables and
        # the counts that are not sums over time (nothing stored).
        # Its rate: the rows behind the main figures it counts (the floor's counts).
        Scenario(
            f"statistics refresh: one district, a year ({rows_of_year} rows)",
            lambda: stats.period_tables(
                district=district, period=year, tables=stats.fresh_tables(district)
            ),
            floor_sql=_STEERING_FLOOR,
            floor_params=_steering_floor_params(district.pk, year.start, year.end),
            capture_queries=False,
            items=rows_of_year,
            repeat=5,
        ),
    ]


# The floor of a year's statistics: the counts behind the main figures (cases, signals,
# threats, outcomes, shelter nights and people, placements, takeovers) of one district
# and one period, per unit, in one query. The report also computes the period before
# and the comparisons, medians and the cost forecast, so its ratio to this floor is
# an upper bound of what better SQL could gain.
_IN_DISTRICT = "JOIN bokvar_unit u ON u.id = c.responsible_unit_id WHERE u.district_id = %s"
_STEERING_PARTS = [
    "SELECT 'new_cases', c.responsible_unit_id, c.kind, COUNT(*) FROM cases_case c "
    f"{_IN_DISTRICT} AND c.opened_on BETWEEN %s AND %s GROUP BY 2, 3",
    "SELECT 'closed_cases', c.responsible_unit_id, c.outcome, COUNT(*) FROM cases_case c "
    f"{_IN_DISTRICT} AND c.closed_on BETWEEN %s AND %s GROUP BY 2, 3",
    "SELECT 'signals', c.responsible_unit_id, s.kind, COUNT(*) FROM cases_landlordsignal s "
    f"JOIN cases_case c ON c.id = s.case_id {_IN_DISTRICT} "
    "AND s.received_on BETWEEN %s AND %s GROUP BY 2, 3",
    "SELECT 'new_threats', c.responsible_unit_id, '', COUNT(*) FROM cases_evictionthreat t "
    f"JOIN cases_case c ON c.id = t.case_id {_IN_DISTRICT} "
    "AND COALESCE(t.arrears_notice_on, t.termination_served_on) BETWEEN %s AND %s GROUP BY 2, 3",
    "SELECT 'threat_outcomes', c.responsible_unit_id, t.outcome, COUNT(*) "
    f"FROM cases_evictionthreat t JOIN cases_case c ON c.id = t.case_id {_IN_DISTRICT} "
    "AND t.concluded_on BETWEEN %s AND %s GROUP BY 2, 3",
    "SELECT 'shelter_nights', n.paying_unit_id, '', COUNT(*) FROM housing_shelternight n "
    "JOIN bokvar_unit u ON u.id = n.paying_unit_id WHERE u.district_id = %s "
    "AND n.night BETWEEN %s AND %s GROUP BY 2, 3",
    "SELECT 'shelter_people', n.paying_unit_id, '', COUNT(DISTINCT n.person_id) "
    "FROM housing_shelternight n JOIN bokvar_unit u ON u.id = n.paying_unit_id "
    "WHERE u.district_id = %s AND n.night BETWEEN %s AND %s GROUP BY 2, 3",
    "SELECT 'placements', c.responsible_unit_id, a.kind, COUNT(*) FROM housing_placement p "
    "JOIN housing_apartment a ON a.id = p.apartment_id JOIN cases_case c ON c.id = p.case_id "
    f"{_IN_DISTRICT} AND p.start_on <= %s AND (p.end_on IS NULL OR p.end_on >= %s) GROUP BY 2, 3",
    "SELECT 'takeovers', c.responsible_unit_id, '', COUNT(*) FROM housing_placement p "
    f"JOIN cases_case c ON c.id = p.case_id {_IN_DISTRICT} "
    "AND p.takeover_on BETWEEN %s AND %s GROUP BY 2, 3",
]
_STEERING_FLOOR = " UNION ALL ".join(_STEERING_PARTS)


def _steering_floor_params(district_id: int, start, end) -> list:
    params = []
    for part in _STEERING_PARTS:
        # Placements overlap the period: moved in by its end, out on or after its start.
        params += [district_id, end, start] if "'placements'" in part else [district_id, start, end]
    return params


# The inbox's two lists: the handovers waiting for the unit (its id) and those returned
# to the units whose returned handovers the reader marks read (where they coordinate or
# lead; the reader's id). Until the twenty-first round the floor read the first list
# alone, while the page shows both (87 rows at national scale, 51 of them waiting).
INBOX_FLOOR = (
    "SELECT 'waiting', h.id, h.kind, h.sent_at, c.number FROM cases_handover h "
    "JOIN cases_case c ON c.id = h.case_id WHERE h.to_unit_id = %s AND h.status = 'pending' "
    "UNION ALL SELECT 'returned', h.id, h.kind, h.returned_at, c.number FROM cases_handover h "
    "JOIN cases_case c ON c.id = h.case_id WHERE h.status = 'returned' "
    "AND h.return_acknowledged_at IS NULL AND h.from_unit_id IN (SELECT m.unit_id "
    "FROM bokvar_membership m WHERE m.user_id = %s AND (m.role = 'coordinator' OR m.is_lead)) "
    "ORDER BY 1 DESC, 4"
)


def handover_inbox(scale: str) -> list[Scenario]:
    from cases.models import Handover

    # The receiving unit with the most pending handovers: the fullest inbox.
    busiest = (
        Handover.objects.filter(status=Handover.Status.PENDING)
        .values("to_unit_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    caseworker = (
        User.objects.filter(
            memberships__unit_id=busiest["to_unit_id"],
            memberships__role__in=[Role.CASEWORKER, Role.COORDINATOR, Role.GUIDE],
        )
        .order_by("id")
        .first()
    )
    if caseworker is None:
        raise RuntimeError("no caseworker of the unit with the most pending handovers")
    return [
        _page(
            f"handover inbox ({busiest['n']} pending)",
            signed_in_client(caseworker),
            "/cases/handovers/",
            floor_sql=INBOX_FLOOR,
            floor_params=[busiest["to_unit_id"], caseworker.pk],
            budget_ms=PAGE_BUDGET_MS[scale],
        )
    ]


def handover_escalation(scale: str) -> list[Scenario]:
    """The escalation job over every pending handover (its rate: handovers looked at)."""
    from django.utils import timezone

    from bokvar.models import Notification
    from cases.handovers.services.escalation import escalate_overdue
    from cases.models import Handover

    pending = Handover.objects.filter(status=Handover.Status.PENDING).count()
    now = timezone.now()

    def reset():
        Notification.objects.filter(kind="handover_escalation").delete()

    return [
        Scenario(
            f"handover escalation ({pending} pending)",
            lambda: escalate_overdue(now=now),
            setup=reset,
            floor_sql="SELECT h.id, h.sent_at, u.district_id FROM cases_handover h "
            "JOIN bokvar_unit u ON u.id = h.to_unit_id WHERE h.status = 'pending'",
            capture_queries=False,
            items=pending,
            repeat=5,
        )
    ]


builders += [housing_jobs, steering_year, handover_inbox, handover_escalation]


def _audit(scale: str) -> list[Scenario]:
    from .audit import audit_scenarios

    return audit_scenarios(scale)


builders.append(_audit)


def bench_auditor() -> User:
    """A scale whose generated staff has no auditor (city) gets one for the benchmark,
    as the load test makes its own (bench.load.prepare); no password, no device: the
    benchmark signs in with force_login."""
    from bokvar import bulk
    from bokvar.history import system_user
    from bokvar.models import Membership, Unit

    unit = Unit.objects.filter(kind=Unit.Kind.HOUSING_TEAM).order_by("id").first()
    attribution: bulk.Attribution = {"user_id": system_user().pk, "reason": "benchmark account"}
    (user,) = bulk.insert(
        User,
        [User(username="bench-auditor", first_name="Bench", last_name="Auditor")],
        **attribution,
    )
    bulk.insert(Membership, [Membership(user=user, unit=unit, role=Role.AUDITOR)], **attribution)
    return user


# The nights form's choices: the household's members, the country's active shelters and
# the active units of the case's district (the case's id twice). Until the twenty-first
# round the floor read the members alone, while the page lists every active shelter.
NIGHTS_FORM_FLOOR = (
    "SELECT 'person', p.id, p.given_name, p.family_name FROM cases_person p "
    "JOIN cases_case c ON c.household_id = p.household_id WHERE c.id = %s "
    "UNION ALL SELECT 'shelter', s.id, s.name, NULL FROM housing_shelter s WHERE s.is_active "
    "UNION ALL SELECT 'unit', u.id, u.name, NULL FROM bokvar_unit u "
    "JOIN bokvar_unit r ON r.district_id = u.district_id "
    "JOIN cases_case c ON c.responsible_unit_id = r.id WHERE c.id = %s AND u.is_active"
)


def load_test_pages(scale: str) -> list[Scenario]:
    """The pages the load test visits (bench/load/locustfile.py) that the scenarios
    above do not measure: each as its role opens it, with both floors."""
    from cases.core.selectors.cases import visible_cases, writable_cases
    from cases.models import Handover, LandlordSignal

    budget = PAGE_BUDGET_MS[scale]
    coordinator, caseworker = first_user(Role.COORDINATOR), first_user(Role.CASEWORKER)
    guide, steering = first_user(Role.GUIDE), first_user(Role.STEERING)
    auditor = first_user(Role.AUDITOR) or bench_auditor()
    district_ids = sorted({m.unit.district_id for m in coordinator.memberships.all()})
    signal = LandlordSignal.objects.filter(district_id__in=district_ids).order_by("-id").first()
    handover = (
        Handover.objects.filter(to_unit__memberships__user=caseworker).order_by("-id").first()
    )
    # The nights form as a guide opens it: the first guide who may write to an open case
    # (the generated guides may have none: then a caseworker, as the name says).
    night_writer, night_case, night_role = caseworker, None, "caseworker"
    for candidate in User.objects.filter(memberships__role=Role.GUIDE).order_by("id")[:50]:
        night_case = writable_cases(candidate).filter(status=Case.Status.OPEN).first()
        if night_case is not None:
            night_writer, night_role = candidate, "guide"
            break
    if night_case is None:
        night_case = writable_cases(caseworker).filter(status=Case.Status.OPEN).first()
    open_case = visible_cases(coordinator).filter(status=Case.Status.OPEN).order_by("-id")[0]
    guide_districts = sorted({m.unit.district_id for m in guide.memberships.all()})
    steering_districts = sorted({m.unit.district_id for m in steering.memberships.all()})
    coordinator_client, guide_client = signed_in_client(coordinator), signed_in_client(guide)
    auditor_client = signed_in_client(auditor)
    one_case = (
        "SELECT c.id, c.number, c.status, c.kind, c.opened_on FROM cases_case c WHERE c.id = %s"
    )
    out = [
        _page(
            "access log (auditor)",
            auditor_client,
            "/audit/log/",
            floor_sql="SELECT seq, at, user_id, object_type, object_id, how, case_id, person_id, "
            "denied FROM audit_accesslogentry ORDER BY seq DESC LIMIT 50",
            budget_ms=budget,
        ),
        # A form and a link, no rows: its floor is the bare round trip.
        _page(
            "audit start (auditor)",
            auditor_client,
            "/audit/",
            floor_sql="SELECT 1",
            budget_ms=budget,
        ),
        _page(
            "apartments (guide)",
            guide_client,
            "/housing/apartments/",
            floor_sql="SELECT a.id, a.reference, a.address, a.kind, a.status, a.status_since, "
            "l.organisation_name FROM housing_apartment a "
            "LEFT JOIN cases_landlord l ON l.id = a.landlord_id "
            f"WHERE a.district_id IN ({_placeholders(guide_districts)}) "
            "ORDER BY a.status, a.status_since, a.reference",
            floor_params=list(guide_districts),
            budget_ms=budget,
        ),
        _page(
            "steering reports (steering group)",
            signed_in_client(steering),
            "/steering/reports/",
            floor_sql="SELECT r.id, r.period, r.version, r.generated_at, r.reason, d.name "
            "FROM steering_monthlyreport r JOIN bokvar_district d ON d.id = r.district_id "
            f"WHERE r.district_id IN ({_placeholders(steering_districts)}) "
            "ORDER BY r.period DESC, r.version DESC",
            floor_params=list(steering_districts),
            budget_ms=budget,
        ),
        _page(
            "contact form (coordinator)",
            coordinator_client,
            f"/cases/{open_case.pk}/contacts/new/",
            floor_sql=one_case,
            floor_params=[open_case.pk],
            budget_ms=budget,
        ),
        _page(
            "threat form (coordinator)",
            coordinator_client,
            f"/cases/{open_case.pk}/threats/new/",
            floor_sql=one_case,
            floor_params=[open_case.pk],
            budget_ms=budget,
        ),
    ]
    if signal is not None:
        out.append(
            _page(
                "signal page (coordinator)",
                coordinator_client,
                f"/cases/signals/{signal.pk}/",
                floor_sql="SELECT s.id, s.kind, s.received_on, s.tenant_name, s.arrears_amount, "
                "s.status, l.organisation_name FROM cases_landlordsignal s "
                "JOIN cases_landlord l ON l.id = s.landlord_id WHERE s.id = %s",
                floor_params=[signal.pk],
                budget_ms=budget,
            )
        )
    if handover is not None:
        out.append(
            _page(
                "handover page (caseworker)",
                signed_in_client(caseworker),
                f"/cases/handovers/{handover.pk}/",
                floor_sql="SELECT h.id, h.kind, h.reason, h.expectations, h.status, h.sent_at, "
                "c.number FROM cases_handover h JOIN cases_case c ON c.id = h.case_id "
                "WHERE h.id = %s",
                floor_params=[handover.pk],
                budget_ms=budget,
            )
        )
    if night_case is not None:
        out.append(
            _page(
                f"nights form ({night_role})",
                signed_in_client(night_writer),
                f"/housing/cases/{night_case.pk}/nights/new/",
                floor_sql=NIGHTS_FORM_FLOOR,
                floor_params=[night_case.pk, night_case.pk],
                budget_ms=budget,
            )
        )
    return out


builders.append(load_test_pages)
