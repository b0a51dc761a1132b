import pytest

from bokvar import services
from bokvar.models import Membership, Role, Unit
from bokvar.selectors import roles_of
from tests.factories import DistrictFactory, UserFactory, make_unit

pytestmark = pytest.mark.django_db


def test_each_unit_is_backed_by_its_own_group():
    district = DistrictFactory()
    a = make_unit(district=district, name="Vuxenenheten")
    b = make_unit(district=district, name="Socialpsykiatri", kind=Unit.Kind.SOCIAL_PSYCHIATRY)
    assert a.group_id != b.group_id
    assert a.group.unit == a


def test_membership_puts_user_in_unit_group_and_removal_takes_them_out():
    district = DistrictFactory()
    unit = make_unit(district=district, name="Vuxenenheten")
    user = UserFactory()
    membership = services.add_membership(user=user, unit=unit, role=Role.CASEWORKER)
    assert user.groups.filter(pk=unit.group_id).exists()
    services.add_membership(user=user, unit=unit, role=Role.COORDINATOR)
    services.remove_membership(membership=membership)
    assert user.groups.filter(pk=unit.group_id).exists(), "still a member through the other role"
    services.remove_membership(membership=Membership.objects.get(user=user, role=Role.COORDINATOR))
    assert not user.groups.filter(pk=unit.group_id).exists()


def test_guides_and_steering_do_not_share_the_units_case_grants():
    district = DistrictFactory()
    unit = make_unit(district=district, name="Bo Kvar")
    guide, steering = UserFactory(), UserFactory()
    services.add_membership(user=guide, unit=unit, role=Role.GUIDE)
    services.add_membership(user=steering, unit=unit, role=Role.STEERING)
    assert not guide.groups.filter(pk=unit.group_id).exists()
    assert not steering.groups.filter(pk=unit.group_id).exists()


def test_adding_the_same_membership_twice_creates_one():
    district = DistrictFactory()
    unit = make_unit(district=district, name="Vuxenenheten")
    user = UserFactory()
    services.add_membership(user=user, unit=unit, role=Role.CASEWORKER)
    services.add_membership(user=user, unit=unit, role=Role.CASEWORKER, is_lead=True)
    assert Membership.objects.filter(user=user).count() == 1
    assert Membership.objects.get(user=user).is_lead is True


def test_roles_come_from_memberships(org, coordinator, caseworker, outsider):
    roles = roles_of(coordinator)
    assert roles.has(Role.COORDINATOR)
    assert not roles.has(Role.CASEWORKER)
    assert org.district.pk in roles.coordinator_district_ids
    assert roles_of(caseworker).unit_ids == {org.units[Unit.Kind.ADULT].pk}
    assert roles_of(caseworker).coordinator_district_ids == frozenset()
    assert not roles_of(outsider).roles


def test_inactive_unit_gives_no_role(org, caseworker):
    unit = org.units[Unit.Kind.ADULT]
    unit.is_active = False
    unit.save(update_fields=["is_active"])
    assert not roles_of(caseworker).has(Role.CASEWORKER)


def test_demo_organisation_has_every_unit_and_role(org):
    assert set(org.units) == set(Unit.Kind.values)
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)


def test_changes_to_the_organisation_are_kept_in_history(org):
    unit = org.units[Unit.Kind.ADULT]
    unit.email = "vuxen@example.se"
    unit.save()
    assert unit.history.count() == 2
    assert unit.history.first().email == "vuxen@example.se"
