"""Issue 15 point 3: disturbance, neighbour complaints and neglect (jordabalken 12 kap.
42 § first paragraph item 6). Before terminating for them the landlord must warn the
tenant to put it right (rättelseanmaning, 12 kap. 43 §; 12 kap. 25 § for disturbances)
and notify the social welfare board (12 kap. 25 §), unless the disturbances are
particularly serious. The signal records whether and when; a termination recorded
without them shows on the threat why it may not hold. Dated scenarios in 2026."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from cases.evictions.services import landlord_signals as services
from cases.evictions.services import threats
from cases.evictions.services.imports import COLUMNS, import_signals
from cases.evictions.services.landlord_signals import (
    MisconductSteps,
    SignalInput,
    misconduct_doubts,
    receive_signal,
    register_signal,
)
from cases.evictions.services.threats import ThreatData
from cases.models import LandlordSignal

from .conftest import TENANT_PN

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 20)


def _signal(landlord, actor=None, **kw) -> LandlordSignal:
    data = SignalInput(
        kind=kw.pop("kind", "neighbour_complaints"),
        received_on=kw.pop("received_on", date(2026, 3, 1)),
        channel=kw.pop("channel", "phone" if actor else "api"),
        personal_number=TENANT_PN,
        name="Tove Hyresgästsson",
        **kw,
    )
    if actor is None:
        return receive_signal(landlord=landlord, data=data, today=TODAY)
    return register_signal(actor=actor, landlord=landlord, data=data, today=TODAY)


@pytest.mark.parametrize("kind", ["disturbance", "neighbour_complaints", "neglect"])
def test_every_misconduct_kind_records_warning_and_board_notice_with_dates(org, landlord, kind):
    signal = _signal(
        landlord,
        org.users["coordinator"],
        kind=kind,
        landlord_warned_tenant_on=date(2026, 2, 2),
        landlord_notified_board=True,
        landlord_notified_board_on=date(2026, 2, 3),
    )
    # A date says the step was taken.
    assert signal.landlord_warned_tenant is True
    assert signal.landlord_warned_tenant_on == date(2026, 2, 2)
    assert signal.landlord_notified_board_on == date(2026, 2, 3)
    assert signal.disturbance_steps_missing == []
    assert signal.history.first().landlord_warned_tenant_on == date(2026, 2, 2)


def test_particularly_serious_needs_no_warning_but_only_for_disturbances(org, landlord):
    serious = _signal(landlord, kind="disturbance", particularly_serious=True)
    # The claim excuses the warning, not the board's notice (RH 2004:38).
    assert serious.particularly_serious and serious.disturbance_steps_missing == [
        translation.gettext("the landlord's notice to the social welfare board")
    ]
    with pytest.raises(ValidationError) as exc:
        _signal(landlord, kind="neglect", particularly_serious=True)
    assert "particularly_serious" in exc.value.message_dict


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"landlord_warned_tenant_on": date(2026, 3, 21)}, "landlord_warned_tenant_on"),
        (
            {"landlord_notified_board": False, "landlord_notified_board_on": date(2026, 3, 2)},
            "landlord_notified_board_on",
        ),
    ],
)
def test_bad_steps_name_their_field_and_save_nothing(org, landlord, values, field):
    with pytest.raises(ValidationError) as exc:
        _signal(landlord, kind="disturbance", **values)
    assert field in exc.value.message_dict
    assert LandlordSignal.objects.count() == 0


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        # Termination served 2026-03-10.
        ({}, ["no warning", "no notice"]),
        (
            {
                "landlord_warned_tenant": True,
                "landlord_warned_tenant_on": date(2026, 3, 1),
                "landlord_notified_board": True,
                "landlord_notified_board_on": date(2026, 3, 2),
            },
            [],
        ),
        (
            {
                "landlord_warned_tenant": True,
                "landlord_warned_tenant_on": date(2026, 3, 12),
                "landlord_notified_board": True,
                "landlord_notified_board_on": date(2026, 3, 10),
            },
            ["warned the tenant on 2026-03-12, after the termination on 2026-03-10"],
        ),
        (
            {
                "landlord_warned_tenant": True,
                "landlord_notified_board": True,
                "landlord_notified_board_on": date(2026, 3, 11),
            },
            ["notified on 2026-03-11, after the termination on 2026-03-10"],
        ),
        # The claim excuses the warning, not the board's notice (RH 2004:38).
        ({"particularly_serious": True}, ["particularly serious", "social welfare board"]),
        (
            {
                "particularly_serious": True,
                "landlord_notified_board": True,
                "landlord_notified_board_on": date(2026, 3, 9),
            },
            ["particularly serious"],
        ),
    ],
)
@translation.override("en")
def test_why_a_termination_may_not_hold(steps, expected):
    signal = LandlordSignal(pk=7, kind="disturbance", **steps)
    doubts = misconduct_doubts([signal], terminated_on=date(2026, 3, 10))
    assert len(doubts) == len(expected)
    for doubt, words in zip(doubts, expected, strict=True):
        assert words in doubt and "#7" in doubt
    # Nothing before a termination, nothing for rent arrears.
    assert misconduct_doubts([signal], terminated_on=None) == []
    arrears = LandlordSignal(pk=8, kind="rent_arrears")
    assert misconduct_doubts([arrears], terminated_on=date(2026, 3, 10)) == []


def test_threat_panel_says_why_the_termination_may_not_hold(org, landlord, make_case, login):
    case = make_case()
    signal = _signal(landlord, kind="neglect", landlord_warned_tenant_on=date(2026, 3, 12))
    LandlordSignal.objects.filter(pk=signal.pk).update(case=case, status="linked")
    threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(termination_served_on=date(2026, 3, 10)),
        today=TODAY,
    )
    page = login(org.users["coordinator"]).get(reverse("cases:detail", args=[case.pk]))
    html = page.content.decode()
    assert 'id="termination-doubts"' in html
    assert "2026-03-12" in html and "2026-03-10" in html
    # No person data in the reason: the signal by number and kind only.
    assert f"#{signal.pk}" in html


def test_threat_panel_without_misconduct_signal_has_no_doubts(org, make_case, login):
    case = make_case()
    threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(termination_served_on=date(2026, 3, 10)),
        today=TODAY,
    )
    page = login(org.users["coordinator"]).get(reverse("cases:detail", args=[case.pk]))
    assert 'id="termination-doubts"' not in page.content.decode()


def test_recording_the_steps_later_over_http(org, landlord, login):
    signal = _signal(landlord, kind="disturbance")
    client = login(org.users["coordinator"])
    url = reverse("cases:signal_misconduct", args=[signal.pk])
    detail = client.get(reverse("cases:signal", args=[signal.pk])).content.decode()
    assert 'id="misconduct-form"' in detail
    # Bad input: 400, the field named, nothing saved.
    bad = client.post(
        url,
        {
            "version": signal.version,
            "landlord_warned_tenant": "no",
            "landlord_warned_tenant_on": "2026-03-02",
        },
    )
    assert bad.status_code == 400
    assert "landlord_warned_tenant_on" in bad.content.decode()
    signal.refresh_from_db()
    assert signal.landlord_warned_tenant is None
    ok = client.post(
        url,
        {
            "version": signal.version,
            "landlord_warned_tenant": "yes",
            "landlord_warned_tenant_on": "2026-03-02",
            "landlord_notified_board_on": "2026-03-03",
        },
    )
    assert ok.status_code == 302
    signal.refresh_from_db()
    assert signal.landlord_warned_tenant_on == date(2026, 3, 2)
    assert signal.landlord_notified_board is True and signal.version == 2
    assert signal.history.first().history_change_reason == "landlord's warning and notice recorded"
    # A stale form is refused, nothing overwritten.
    stale = client.post(url, {"version": 1, "landlord_warned_tenant": "no"})
    assert stale.status_code == 400
    signal.refresh_from_db()
    assert signal.landlord_warned_tenant is True


def test_only_who_may_triage_records_the_steps(org, landlord, login):
    signal = _signal(landlord, kind="disturbance")
    response = login(org.users["caseworker"]).post(
        reverse("cases:signal_misconduct", args=[signal.pk]),
        {"version": signal.version, "landlord_warned_tenant": "yes"},
    )
    assert response.status_code in (403, 404)
    with pytest.raises(ValidationError):
        rent = _signal(landlord, kind="rent_arrears")
        services.record_misconduct_steps(
            actor=org.users["coordinator"],
            signal_id=rent.pk,
            version=rent.version,
            steps=MisconductSteps(warned=True),
        )


def test_api_and_import_carry_the_dates(org, landlord, token, api_as):
    response = api_as(token).post(
        "/api/v1/signals/",
        {
            "kind": "neighbour_complaints",
            "received_on": "2026-03-01",
            "landlord_warned_tenant_on": "2026-02-20",
            "particularly_serious": False,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    signal = LandlordSignal.objects.get()
    assert signal.landlord_warned_tenant is True
    assert signal.landlord_warned_tenant_on == date(2026, 2, 20)
    bad = api_as(token).post(
        "/api/v1/signals/",
        {"kind": "neglect", "received_on": "2026-03-01", "particularly_serious": True},
        format="json",
    )
    assert bad.status_code == 400 and "particularly_serious" in bad.content.decode()
    header = ",".join(COLUMNS)
    row = "disturbance,2026-03-01,,,,,,ja,,2026-02-25,,ja"
    (imported,) = import_signals(landlord=landlord, data=f"{header}\n{row}\n", today=TODAY)
    assert imported.landlord_warned_tenant_on == date(2026, 2, 25)
    assert imported.particularly_serious is True
