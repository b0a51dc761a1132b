"""The landlord register: administrators and coordinators register landlords; a
coordinator corrects a landlord's details, the districts where it has flats, or
deactivates it (its API tokens stop working)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bokvar.concurrency import bump, lock_version
from bokvar.forms import NAME_MAX, length_errors
from bokvar.history import attribute
from bokvar.models import District, User
from bokvar.roles import LANDLORD_REGISTER
from bokvar.selectors import roles_of
from cases.models import Landlord

from .. import selectors
from .tokens import revoke_tokens

FIELDS = ["kind", "organisation_name", "private_name", "organisation_number"]
FIELDS += ["contact_person", "phone", "email", "address", "is_active"]


def _unique_name(name: str, *, exclude_pk: int | None = None) -> tuple[str, str]:
    """The entered name, trimmed, and its blind index; refused when empty or when another
    landlord is registered under it."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Enter the landlord's name.")})
    too_long = length_errors({"name": (name, NAME_MAX)})
    if too_long:
        raise ValidationError(too_long)
    index = selectors.landlord_name_index(name)
    same_name = Landlord.objects.filter(name_bidx__in=selectors.landlord_name_indexes(name))
    if exclude_pk is not None:
        same_name = same_name.exclude(pk=exclude_pk)
    if same_name.exists():
        raise ValidationError({"name": _("A landlord with this name is already registered.")})
    return name, index


@transaction.atomic
def update_landlord(
    *,
    actor: User,
    landlord_id: int,
    expected_version: int,
    kind: str,
    name: str,
    organisation_number: str = "",
    contact_person: str = "",
    phone: str = "",
    email: str = "",
    address: str = "",
    districts: list[District] | None = None,
    is_active: bool = True,
) -> Landlord:
    """`districts` are those of the actor's own districts the landlord has flats in;
    districts the actor does not coordinate are kept as they were."""
    selectors.get_landlord_for_user(actor, landlord_id, write=True)
    landlord = lock_version(Landlord, landlord_id, expected_version)
    mine = set(roles_of(actor).coordinator_district_ids)
    chosen = {d.pk for d in districts or []}
    if not chosen <= mine:
        raise ValidationError({"districts": _("Choose among your own districts.")})
    others = set(landlord.districts.values_list("pk", flat=True)) - mine
    district_ids = others | chosen
    if not district_ids:
        raise ValidationError(
            {"districts": _("Choose the districts where the landlord has flats.")}
        )
    name, index = _unique_name(name, exclude_pk=landlord.pk)
    private = kind == Landlord.Kind.PRIVATE
    values = {
        "kind": kind,
        "organisation_name": "" if private else name,
        "private_name": name if private else "",
        "organisation_number": organisation_number.strip(),
        "contact_person": contact_person.strip(),
        "phone": phone.strip(),
        "email": email.strip(),
        "address": address.strip(),
        "is_active": is_active,
    }
    changed = [f for f in FIELDS if getattr(landlord, f) != values[f]]
    for f in changed:
        setattr(landlord, f, values[f])
    if landlord.name_bidx != index:
        landlord.name_bidx = index
        changed.append("name_bidx")
    districts_changed = district_ids != set(landlord.districts.values_list("pk", flat=True))
    if not (changed or districts_changed):
        return landlord
    deactivated = "is_active" in changed and not is_active
    bump(landlord)
    landlord.full_clean()
    reason = "landlord deactivated" if deactivated else "landlord updated"
    attribute(landlord, user=actor, reason=reason).save(update_fields=[*changed, "version"])
    if districts_changed:
        landlord.districts.set(sorted(district_ids))
    if deactivated:
        # A landlord no longer active reports nothing: its systems' keys stop working.
        revoke_tokens(landlord=landlord, actor=actor)
    return landlord


@transaction.atomic
def register_landlord(
    *,
    actor: User,
    kind: str,
    name: str,
    organisation_number: str = "",
    contact_person: str = "",
    phone: str = "",
    email: str = "",
    address: str = "",
    districts: list[District] | None = None,
) -> Landlord:
    """Landlords are configuration: administrators and coordinators register them, with
    the districts where the landlord has flats (by default all of the actor's own)."""
    roles = roles_of(actor)
    if not roles.has(*LANDLORD_REGISTER):
        raise PermissionDenied
    allowed = selectors.landlord_district_ids(actor)
    district_ids = allowed if districts is None else {d.pk for d in districts}
    if not district_ids:
        raise ValidationError(
            {"districts": _("Choose the districts where the landlord has flats.")}
        )
    if not district_ids <= allowed:
        raise ValidationError({"districts": _("Choose among your own districts.")})
    name, index = _unique_name(name)
    private = kind == Landlord.Kind.PRIVATE
    landlord = Landlord(
        kind=kind,
        organisation_name="" if private else name,
        private_name=name if private else "",
        name_bidx=index,
        organisation_number=organisation_number.strip(),
        contact_person=contact_person.strip(),
        phone=phone.strip(),
        email=email.strip(),
        address=address.strip(),
    )
    landlord.full_clean()
    attribute(landlord, user=actor, reason="landlord registered").save()
    landlord.districts.set(sorted(district_ids))
    return landlord
