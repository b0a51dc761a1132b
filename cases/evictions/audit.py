"""How eviction prevention joins the audit mechanism: its records in case and person
history, the extract and retention (culled before the core culls the person), who a read
of a landlord signal concerns, the rule for signals about nobody registered, and the
pages that show personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Model, OuterRef, Q, QuerySet, Subquery

from audit.registry import (
    OrphanRule,
    RetentionProvider,
    SqlEntries,
    Subject,
    register_extract_redaction,
    register_handover_checker,
    register_model,
    register_orphan_rule,
    register_personal_data_view,
    register_retention,
    register_url_subject,
)
from bokvar.compiled import KeptIdRows
from bokvar.history import history_of
from bokvar.models import User
from cases.core.audit import (
    cases_of_people,
    cases_of_person,
    register_case_record,
    signals_of_person,
)
from cases.core.audit.dating import dated_by, newest_by_person
from cases.core.audit.retention import delete_with_history, households_of, ids_of, is_research_day
from cases.core.audit.subjects import case_subjects, hidden_by, hidden_persons, protected_cases
from cases.models import (
    Case,
    Contact,
    Deadline,
    EvictionThreat,
    Intervention,
    LandlordSignal,
    PaymentRoute,
    Person,
    ProtectedIdentity,
)


def register() -> None:
    register_extract_redaction(LandlordSignal._meta.label_lower, signal_fields_about_others)
    register_model(
        LandlordSignal,
        history_for_case=lambda c: LandlordSignal.history.filter(case_id=c),
        history_for_person=_signal_history_of_person,
        records_of_person=lambda p: LandlordSignal.objects.filter(_signals_of_person(p)),
        last_entries=signals_by_person,
        hidden_ids=hidden_signals,
        describe_many=describe_signals,
    )
    register_case_record(EvictionThreat, url_kwargs=("threat_id",))
    register_case_record(Contact)
    register_case_record(Intervention, url_kwargs=("intervention_id",))
    register_case_record(Deadline, url_kwargs=("deadline_id",))
    # A signal concerns its case, or the registered person it names (describe_signals).
    for key in ("signal_id", "api-signal:pk"):
        register_url_subject(key, lambda pk: LandlordSignal.objects.filter(pk=pk).first())
    # The payment route hangs on a threat, not on the case: found through the threats'
    # history, so rows stay found after their threat is gone.
    register_model(
        PaymentRoute,
        history_for_case=lambda c: PaymentRoute.history.filter(
            threat_id__in=_threats_of(Case.objects.filter(pk=c).values("pk"))
        ),
        history_for_person=lambda p: PaymentRoute.history.filter(
            threat_id__in=_threats_of(cases_of_person(p))
        ),
        records_of_person=lambda p: PaymentRoute.objects.filter(
            threat__case_id__in=cases_of_person(p)
        ),
        hidden_ids=hidden_by(
            PaymentRoute, "threat_id", lambda user: _threats_of(protected_cases(user))
        ),
        # Retention dates it in one grouped query per table, through its threat's case.
        last_entries=dated_by(
            PaymentRoute,
            path="case",
            column="th.case_id",
            date_field="created_at",
            via=f" JOIN {connection.ops.quote_name(EvictionThreat._meta.db_table)} th"
            " ON th.id = t.threat_id",
        ),
    )
    register_retention(
        RetentionProvider(
            key="evictions",
            subjects=lambda: [],  # every person with these records also has a case
            cull=cull,
            order=950,  # before the core culls the cases these records hang on
        )
    )
    register_orphan_rule(
        OrphanRule(
            key=LandlordSignal._meta.label_lower,
            due=unlinked_signals_due,
            cull=cull_unlinked_signals,
        )
    )
    register_handover_checker("payment_routes", applied_to)
    for name in (
        "cases:signal",
        "api-signal",
        "cases:threat_edit",
        "cases:payment_route_edit",
        "cases:intervention_edit",
    ):
        register_personal_data_view(name)
    # Lists: one entry per record shown.
    register_personal_data_view("cases:deadlines", reads="one per case with a deadline listed")
    register_personal_data_view("cases:signals", reads="one per signal listed")
    register_personal_data_view("api-signals", reads="one per signal listed")


# --- Who a read concerns, what a reader may not see ------------------------------------


# The signals' links and the people their tenants' identity numbers name, by one
# statement compiled once (KeptIdRows; the ids one array): every signal page and the
# triage queue describe their signals for the access log, and building the statements
# was a tenth of the signal page's CPU (issue 22).
def _signals_with_tenants(ids: list[int]) -> QuerySet[LandlordSignal, Any]:
    # The registered person the tenant's identity number names, read with the signal: one
    # statement for both, where the signal and then its tenant were two round trips on
    # every signal page (issue 22). A number is registered once (`person_personal_number_
    # unique`, partial: not for the empty number, which the condition here excludes so
    # the index serves it; without it every person was read, 0.4 s at national scale).
    # The empty number is written into the text (`is_constant`): bound as a parameter,
    # the prepared statement's generic plan could not use the partial index, so
    # PostgreSQL planned the statement afresh on every signal page (0.23 ms of planning
    # beside 0.05 ms of execution).
    tenants = Person.objects.filter(
        personal_number_bidx=OuterRef("tenant_personal_number_bidx")
    ).exclude(personal_number_bidx__is_constant="")
    return (
        LandlordSignal.objects.filter(pk__any=ids)
        .annotate(
            tenant_id=Subquery(tenants.values("pk")[:1]),
            tenant_level=Subquery(tenants.values("protected_identity")[:1]),
        )
        .values_list("pk", "case_id", "tenant_personal_number_bidx", "tenant_id", "tenant_level")
    )


_SIGNAL_LINKS = KeptIdRows(LandlordSignal, _signals_with_tenants)


def describe_signals(signals: list[LandlordSignal], via: Model | None = None) -> list[Subject]:
    """A linked signal concerns its case; an unlinked one the registered person its tenant's
    identity number matches, if any (so 'who looked at this person' finds it too)."""
    rows = {row[0]: row[1:] for row in _SIGNAL_LINKS.rows(sorted({s.pk for s in signals}))}
    facts = case_subjects({case_id for case_id, *_ in rows.values() if case_id})
    out = []
    for s in signals:
        case_id, bidx, tenant, level = rows.get(s.pk, (None, "", None, None))
        if case_id:
            out.append(facts.get(case_id, Subject(case_id=case_id)))
        elif bidx and tenant is not None:
            out.append(Subject(person_id=tenant, protected=level != ProtectedIdentity.NONE))
        else:
            out.append(Subject())
    return out


def hidden_signals(user: User, ids: set[int]) -> set[int]:
    """Signals linked to a protected household, or naming a protected person as tenant."""
    by_tenant = (
        LandlordSignal.objects.filter(pk__in=ids)
        .exclude(tenant_personal_number_bidx="")
        .filter(tenant_personal_number_bidx__in=hidden_persons(user).values("personal_number_bidx"))
    )
    return hidden_by(LandlordSignal, "case_id", protected_cases)(user, ids) | set(
        by_tenant.values_list("pk", flat=True)
    )


TENANT_FIELDS = {"tenant_personal_number", "tenant_name", "tenant_address"}


def signal_fields_about_others(person_id: int, signal: LandlordSignal) -> set[str]:
    """A signal on the household's case may name another member (a co-tenant): its
    tenant fields are then about someone else and are withheld from this person's
    extract (GDPR art. 15(4))."""
    me = Person.objects.filter(pk=person_id).values("personal_number_bidx", "name_bidx").first()
    if me is None:
        return TENANT_FIELDS
    if signal.tenant_personal_number_bidx:
        about_me = signal.tenant_personal_number_bidx == me["personal_number_bidx"]
    else:
        about_me = not signal.tenant_name_bidx or signal.tenant_name_bidx == me["name_bidx"]
    return set() if about_me else TENANT_FIELDS


def _signals_of_person(person_id: int) -> Q:
    """Signals linked to the person's cases, or naming them by identity number or by name
    (blind index): the same rule as the notifications about them (core)."""
    return signals_of_person(person_id)


def _signal_history_of_person(person_id: int) -> Any:  # simple-history's queryset, untyped
    """Signals linked to the person's cases, or naming them (blind index) unlinked."""
    return LandlordSignal.history.filter(
        Q(case_id__in=cases_of_person(person_id))
        | Q(id__in=LandlordSignal.objects.filter(_signals_of_person(person_id)).values("pk"))
    )


def applied_to(case_ids: list[int], unit_ids: list[int], now: datetime) -> list[QuerySet[Any]]:
    """Cases with an income-support application to one of these units: the unit reads
    their recovery deadline on its own deadline list (issue 15, point 7), as a unit reads
    a case handed to it: explained, not a surprise for the access-log review. (`now`:
    the checkers' common signature; an application does not expire.)"""
    return [
        PaymentRoute.objects.filter(
            threat__case_id__any=case_ids,
            income_support_unit_id__any=unit_ids,
            applied_on__isnull=False,
        )
        .order_by()
        .values_list("threat__case_id", flat=True)
    ]


def _threats_of(cases: Any) -> Any:  # simple-history's queryset, untyped
    """Ids of every threat these cases ever had (a subquery over the threats' history)."""
    return EvictionThreat.history.filter(case_id__in=cases).values("id")


def _signal_statements() -> list[str]:
    """Retention's set-based dating of signals, the same rows as `_signals_of_person` and
    `_signal_history_of_person`: linked to a case of the person's household, or naming
    them by identity number, or by name when the signal names no number; history rows
    of their cases' signals, or of a live signal about them."""
    q = connection.ops.quote_name
    people, signals = q(Person._meta.db_table), q(LandlordSignal._meta.db_table)
    history = q(history_of(LandlordSignal).model._meta.db_table)
    cases = q(Case._meta.db_table)
    # Two equality joins, not one join on an OR: an OR cannot be hashed and would
    # compare every signal with every person.
    about = (
        "p.personal_number_bidx = {s}.tenant_personal_number_bidx"
        " AND {s}.tenant_personal_number_bidx <> ''",
        "p.name_bidx = {s}.tenant_name_bidx"
        " AND {s}.tenant_personal_number_bidx = '' AND {s}.tenant_name_bidx <> ''",
    )
    out = [
        newest_by_person(LandlordSignal, "created_at", "case", "case_id"),
        newest_by_person(history_of(LandlordSignal).model, "history_date", "case", "case_id"),
    ]
    for on in about:
        out.append(
            f"SELECT p.id, max(t.created_at) FROM {signals} t"  # noqa: S608 (quoted table names from the models)
            f" JOIN {people} p ON {on.format(s='t')} GROUP BY p.id"
        )
        out.append(
            f"SELECT p.id, max(t.history_date) FROM {history} t JOIN {signals} s ON s.id = t.id"  # noqa: S608 (quoted table names from the models)
            f" JOIN {people} p ON {on.format(s='s')} GROUP BY p.id"
        )
    out.append(
        f"SELECT p.id, max(t.history_date) FROM {history} t JOIN {signals} s ON s.id = t.id"  # noqa: S608 (quoted table names from the models)
        f" JOIN {cases} c ON c.id = s.case_id JOIN {people} p ON p.household_id = c.household_id"
        " GROUP BY p.id"
    )
    return out


signals_by_person = SqlEntries(_signal_statements)


# --- Retention ------------------------------------------------------------------------


def cull(ids: set[int]) -> dict[str, int]:
    """The signals, threats (and their payment routes), deadlines, contacts and interventions
    of these people's cases,
    and the signals naming one of their households' members, then every history row of
    them by case (a deadline removed earlier left history naming the case)."""
    with transaction.atomic():
        cases = cases_of_people(ids)
        members = Person.objects.filter(household_id__any=households_of(ids)).order_by()
        bidxs = [b for b in members.values_list("personal_number_bidx", flat=True) if b]
        signals = ids_of(LandlordSignal.objects.filter(case_id__any=cases))
        if bidxs:  # each by its own index (an OR of the two read every signal)
            signals |= ids_of(LandlordSignal.objects.filter(tenant_personal_number_bidx__any=bidxs))
        by_case = Q(case_id__any=cases)
        # model -> (live rows to delete, history rows to delete), children first.
        doomed = {
            PaymentRoute: (
                Q(threat__case_id__any=cases),
                Q(threat_id__in=EvictionThreat.history.filter(case_id__any=cases).values("id")),
            ),
            LandlordSignal: (Q(pk__any=signals), Q(id__any=signals) | by_case),
            Deadline: (by_case, by_case),
            EvictionThreat: (by_case, by_case),
            Contact: (by_case, by_case),
            Intervention: (by_case, by_case),
        }
        return delete_with_history(doomed)


# --- Landlord signals about nobody registered -------------------------------------------


def unlinked_signals_due(cutoff: datetime) -> tuple[set[int], set[int]]:
    """(signals to cull, signals kept for research) among those never linked to a case
    and naming no registered person: due once received and last changed before the
    cut-off. A tenant born on a research day keeps the signal; the identity number is
    decrypted in memory for the run only."""
    registered = Person.objects.exclude(personal_number_bidx="").values("personal_number_bidx")
    candidates = (
        LandlordSignal.objects.filter(case__isnull=True, received_on__lt=cutoff.date())
        .exclude(tenant_personal_number_bidx__in=registered)
        .exclude(created_at__gte=cutoff)
        .exclude(triaged_at__gte=cutoff)
    )
    candidate_ids = ids_of(candidates)
    # Changed since (or ever linked to a case): history says so.
    touched = set(
        LandlordSignal.history.filter(id__in=candidate_ids)
        .values("id")
        .annotate(last=Max("history_date"))
        .filter(last__gte=cutoff)
        .values_list("id", flat=True)
    ) | set(
        LandlordSignal.history.filter(id__in=candidate_ids, case_id__isnull=False).values_list(
            "id", flat=True
        )
    )
    due: set[int] = set()
    research: set[int] = set()
    rows = LandlordSignal.objects.filter(pk__in=candidate_ids - touched).values_list(
        "pk", "tenant_personal_number"
    )
    for pk, number in rows:  # decrypted on load
        (research if number and is_research_day(number) else due).add(pk)
    return due, research


def cull_unlinked_signals(ids: set[int]) -> int:
    with transaction.atomic():
        n, _ = LandlordSignal.objects.filter(pk__in=ids, case__isnull=True).delete()
        LandlordSignal.history.filter(id__in=ids).delete()
    return n
