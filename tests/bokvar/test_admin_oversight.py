"""Issue 21, point 3: what administrators do to roles is seen, superuser status is the
break-glass account's alone, and a stale admin form never overwrites a colleague."""

from __future__ import annotations

import pytest
from django.test import Client

from audit import chain, review
from audit.models import AccessLogEntry, How
from bokvar import services
from bokvar.models import BreakGlassOnly, Membership, Role, RoleGrant, Unit, User
from tests.bokvar.test_separated_duties import _form_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _admin_entries(**filters) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(how=How.ADMIN, **filters).order_by("seq"))


def _second_admin(org) -> User:
    second: User = UserFactory(username="admin2")  # type: ignore[assignment]  # factory_boy builds a User
    services.add_membership(user=second, unit=org.units["housing_team"], role=Role.ADMINISTRATOR)
    second.is_staff = True
    second.save(update_fields=["is_staff"])
    second.groups.add(*org.users["admin"].groups.all())
    return second


def test_role_and_membership_changes_are_logged_in_the_chain_and_flagged(login, org):
    admin = org.users["admin"]
    client = login(admin)
    guide, adult = org.users["guide"], org.units["adult"]
    before = AccessLogEntry.objects.count()
    # A role without client data, given directly; then removed.
    response = client.post(
        "/admin/bokvar/membership/add/", {"user": guide.pk, "unit": adult.pk, "role": "steering"}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=guide, role=Role.STEERING)
    client.post(f"/admin/bokvar/membership/{membership.pk}/delete/", {"post": "yes"})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    # A client-data role: asked for by one administrator, approved by a second.
    client.post(
        "/admin/bokvar/rolegrant/add/",
        {"user": guide.pk, "unit": adult.pk, "role": Role.CASEWORKER},
    )
    grant = RoleGrant.objects.get(user=guide)
    second = _second_admin(org)
    login_second = Client()
    login_second.force_login(second, backend="django.contrib.auth.backends.ModelBackend")
    login_second.post(
        "/admin/bokvar/rolegrant/", {"action": "approve", "_selected_action": [grant.pk]}
    )
    given = Membership.objects.get(user=guide, role=Role.CASEWORKER)

    logged = [(e.user_id, e.object_type, e.object_id) for e in _admin_entries(seq__gt=before)]
    assert (admin.pk, "bokvar.membership", membership.pk) in logged
    assert logged.count((admin.pk, "bokvar.membership", membership.pk)) == 2  # added, removed
    assert (admin.pk, "bokvar.rolegrant", grant.pk) in logged  # asked
    assert (second.pk, "bokvar.rolegrant", grant.pk) in logged  # approved
    assert (second.pk, "bokvar.membership", given.pk) in logged  # and the role it gave
    # Only ids, and a unit: the auditor's review flags every one of them.
    entries = _admin_entries(seq__gt=before)
    assert all(e.unit_id == adult.pk for e in entries if e.object_type != "bokvar.user")
    assert {f for row in review.flag(entries) for f in row.flags} == {"role_change"}
    assert set(review.entries(review.LogFilters(flagged=True))) >= set(entries)
    assert chain.verify().ok


def test_a_change_of_account_status_is_logged(login, org):
    admin = org.users["admin"]
    client = login(admin)
    target = org.users["steering"]
    url = f"/admin/bokvar/user/{target.pk}/change/"
    form = _form_of(client, url)
    form.pop("is_staff", None)  # take the staff status away
    response = client.post(url, form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    target.refresh_from_db()
    assert not target.is_staff
    assert [(e.user_id, e.object_id) for e in _admin_entries(object_type="bokvar.user")] == [
        (admin.pk, target.pk)
    ]


def test_superuser_status_is_only_for_the_break_glass_account(org, settings):
    settings.BREAK_GLASS_USERNAMES = ["nodbrytning"]
    someone = org.users["admin"]
    someone.is_superuser = True
    with pytest.raises(BreakGlassOnly):
        someone.save()
    someone.refresh_from_db()
    assert not someone.is_superuser
    glass = User(username="nodbrytning", is_staff=True, is_superuser=True)
    glass.set_unusable_password()
    glass.save()
    assert User.objects.get(username="nodbrytning").is_superuser


def test_even_the_break_glass_superuser_cannot_make_another_superuser(login, org, settings):
    settings.BREAK_GLASS_USERNAMES = ["nodbrytning"]
    glass = User.objects.create(username="nodbrytning", is_staff=True, is_superuser=True)
    client = login(glass)
    target = org.users["admin"]
    url = f"/admin/bokvar/user/{target.pk}/change/"
    response = client.post(url, {**_form_of(client, url), "is_superuser": "on"})
    assert response.status_code == 200
    assert "is_superuser" in response.context["adminform"].form.errors
    target.refresh_from_db()
    assert not target.is_superuser


def test_a_break_glass_sign_in_is_flagged_for_the_auditor(client, org, settings):
    settings.BREAK_GLASS_USERNAMES = ["nodbrytning"]
    glass = User.objects.create(username="nodbrytning", is_staff=True, is_superuser=True)
    client.force_login(glass, backend="django.contrib.auth.backends.ModelBackend")
    client.force_login(org.users["admin"], backend="django.contrib.auth.backends.ModelBackend")
    used = list(AccessLogEntry.objects.filter(how=How.SUPERUSER))
    assert [(e.user_id, e.object_id) for e in used] == [(glass.pk, glass.pk)]
    assert review.flag(used)[0].flags == ("break_glass",)


def _stale_post(client, url, changes, meanwhile):
    """Open the form, let someone else save meanwhile, then post the stale form."""
    form = _form_of(client, url)
    assert form.get("lock_token")
    meanwhile()
    return client.post(url, {**form, **changes})


def _conflict(response) -> bool:
    errors = response.context["adminform"].form.non_field_errors().as_data()
    return response.status_code == 200 and any(e.code == "conflict" for e in errors)


def test_a_stale_admin_form_gets_a_conflict_not_an_overwrite(login, org):
    client = login(org.users["admin"])
    unit = org.units["adult"]

    def renamed():
        Unit.objects.filter(pk=unit.pk).update(name="Vuxenenheten (ny)")

    response = _stale_post(
        client, f"/admin/bokvar/unit/{unit.pk}/change/", {"email": "ny@example.se"}, renamed
    )
    assert _conflict(response)
    unit.refresh_from_db()
    assert (unit.name, unit.email) == ("Vuxenenheten (ny)", unit.email)
    assert unit.email != "ny@example.se"

    target = org.users["steering"]

    def re_mailed():
        User.objects.filter(pk=target.pk).update(email="annan@example.se")

    response = _stale_post(
        client, f"/admin/bokvar/user/{target.pk}/change/", {"first_name": "Ny"}, re_mailed
    )
    assert _conflict(response)
    target.refresh_from_db()
    assert (target.email, target.first_name) == (
        "annan@example.se",
        org.users["steering"].first_name,
    )

    steering = Membership.objects.filter(role=Role.STEERING).first()

    def made_lead():
        Membership.objects.filter(pk=steering.pk).update(is_lead=not steering.is_lead)

    response = _stale_post(client, f"/admin/bokvar/membership/{steering.pk}/change/", {}, made_lead)
    assert _conflict(response)


def test_a_fresh_admin_form_saves(login, org):
    client = login(org.users["admin"])
    unit = org.units["adult"]
    url = f"/admin/bokvar/unit/{unit.pk}/change/"
    response = client.post(url, {**_form_of(client, url), "email": "ny@example.se"})
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.email == "ny@example.se"
