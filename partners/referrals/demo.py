"""Demo referrals: open cases of the demo district referred to Balans and to the meeting
place Balder, at every step, each with the client's (fictional) consent. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from bokvar.demo import DemoContext
from cases.models import Case, ProtectedIdentity

from ..models import Partner, Referral
from . import services
from .services import ReferralData

# (partner, days ago proposed, steps as (status, days after proposal), outcome, need)
PLAN = [
    (
        "Balans Stockholm",
        60,
        [("sent", 2), ("accepted", 9), ("attended", 16), ("ended", 50)],
        "completed",
        "Vill träffa andra med depression; intresserad av studiecirkel.",
    ),
    ("Balans Stockholm", 40, [("sent", 1), ("declined", 6)], "", "Söker stödgrupp för anhöriga."),
    (
        "Balans Stockholm",
        12,
        [("sent", 1), ("accepted", 5)],
        "",
        "Behöver sammanhang och kamratstöd.",
    ),
    (
        "Träfflokalen Balder",
        90,
        [("sent", 0), ("accepted", 3), ("attended", 7)],
        "",
        "Ensam dagtid; vill ha en plats att gå till.",
    ),
    (
        "Träfflokalen Balder",
        30,
        [("sent", 2), ("accepted", 4), ("ended", 20)],
        "never_started",
        "Vill prova träfflokalen.",
    ),
    ("Träfflokalen Balder", 3, [], "", ""),
]


def seed(ctx: DemoContext) -> None:
    if (
        ctx.district is None
        or Referral.objects.filter(case__responsible_unit__district=ctx.district).exists()
    ):
        return
    partners = {
        p.name: p
        for p in Partner.objects.filter(district=ctx.district, name__in={p[0] for p in PLAN})
    }
    cases = list(
        Case.objects.filter(responsible_unit__district=ctx.district, status=Case.Status.OPEN)
        .select_related("household__head")
        .order_by("pk")[: len(PLAN)]
    )
    actor = ctx.users["coordinator"]
    today = timezone.localdate()
    made = 0
    for case, (name, ago, steps, outcome, need) in zip(cases, PLAN, strict=False):
        partner = partners.get(name)
        head = case.household.head
        if partner is None or head is None:
            continue
        proposed = today - timedelta(days=ago)
        protected = head.protected_identity != ProtectedIdentity.NONE
        referral = services.propose_referral(
            actor=actor,
            case_id=case.pk,
            data=ReferralData(
                partner_id=partner.pk,
                person_id=head.pk,
                proposed_on=proposed,
                consent_on=proposed,
                share_contact=not protected,
                share_need=bool(need),
                need=need,
            ),
            today=today,
        )
        for status, after in steps:
            services.advance_referral(
                actor=actor,
                referral_id=referral.pk,
                expected_version=referral.version,
                status=status,
                on=proposed + timedelta(days=after),
                reason="Gruppen är full den här terminen." if status == "declined" else "",
                outcome=outcome if status == "ended" else "",
                today=today,
            )
            referral.refresh_from_db()
        made += 1
    ctx.log(f"Referrals: {made} to Balans and Balder.")
