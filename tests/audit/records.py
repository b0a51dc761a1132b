"""One row of every registered model that holds a person's data, on one case, each with
known values carrying a tag, so tests can look for exactly those values in a history
page or a data-subject extract."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone


def fill_case(org, case, *, tag: str, transfer_to=None, accept_as=None) -> SimpleNamespace:
    """Records on `case` made by the district coordinator (who may write every case of
    the district and was granted the protected people of the cases they created).
    With `transfer_to`, a transfer to that unit is accepted, which leaves the old unit
    read access (a HandoverReadAccess row); it is accepted by `accept_as` (by default
    income support's caseworker: the sender may not decide their own handover)."""
    from cases.evictions.services import contacts, payment_routes, threats
    from cases.evictions.services.landlord_signals import SignalInput, register_signal
    from cases.evictions.services.landlords import register_landlord
    from cases.evictions.services.triage import link_signal
    from cases.handovers.services.deciding import accept_handover
    from cases.handovers.services.sending import send_handover
    from cases.models import Landlord
    from housing import nights
    from housing import services as housing
    from housing.models import CostCategory, Shelter, ShelterPrice

    coordinator = org.users["coordinator"]
    today = timezone.localdate()
    head = case.household.head
    landlord = register_landlord(
        actor=org.users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name=f"Bolaget {tag}"
    )
    signal = register_signal(
        actor=coordinator,
        landlord=landlord,
        data=SignalInput(
            kind="rent_arrears",
            received_on=today,
            channel="phone",
            name=f"Hyresgäst {tag}",
            address=f"Signalgatan {tag}",
            description=f"Signalen {tag}",
        ),
    )
    signal = link_signal(
        actor=coordinator, signal_id=signal.pk, expected_version=signal.version, case_id=case.pk
    )
    contact = contacts.record_contact(
        actor=coordinator,
        case_id=case.pk,
        kind="call",
        on=today,
        reached=False,
        note=f"Kontakten {tag}",
        follow_up_on=today + timedelta(days=7),
    )
    intervention = contacts.record_intervention(
        actor=coordinator, case_id=case.pk, kind="home_help", on=today, note=f"Insatsen {tag}"
    )
    threat = threats.create_threat(
        actor=coordinator,
        case_id=case.pk,
        data=threats.ThreatData(arrears_notice_on=today, arrears_amount=Decimal("12345.00")),
    )
    route = payment_routes.save_payment_route(
        actor=coordinator,
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=0,
        data=payment_routes.RouteData(
            applied_on=today,
            income_support_unit_id=org.units["income_support"].pk,
            decision="granted",
            decided_on=today,
            settlement="commitment",
            settled_on=today,
            settled_amount=Decimal("4321.00"),
        ),
    )
    apartment = housing.create_apartment(
        actor=coordinator,
        district_id=org.district.pk,
        kind="training",
        reference=f"L-{tag}",
        address=f"Lägenhetsgatan {tag}",
        rent=Decimal(5000),
        status_since=date(2025, 1, 1),
    )
    placement = housing.start_placement(
        actor=coordinator,
        case_id=case.pk,
        apartment_id=apartment.pk,
        start_on=date(2025, 2, 1),
        guide=None,
        monthly_cost=Decimal(3000),
        goals={},
        plan=f"Planen {tag}",
    )
    note = housing.add_progress_note(
        actor=coordinator, placement_id=placement.pk, on=today, note=f"Uppföljningen {tag}"
    )
    cost = housing.add_cost_item(
        actor=coordinator,
        case_id=case.pk,
        category=CostCategory.objects.get_or_create(name="Hemtjänst")[0],
        on=today,
        amount=Decimal("777.00"),
        note=f"Kostnaden {tag}",
    )
    shelter = Shelter.objects.create(name=f"Härbärget {tag}", district=org.district)
    ShelterPrice.objects.create(
        shelter=shelter, valid_from=date(2015, 1, 1), price_per_night=Decimal(400)
    )
    night = nights.register_range(
        actor=coordinator,
        person=head,
        shelter=shelter,
        first=date(2025, 1, 10),
        last=date(2025, 1, 10),
        paying_unit=case.responsible_unit,
    )[0]
    from partners import services as partner_services
    from partners.models import Partner
    from partners.referrals import services as referrals

    partner = Partner.objects.filter(district=org.district, name=f"Balans {tag}").first()
    if partner is None:
        partner = partner_services.create_partner(
            actor=coordinator,
            district=org.district,
            data=partner_services.PartnerData(name=f"Balans {tag}", kind="association"),
        )
    referral = referrals.propose_referral(
        actor=coordinator,
        case_id=case.pk,
        data=referrals.ReferralData(
            partner_id=partner.pk,
            person_id=head.pk,
            proposed_on=today,
            consent_on=today,
            share_need=True,
            need=f"Behovet {tag}",
        ),
        today=today,
    )
    handover, _ = send_handover(
        actor=coordinator,
        case_id=case.pk,
        kind="transfer" if transfer_to is not None else "consultation",
        to_unit=transfer_to or org.units["income_support"],
        reason=f"Överlämningen {tag}",
    )
    read_access = None
    if transfer_to is not None:
        accept_handover(actor=accept_as or org.users["caseworker2"], handover_id=handover.pk)
        read_access = handover.read_access.get()
    return SimpleNamespace(
        signal=signal,
        contact=contact,
        intervention=intervention,
        threat=threat,
        route=route,
        placement=placement,
        note=note,
        cost=cost,
        night=night,
        handover=handover,
        read_access=read_access,
        referral=referral,
        # Text that only these records hold.
        texts=[
            f"Behovet {tag}",
            f"Hyresgäst {tag}",
            f"Signalgatan {tag}",
            f"Signalen {tag}",
            f"Kontakten {tag}",
            f"Insatsen {tag}",
            f"Planen {tag}",
            f"Uppföljningen {tag}",
            f"Kostnaden {tag}",
            f"Överlämningen {tag}",
            "12345",
        ],
    )
