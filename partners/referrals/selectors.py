"""Reads of referrals, through the one access rule of the case they hang on: a referral
is seen by whoever may see its case, of the case staff (coordinators, caseworkers and
guides); administrators, the steering group, meeting-place staff and landlords never."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from bokvar.models import User
from bokvar.roles import CASE_STAFF
from bokvar.selectors import roles_of
from cases.core.selectors import cases as case_selectors
from cases.models import Case

from ..models import Partner, Referral


def may_refer(user: User) -> bool:
    return roles_of(user).has(*CASE_STAFF)


def referrals_of_case(case: Case) -> list[Referral]:
    return list(
        Referral.objects.filter(case=case).select_related("partner", "person", "referred_by")
    )


def get_referral_for_user(user: User, referral_id: int, *, write: bool = False) -> Referral:
    """404 where the user may not know the case (or the referral) exists, 403 where they
    may read the case but not write it, or hold no case-staff role."""
    referral = (
        Referral.objects.select_related("partner", "person", "referred_by", "case")
        .filter(pk=referral_id)
        .first()
    )
    if referral is None:
        raise Http404
    case_selectors.get_case_for_user(user, referral.case_id, write=write)
    if not may_refer(user):
        raise PermissionDenied
    return referral


def partners_for_case(case: Case) -> QuerySet[Partner]:
    """The active partners of the register of the case's district."""
    return Partner.objects.filter(
        district_id=case.responsible_unit.district_id, is_active=True
    ).order_by("name")


def partner_summary(referral: Referral) -> list[tuple[str, str]]:
    """What the partner is told: built from the consented items only. The client's name
    and contact details only with consent to share them, the need only with consent to
    share it; otherwise nothing about the client."""
    lines: list[tuple[str, str]] = [
        (_("Referred to"), referral.partner.name),
        (_("From"), _("Bo Kvar, the municipality's housing team")),
    ]
    if referral.share_contact:
        person = referral.person
        lines.append((_("Name"), f"{person.given_name} {person.family_name}".strip()))
        if person.phone:
            lines.append((_("Phone"), person.phone))
        if person.email:
            lines.append((_("E-mail"), person.email))
    if referral.share_need and referral.need:
        lines.append((_("Need"), referral.need))
    if not (referral.share_contact or referral.share_need):
        lines.append(
            (
                _("About the client"),
                _("Nothing: the client did not consent to share anything with the partner."),
            )
        )
    lines.append((_("Consent given on"), referral.consent_on.isoformat()))
    return lines
