"""Issue 21, point 3: the administrator cannot reach client data through the admin alone.

Each attempt below is something the admin offers an administrator; after each, the
administrator still must not open a case page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from bokvar import services
from bokvar.models import Membership, Role, RoleGrant
from bokvar.roles import CLIENT_DATA
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class _Form(HTMLParser):
    """The values a browser would post for the admin's change form."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.setdefault(self._select, []).append(a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.setdefault(name, []).append("")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None


def _form_of(client, url) -> dict:
    parser = _Form()
    parser.feed(client.get(url).content.decode())
    return {k: v if len(v) > 1 else v[0] for k, v in parser.data.items()}


def _granted(user) -> bool:
    """A client-data membership, or a unit's group (which carries the unit's cases)."""
    if user.groups.filter(unit__isnull=False).exists():
        return True
    return Membership.objects.filter(user=user, role__in=CLIENT_DATA).exists()


def _reaches_case(client, case) -> bool:
    return client.get(f"/cases/{case.pk}/").status_code == 200


def test_admin_cannot_reach_a_case_page_by_admin_actions_alone(login, org, cases):
    admin = org.users["admin"]
    client = login(admin)
    adult = org.units["adult"]
    assert not _reaches_case(client, cases.a)
    attempts: dict[str, bool] = {}

    # 0. Take over a colleague's caseworker membership: change its user to themselves
    #    (and, separately, its unit), keeping the role.
    theirs = Membership.objects.filter(user=org.users["caseworker"], role=Role.CASEWORKER).first()
    assert theirs is not None
    change = f"/admin/bokvar/membership/{theirs.pk}/change/"
    form = _form_of(client, change)
    client.post(change, {**form, "user": str(admin.pk)})
    attempts["take over a colleague's membership"] = _granted(admin) or _reaches_case(
        client, cases.a
    )
    # 1. Give themselves a client-data role through the membership admin.
    for role in (Role.COORDINATOR, Role.CASEWORKER, Role.GUIDE):
        client.post(
            "/admin/bokvar/membership/add/",
            {"user": admin.pk, "unit": adult.pk, "role": role, "is_lead": "on"},
        )
        attempts[f"membership add {role}"] = _granted(admin) or _reaches_case(client, cases.a)
        Membership.objects.filter(user=admin, unit=adult).exclude(role=Role.ADMINISTRATOR).delete()

    # 2. Turn an existing harmless membership into a client-data one.
    harmless = Membership.objects.create(user=admin, unit=adult, role=Role.STEERING)
    client.post(
        f"/admin/bokvar/membership/{harmless.pk}/change/",
        {"user": admin.pk, "unit": adult.pk, "role": Role.CASEWORKER, "is_lead": "on"},
    )
    attempts["membership change to caseworker"] = _granted(admin) or _reaches_case(client, cases.a)
    Membership.objects.filter(pk=harmless.pk).delete()

    # 3. The membership inline on their own user page; 4. superuser status on it.
    url = f"/admin/bokvar/user/{admin.pk}/change/"
    form = _form_of(client, url)
    total = int(form["memberships-TOTAL_FORMS"])
    form.update(
        {
            "memberships-TOTAL_FORMS": str(total + 1),
            f"memberships-{total}-unit": str(adult.pk),
            f"memberships-{total}-role": Role.COORDINATOR,
            f"memberships-{total}-user": str(admin.pk),
        }
    )
    client.post(url, form)
    attempts["user page membership inline"] = _granted(admin) or _reaches_case(client, cases.a)
    Membership.objects.filter(user=admin, unit=adult).delete()
    form = _form_of(client, url)
    form["is_superuser"] = "on"
    client.post(url, form)
    admin.refresh_from_db()
    attempts["superuser on own user page"] = admin.is_superuser or _reaches_case(client, cases.a)

    # 6. A role request that names its own approver.
    client.post(
        "/admin/bokvar/rolegrant/add/",
        {
            "user": admin.pk,
            "unit": adult.pk,
            "role": Role.CASEWORKER,
            "approved_by": org.users["coordinator"].pk,
            "approved_at": "2026-01-01 00:00",
        },
    )
    attempts["self-approved role request"] = _granted(admin) or _reaches_case(client, cases.a)
    # 7. Their own user page posted with a unit group and superuser status (fields the
    #    form does not offer them).
    unit_group = adult.group_id
    form = _form_of(client, url)
    client.post(url, {**form, "groups": [str(unit_group)], "is_superuser": "on"})
    admin.refresh_from_db()
    attempts["unit group on own user page"] = (
        admin.groups.filter(pk=unit_group).exists()
        or admin.is_superuser
        or _reaches_case(client, cases.a)
    )

    reached = [name for name, ok in attempts.items() if ok]
    assert not reached, f"{len(reached)} of {len(attempts)} admin paths reach a case: {reached}"


def test_admin_cannot_take_over_a_colleagues_client_data_membership(login, org, cases):
    """Found open before the fix: the membership's user changed to the administrator,
    the role kept, was saved, and the case page opened (200)."""
    admin = org.users["admin"]
    client = login(admin)
    theirs = Membership.objects.filter(user=org.users["caseworker"], role=Role.CASEWORKER).first()
    change = f"/admin/bokvar/membership/{theirs.pk}/change/"
    for changes in ({"user": str(admin.pk)}, {"unit": str(org.units["income_support"].pk)}):
        response = client.post(change, {**_form_of(client, change), **changes})
        assert response.status_code == 200
        assert "role" in response.context["adminform"].form.errors
    theirs.refresh_from_db()
    assert (theirs.user, theirs.unit) == (org.users["caseworker"], org.units["adult"])
    assert not _granted(admin) and not _reaches_case(client, cases.a)


def test_admin_cannot_set_another_users_password(login, org):
    client = login(org.users["admin"])
    target = org.users["caseworker"]
    response = client.post(
        f"/admin/bokvar/user/{target.pk}/password/",
        {"password1": "Taken-over-2026", "password2": "Taken-over-2026"},
    )
    target.refresh_from_db()
    assert not target.check_password("Taken-over-2026")
    assert response.status_code in (403, 302)


def test_a_second_administrator_approves_a_client_data_role(login, org, cases):
    admin, coordinator = org.users["admin"], org.users["coordinator"]
    second = UserFactory(username="admin2")
    services.add_membership(user=second, unit=org.units["housing_team"], role=Role.ADMINISTRATOR)
    second.is_staff = True
    second.save(update_fields=["is_staff"])
    second.groups.add(*admin.groups.all())
    client = login(admin)
    # The first administrator asks for the caseworker role for themselves...
    client.post(
        "/admin/bokvar/rolegrant/add/",
        {"user": admin.pk, "unit": org.units["adult"].pk, "role": Role.CASEWORKER},
    )
    own = RoleGrant.objects.get(user=admin)
    assert own.requested_by == admin and own.approved_by is None
    # ...and cannot approve it, nor can anyone approve their own request.
    changelist = "/admin/bokvar/rolegrant/"
    client.post(changelist, {"action": "approve", "_selected_action": [own.pk]})
    own.refresh_from_db()
    assert own.approved_by is None and not _granted(admin)
    # The second administrator may not approve a role for themselves either.
    for_second = RoleGrant.objects.create(
        user=second, unit=org.units["adult"], role=Role.CASEWORKER, requested_by=admin
    )
    second_client = login(second)
    second_client.post(changelist, {"action": "approve", "_selected_action": [for_second.pk]})
    assert not _granted(second)
    # A request for a colleague, approved by the second administrator, gives the role.
    request = RoleGrant.objects.create(
        user=coordinator, unit=org.units["adult"], role=Role.CASEWORKER, requested_by=admin
    )
    second_client.post(changelist, {"action": "approve", "_selected_action": [request.pk]})
    request.refresh_from_db()
    assert request.approved_by == second and request.approved_at is not None
    assert Membership.objects.filter(
        user=coordinator, unit=org.units["adult"], role=Role.CASEWORKER
    ).exists()


def test_roles_without_client_data_are_given_directly(login, org):
    client = login(org.users["admin"])
    response = client.post(
        "/admin/bokvar/membership/add/",
        {"user": org.users["guide"].pk, "unit": org.units["adult"].pk, "role": Role.STEERING},
    )
    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        response.context["adminform"].form.non_field_errors(),
    )
    assert Membership.objects.filter(user=org.users["guide"], role=Role.STEERING).exists()
    refused = client.post(
        "/admin/bokvar/membership/add/",
        {"user": org.users["steering"].pk, "unit": org.units["adult"].pk, "role": Role.GUIDE},
    )
    assert refused.status_code == 200
    assert "role" in refused.context["adminform"].form.errors
