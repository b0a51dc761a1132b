"""Hooks the domain apps call; the audit app never imports their models.

`record_read` is called by every page, API response and export that shows a person's
or a case's data. It writes one access-log row: ids only, with the context an auditor's
review needs (person, case, unit, protected identity, read outside the user's units).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from bokvar import net
from bokvar.models import Role
from bokvar.selectors import roles_of

from .models import How as HowChoices
from .registry import Subject, handed_over, registry


class How:
    ADMIN = HowChoices.ADMIN.value
    SUPERUSER = HowChoices.SUPERUSER.value
    PAGE = HowChoices.PAGE.value
    API = HowChoices.API.value
    EXPORT = HowChoices.EXPORT.value
    EXTRACT = HowChoices.EXTRACT.value
    LOOKUP = HowChoices.LOOKUP.value
    LIST = HowChoices.LIST.value


def client_ip(request: HttpRequest) -> str:
    return net.client_ip(request)


def subjects_of(objs: list[models.Model], *, via: models.Model | None = None) -> list[Subject]:
    """Who each object concerns, in order: one describe_many call per model."""
    out: list[Subject] = [Subject()] * len(objs)
    groups: dict[str, list[int]] = {}
    for i, obj in enumerate(objs):
        groups.setdefault(obj._meta.label_lower, []).append(i)
    for label, positions in groups.items():
        reg = registry.models.get(label)
        if reg is None or reg.describe_many is None:
            continue
        described = reg.describe_many([objs[i] for i in positions], via)
        for i, subject in zip(positions, described, strict=True):
            out[i] = subject
    return out


def record_read(
    request: HttpRequest, *, obj: models.Model, how: str = How.PAGE, via: models.Model | None = None
) -> None:
    """Record that the signed-in user read `obj` (a case, a person or a record of theirs);
    `via`: the case a person's page was reached through. The entry is written and not
    read back (`append_many(saved=False)`): no page shows it, and making its instance
    from the returned row was a tenth of the append's CPU (issue 22)."""
    from .chain import append_many

    append_many(_values(request, [obj], how, via), saved=False)


def record_denied(
    request: HttpRequest, *, obj: models.Model, how: str = How.PAGE, subject: Subject | None = None
):
    """Record that the signed-in user was refused `obj` (403/404 although it exists).
    `subject`: who `obj` concerns, when the caller has just read it (`subjects_of`)."""
    from .chain import append

    subjects = None if subject is None else [subject]
    return append(**_values(request, [obj], how, None, subjects)[0], denied=True)


def _acting(actor: Any) -> tuple[Any, str] | None:
    """Who acts, and from where: `actor` when a service names a person, else the
    request's user (simple-history keeps the request for its own rows). None for the
    system account (seeding, commands, migrations): its changes are in the models'
    history, and a person running a command has host access, outside the admin."""
    from simple_history.models import HistoricalRecords

    from bokvar.history import SYSTEM_USERNAME

    request = getattr(HistoricalRecords.context, "request", None)
    ip = client_ip(request) if request is not None else ""
    if actor is not None and getattr(actor, "pk", None) is not None:
        return (None, "") if actor.username == SYSTEM_USERNAME else (actor, ip)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user, ip
    return None


def record_admin_change(*, obj: models.Model, actor: Any = None, unit_id: int | None = None):
    """A role, membership, role request or account status changed (issue 21, point 3): an
    entry in the hash-chained log, always flagged for the auditor (review.FLAGGED_HOW).
    Ids only, as every entry. `actor`: who acted, when a service names them."""
    from .chain import append

    acting = _acting(actor)
    if acting is None or acting[0] is None:
        return None
    return append(
        user=acting[0],
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        how=How.ADMIN,
        ip=acting[1],
        unit_id=unit_id,
    )


def record_superuser_use(request: HttpRequest, user: Any):
    """The break-glass superuser signed in: flagged for the auditor."""
    from .chain import append

    return append(
        user=user,
        object_type=user._meta.label_lower,
        object_id=user.pk,
        how=How.SUPERUSER,
        ip=client_ip(request),
    )


def record_reads(request: HttpRequest, *, objs, how: str = How.PAGE) -> None:
    """A list page or list response: one entry per record shown, written in one INSERT.
    A list page's rows are recorded as listed (How.LIST), not opened. The entries are
    written and not read back (`append_many(saved=False)`): no page shows them."""
    from .chain import append_many

    if how == How.PAGE:
        how = How.LIST
    objs = list(objs)
    if objs:
        append_many(_values(request, objs, how, None), saved=False)


def _values(
    request: HttpRequest,
    objs: list[models.Model],
    how: str,
    via,
    subjects: list[Subject] | None = None,
) -> list[dict]:
    roles = roles_of(request.user)
    ip = client_ip(request)
    if subjects is None:
        subjects = subjects_of(objs, via=via)
    outside = [_outside(subject, roles) for subject in subjects]
    # Outside one's units, the read is explained only by a handover to one of them; decided
    # now, as things stand at the read (a grant given or taken later changes nothing).
    handed = handed_over(
        {s.case_id for s, out in zip(subjects, outside, strict=True) if out and s.case_id},
        set(roles.unit_ids),
    )
    rows = []
    for obj, subject, out in zip(objs, subjects, outside, strict=True):
        rows.append(
            dict(
                user_id=request.user.pk,
                object_type=obj._meta.label_lower,
                object_id=obj.pk,
                how=how,
                ip=ip,
                person_id=subject.person_id,
                case_id=subject.case_id,
                unit_id=subject.unit_id,
                protected=subject.protected,
                outside_unit=out,
                via_handover=out and subject.case_id in handed,
            )
        )
    return rows


def _outside(subject: Subject, roles) -> bool:
    """A read of a case of a unit the reader does not belong to. A coordinator reading a
    case of their district is inside; auditors read across units by office (logged, not
    flagged)."""
    if subject.unit_id is None:
        return False
    if roles.has(Role.AUDITOR):
        return False
    if subject.unit_id in roles.unit_ids:
        return False
    return not (
        subject.district_id is not None and subject.district_id in roles.coordinator_district_ids
    )
