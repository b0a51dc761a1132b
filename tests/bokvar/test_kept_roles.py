"""A user's roles are read by a statement compiled once (`KeptIdRows`, bokvar/compiled.py;
issue 22): every signed-in request reads them. The roles are those of the memberships
as they are now: a new membership and a unit made inactive count on the next request
(a new user object), and one compilation serves every user."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection

from bokvar import compiled, selectors
from bokvar.models import Membership, Role, Unit, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_kept():
    selectors._MEMBERSHIPS.statements.clear()
    yield
    selectors._MEMBERSHIPS.statements.clear()


def _fresh(user: User) -> User:
    """The user as the next request loads them (no roles cached on the object)."""
    return User.objects.get(pk=user.pk)


def test_one_compilation_reads_every_users_memberships_as_they_are_now(org, caseworker):
    with mock.patch.object(
        compiled.KeptIdRows, "_compile", autospec=True, side_effect=compiled.KeptIdRows._compile
    ) as compiling:
        for user in org.users.values():
            want = set(selectors._memberships([user.pk]))
            got = selectors.roles_of(_fresh(user))
            assert got.unit_roles == {(role, unit) for role, unit, _, _ in want}
            assert got.lead_unit_ids == {unit for _, unit, lead, _ in want if lead}
            assert got.district_ids == {district for _, _, _, district in want}
        housing = org.units[Unit.Kind.HOUSING_TEAM]
        assert not selectors.roles_of(_fresh(caseworker)).has(Role.GUIDE)
        Membership.objects.create(user=caseworker, unit=housing, role=Role.GUIDE)
        assert selectors.roles_of(_fresh(caseworker)).has(Role.GUIDE)
        Unit.objects.filter(pk=housing.pk).update(is_active=False)
        assert not selectors.roles_of(_fresh(caseworker)).has(Role.GUIDE)
    if connection.vendor == "postgresql":
        assert compiling.call_count == 1


def test_one_id_runs_its_own_statement_with_the_id_as_a_plain_value(org, caseworker):
    """`roles_of` reads one user: its kept statement binds the id alone, not as an array
    (PostgreSQL then keeps a generic plan rather than planning on every page, issue 22);
    several ids keep the array statement. The rows are the same either way."""
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("statements are kept on PostgreSQL only")
    users = [caseworker.pk, org.users["coordinator"].pk]
    with CaptureQueriesContext(connection) as ctx:
        one = selectors._MEMBERSHIPS.rows([caseworker.pk])
        both = selectors._MEMBERSHIPS.rows(users)
    assert sorted(one) == sorted(selectors._memberships([caseworker.pk]))
    assert sorted(both) == sorted(selectors._memberships(users))
    single, several = (query["sql"] for query in ctx.captured_queries)
    assert '"user_id" = ' in single and "ANY(" not in single
    assert "ANY(" in several
    assert len(selectors._MEMBERSHIPS.statements) == 2
