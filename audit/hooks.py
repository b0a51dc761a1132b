"""Hooks the domain apps call; the audit app never imports their models.

`record_read` is called by every page, API response and export that shows a person's
or a case's data. It writes one access-log row: ids only, with the context an auditor's
review needs (person, case, unit, protected identity, read outside the user's units).
"""

from __future__ import annotations

from django.db import models
from django.http import HttpRequest

from bokvar.models import Role
from bokvar.selectors import roles_of

from .models import How as HowChoices
from .registry import Subject, for_model


class How:
    PAGE = HowChoices.PAGE.value
    API = HowChoices.API.value
    EXPORT = HowChoices.EXPORT.value
    EXTRACT = HowChoices.EXTRACT.value


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a forwarded header is set by the client and proves nothing.
    return (request.META.get("REMOTE_ADDR") or "")[:45]


def subject_of(obj: models.Model) -> Subject:
    reg = for_model(obj)
    if reg is not None and reg.describe is not None:
        return reg.describe(obj)
    return Subject()


def record_read(request: HttpRequest, *, obj: models.Model, how: str = How.PAGE):
    """Record that the signed-in user read `obj` (a case, a person or a record of theirs)."""
    from .chain import append

    return append(**_values(request, obj, how))


def record_reads(request: HttpRequest, *, objs, how: str = How.PAGE):
    """A list page or list response: one entry per record shown, written in one INSERT."""
    from .chain import append_many

    return append_many([_values(request, obj, how) for obj in objs])


def _values(request: HttpRequest, obj: models.Model, how: str) -> dict:
    subject = subject_of(obj)
    roles = roles_of(request.user)
    # Auditors read across units by office; their reads are logged but not flagged.
    outside = subject.unit_id is not None and not (
        roles.has(Role.AUDITOR)
        or subject.unit_id in roles.unit_ids
        or (
            subject.district_id is not None
            and subject.district_id in roles.coordinator_district_ids
        )
    )
    return dict(
        user_id=request.user.pk,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        how=how,
        ip=client_ip(request),
        person_id=subject.person_id,
        case_id=subject.case_id,
        unit_id=subject.unit_id,
        protected=subject.protected,
        outside_unit=outside,
    )
