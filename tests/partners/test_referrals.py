"""Referrals from a case to a partner (issue 20, point 2): the steps and their dates, who
may, consent and what the partner is told, the case page and timeline, history, the
access log, retention and the data-subject extract."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.urls import reverse

from audit import extract, presentation
from audit.models import AccessLogEntry
from bokvar.concurrency import ConflictError
from cases.evictions.services import contacts
from cases.models import Intervention
from partners import services as partner_services
from partners.models import Partner, Referral
from partners.referrals import selectors, services
from partners.referrals.services import ReferralData

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


@pytest.fixture
def balans(org):
    return partner_services.create_partner(
        actor=org.users["coordinator"],
        district=org.district,
        data=partner_services.PartnerData(name="Balans", kind=Partner.Kind.ASSOCIATION),
    )


def propose(org, case, partner, *, who="caseworker", **overrides):
    data = ReferralData(
        partner_id=partner.pk,
        person_id=case.household.head_id,
        proposed_on=TODAY - timedelta(days=10),
        consent_on=TODAY - timedelta(days=10),
        share_contact=True,
        share_need=True,
        need="Vill träffa andra med samma erfarenhet",
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return services.propose_referral(actor=org.users[who], case_id=case.pk, data=data, today=TODAY)


def step(org, referral, status, on, who="caseworker", **kw):
    referral.refresh_from_db()
    return services.advance_referral(
        actor=org.users[who],
        referral_id=referral.pk,
        expected_version=referral.version,
        status=status,
        on=on,
        today=TODAY,
        **kw,
    )


def test_the_whole_way_with_dates_outcome_and_history(org, cases, balans):
    r = propose(org, cases.a, balans)
    step(org, r, "sent", TODAY - timedelta(days=9))
    step(org, r, "accepted", TODAY - timedelta(days=7))
    step(org, r, "attended", TODAY - timedelta(days=5))
    r = step(org, r, "ended", TODAY, outcome="completed", outcome_note="Går i studiecirkel")
    assert (r.status, r.outcome, r.ended_on) == ("ended", "completed", TODAY)
    assert r.answered_on == TODAY - timedelta(days=7)
    reasons = list(Referral.history.filter(id=r.pk).values_list("history_change_reason", flat=True))
    assert sorted(reasons) == sorted(
        [
            "referral proposed",
            "referral sent",
            "referral accepted",
            "referral attended",
            "referral ended",
        ]
    )
    assert r.version == 5


def test_a_decline_needs_a_reason_and_ends_the_way(org, cases, balans):
    r = propose(org, cases.a, balans)
    step(org, r, "sent", TODAY - timedelta(days=9))
    with pytest.raises(ValidationError) as exc:
        step(org, r, "declined", TODAY - timedelta(days=8))
    assert "reason" in exc.value.message_dict
    r = step(org, r, "declined", TODAY - timedelta(days=8), reason="Fullt i höst")
    assert r.decline_reason == "Fullt i höst"
    with pytest.raises(ValidationError) as exc:
        step(org, r, "attended", TODAY)
    assert "status" in exc.value.message_dict


@pytest.mark.parametrize(
    "path,bad",
    [
        ([], "accepted"),  # proposed cannot be accepted before it is sent
        ([], "ended"),
        (["sent"], "attended"),
        (["sent"], "sent"),
        (["sent", "accepted", "attended", "ended"], "sent"),
        ([], "nonsense"),
    ],
)
def test_illegal_steps_are_refused_naming_the_status(org, cases, balans, path, bad):
    r = propose(org, cases.a, balans)
    for status in path:
        step(org, r, status, TODAY, outcome="completed" if status == "ended" else "")
    with pytest.raises(ValidationError) as exc:
        step(org, r, bad, TODAY, outcome="completed")
    assert list(exc.value.message_dict) == ["status"]


def test_dates_not_in_the_future_nor_before_the_step_before(org, cases, balans):
    r = propose(org, cases.a, balans)
    with pytest.raises(ValidationError) as exc:
        step(org, r, "sent", TODAY + timedelta(days=1))
    assert "on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        step(org, r, "sent", TODAY - timedelta(days=11))  # before it was proposed
    assert "on" in exc.value.message_dict
    step(org, r, "sent", TODAY - timedelta(days=3))
    with pytest.raises(ValidationError) as exc:
        step(org, r, "accepted", TODAY - timedelta(days=4))
    assert "on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        propose(org, cases.a, balans, proposed_on=TODAY + timedelta(days=1))
    assert "proposed_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        propose(org, cases.a, balans, consent_on=TODAY + timedelta(days=1))
    assert "consent_on" in exc.value.message_dict


def test_not_sent_before_the_consent(org, cases, balans):
    r = propose(org, cases.a, balans, consent_on=TODAY - timedelta(days=2))
    with pytest.raises(ValidationError) as exc:
        step(org, r, "sent", TODAY - timedelta(days=5))
    assert "on" in exc.value.message_dict


def test_edits_are_locked(org, cases, balans):
    r = propose(org, cases.a, balans)
    stale = r.version
    step(org, r, "sent", TODAY)
    with pytest.raises(ConflictError):
        services.advance_referral(
            actor=org.users["caseworker"],
            referral_id=r.pk,
            expected_version=stale,
            status="accepted",
            on=TODAY,
            today=TODAY,
        )


def test_partner_and_person_must_belong_to_the_case(org, cases, balans):
    other = partner_services.create_partner(
        actor=org.users["coordinator"],
        district=org.district,
        data=partner_services.PartnerData(name="Gammal", kind="other", is_active=False),
    )
    with pytest.raises(ValidationError) as exc:
        propose(org, cases.a, other)
    assert "partner" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        propose(org, cases.a, balans, person_id=cases.b.household.head_id)
    assert "person" in exc.value.message_dict


def test_consent_decides_what_the_partner_is_told(org, cases, balans):
    full = propose(org, cases.a, balans)
    lines = dict(selectors.partner_summary(full))
    assert "Astrid Adultsson" in lines.values()
    assert "Vill träffa andra med samma erfarenhet" in lines.values()
    contact_only = propose(org, cases.a, balans, share_need=False)
    values = " ".join(v for _k, v in selectors.partner_summary(contact_only))
    assert "Astrid" in values and "erfarenhet" not in values
    nothing = propose(org, cases.a, balans, share_need=False, share_contact=False)
    values = " ".join(v for _k, v in selectors.partner_summary(nothing))
    assert "Astrid" not in values and "erfarenhet" not in values
    assert "19800101" not in values
    with pytest.raises(ValidationError) as exc:
        propose(org, cases.a, balans, share_need=True, need="  ")
    assert "need" in exc.value.message_dict


def test_a_protected_persons_contact_details_are_never_shared(org, cases, balans):
    with pytest.raises(ValidationError) as exc:
        propose(org, cases.p, balans, who="coordinator")
    assert "share_contact" in exc.value.message_dict
    r = propose(org, cases.p, balans, who="coordinator", share_contact=False)
    assert r.pk


def test_free_text_is_encrypted_at_rest(org, cases, balans):
    r = propose(org, cases.a, balans)
    step(org, r, "sent", TODAY)
    step(org, r, "declined", TODAY, reason="Hemlig anledning")
    with connection.cursor() as cur:
        cur.execute("SELECT need, decline_reason FROM partners_referral WHERE id = %s", [r.pk])
        need, reason = cur.fetchone()
        cur.execute("SELECT need FROM partners_historicalreferral WHERE id = %s", [r.pk])
        history = [row[0] for row in cur.fetchall()]
    assert "erfarenhet" not in need and "Hemlig" not in reason
    assert history and all("erfarenhet" not in h for h in history)


# --- Who may -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["caseworker", "coordinator"])
def test_case_staff_with_access_may_refer(org, cases, balans, who):
    assert propose(org, cases.a, balans, who=who).pk


def test_a_guide_may_refer_on_an_assigned_case_only(org, cases, balans):
    assert propose(org, cases.g, balans, who="guide").pk
    with pytest.raises(Http404):
        propose(org, cases.a, balans, who="guide")


@pytest.mark.parametrize("who", ["steering", "skotare", "admin", "auditor"])
def test_others_may_not(org, cases, balans, who):
    with pytest.raises((PermissionDenied, Http404)):
        propose(org, cases.a, balans, who=who)
    r = propose(org, cases.a, balans)
    with pytest.raises((PermissionDenied, Http404)):
        step(org, r, "sent", TODAY, who=who)


@pytest.mark.parametrize("who", ["steering", "skotare", "admin", "auditor", "caseworker2"])
def test_pages_refuse_others(client, org, cases, balans, who):
    r = propose(org, cases.a, balans)
    client.force_login(org.users[who], backend="django.contrib.auth.backends.ModelBackend")
    for url in (
        reverse("partners:referral", args=[r.pk]),
        reverse("partners:referral_new", args=[cases.a.pk]),
    ):
        assert client.get(url).status_code in (403, 404), (who, url)
    page = client.get(reverse("cases:detail", args=[cases.a.pk]))
    assert "Balans" not in page.content.decode()


def test_the_landlord_api_reaches_no_referral(client, org, cases, balans):
    r = propose(org, cases.a, balans)
    from cases.evictions.services.landlords import register_landlord
    from cases.evictions.services.tokens import create_token

    landlord = register_landlord(actor=org.users["admin"], kind="housing_company", name="Hyr AB")
    auth = {"HTTP_AUTHORIZATION": f"Token {create_token(landlord=landlord)}"}
    for url in (
        reverse("partners:referral", args=[r.pk]),
        reverse("partners:referral_new", args=[cases.a.pk]),
    ):
        response = client.get(url, **auth)
        assert response.status_code in (302, 403, 404)
        assert "Astrid" not in response.content.decode()


# --- Pages ---------------------------------------------------------------------------------


def login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def test_propose_and_step_through_the_pages(client, org, cases, balans):
    login(client, org.users["caseworker"])
    url = reverse("partners:referral_new", args=[cases.a.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Balans" in page.content.decode()
    today = date.today()
    response = client.post(
        url,
        {
            "partner": balans.pk,
            "person": cases.a.household.head_id,
            "proposed_on": today,
            "consent_on": today,
            "share_contact": "on",
            "need": "",
        },
    )
    assert response.status_code == 302
    r = Referral.objects.get(case=cases.a)
    detail = reverse("partners:referral", args=[r.pk])
    body = client.get(detail).content.decode()
    assert "Astrid Adultsson" in body  # the partner summary: name and contact consented
    bad = client.post(detail, {"status": "ended", "on": today, "version": r.version})
    assert bad.status_code == 400 and "status" in bad.context["form"].errors
    future = client.post(
        detail, {"status": "sent", "on": today + timedelta(days=1), "version": r.version}
    )
    assert future.status_code == 400 and "on" in future.context["form"].errors
    assert (
        client.post(detail, {"status": "sent", "on": today, "version": r.version}).status_code
        == 302
    )
    r.refresh_from_db()
    assert r.status == "sent"
    stale = client.post(detail, {"status": "accepted", "on": today, "version": r.version - 1})
    assert stale.status_code == 400 and stale.context["conflict"]


def test_bad_input_names_the_field(client, org, cases, balans):
    login(client, org.users["caseworker"])
    url = reverse("partners:referral_new", args=[cases.a.pk])
    response = client.post(url, {"partner": "x", "person": cases.a.household.head_id})
    assert response.status_code == 400
    assert {"partner", "proposed_on", "consent_on"} <= set(response.context["form"].errors)
    assert not Referral.objects.exists()


def test_case_page_and_timeline_show_referrals(client, org, cases, balans):
    r = propose(org, cases.a, balans)
    step(org, r, "sent", TODAY - timedelta(days=9))
    step(org, r, "declined", TODAY - timedelta(days=8), reason="Fullt i höst")
    login(client, org.users["caseworker"])
    response = client.get(reverse("cases:detail", args=[cases.a.pk]))
    body = response.content.decode()
    assert 'id="referrals-heading"' in body and "Balans" in body
    titles = [e.title for e in response.context["timeline"] if e.kind == "referral"]
    assert len(titles) == 3
    assert any("Balans" in t for t in titles)
    details = [e.detail for e in response.context["timeline"] if e.kind == "referral"]
    assert "Fullt i höst" in details


def test_case_page_queries_do_not_grow_with_referrals(
    client, org, cases, balans, django_assert_max_num_queries
):
    login(client, org.users["caseworker"])
    url = reverse("cases:detail", args=[cases.a.pk])
    propose(org, cases.a, balans)
    client.get(url)
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(conn) as one:
        client.get(url)
    for _ in range(4):
        propose(org, cases.a, balans)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(url)


def test_protected_households_free_text_is_withheld(client, org, cases, balans):
    r = propose(org, cases.p, balans, who="coordinator", share_contact=False)
    step(org, r, "sent", TODAY, who="coordinator")
    step(org, r, "declined", TODAY, who="coordinator", reason="Skyddad anledning")
    # The caseworker of the adult unit sees case P but was not granted Petra.
    login(client, org.users["caseworker"])
    response = client.get(reverse("partners:referral", args=[r.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Skyddad anledning" not in body and "erfarenhet" not in body
    timeline = client.get(reverse("cases:detail", args=[cases.p.pk])).context["timeline"]
    assert "Skyddad anledning" not in [e.detail for e in timeline]
    # The coordinator who may see Petra reads it.
    login(client, org.users["coordinator"])
    body = client.get(reverse("partners:referral", args=[r.pk])).content.decode()
    assert "Skyddad anledning" in body


# --- Access log, retention, extract -------------------------------------------------------


def test_reading_a_referral_is_logged_against_its_case(client, org, cases, balans):
    r = propose(org, cases.a, balans)
    login(client, org.users["caseworker"])
    before = AccessLogEntry.objects.count()
    client.get(reverse("partners:referral", args=[r.pk]))
    entries = list(AccessLogEntry.objects.order_by("seq")[before:])
    assert len(entries) == 1 and entries[0].case_id == cases.a.pk


def test_the_extract_holds_referrals_in_swedish(org, cases, balans):
    from django.utils import translation

    r = propose(org, cases.a, balans)
    step(org, r, "sent", TODAY)
    person_id = cases.a.household.head_id
    data = extract.build(person_id)
    assert data["records"]["partners.referral"][0]["need"] == r.need
    assert "partners.referral" in data["history"]
    with translation.override("sv"):
        text = repr(presentation.readable(person_id))
    assert "Skickad" in text and "Balans" in text
    assert "Vill träffa andra med samma erfarenhet" in text


def test_retention_culls_referrals_with_the_person(org, cases, balans):
    from audit.registry import registry

    r = propose(org, cases.a, balans)
    step(org, r, "sent", TODAY)
    provider = registry.retention["partners.referrals"]
    person_id = cases.a.household.head_id
    assert person_id in set(provider.subjects())
    counts = provider.cull({person_id})
    assert counts == {"partners.referral": 1}
    assert not Referral.objects.filter(pk=r.pk).exists()
    assert not Referral.history.filter(id=r.pk).exists()


# --- The old intervention kind --------------------------------------------------------------


def test_the_old_referral_intervention_is_kept_readable_but_no_new_one(client, org, cases):
    old = Intervention.objects.create(
        case=cases.a,
        kind=Intervention.Kind.PARTNER_REFERRAL,
        on=TODAY,
        author=org.users["caseworker"],
        note="Till Balans",
    )
    login(client, org.users["caseworker"])
    response = client.get(reverse("cases:detail", args=[cases.a.pk]))
    assert any(e.kind == "intervention" for e in response.context["timeline"])
    assert old.kind == "partner_referral" and old.get_kind_display()
    with pytest.raises(ValidationError) as exc:
        contacts.record_intervention(
            actor=org.users["caseworker"], case_id=cases.a.pk, kind="partner_referral", on=TODAY
        )
    assert "kind" in exc.value.message_dict
