"""`field__any=ids` (bokvar/lookups.py): the same rows as `__in`, sent as one array."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, Person

pytestmark = pytest.mark.django_db


def test_any_finds_what_in_finds_with_one_parameter(cases):
    people = list(Person.objects.values_list("pk", flat=True))
    wanted = set(people[:2]) | {10**9}  # and an id nobody has
    by_in = set(Person.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as ctx:
        by_any = set(Person.objects.filter(pk__any=wanted).values_list("pk", flat=True))
    assert by_any == by_in and len(by_any) == 2
    if connection.vendor == "postgresql":
        assert "= ANY(" in ctx.captured_queries[0]["sql"]
    # On a relation and through a join, and nothing for no ids.
    households = {cases.a.household_id, cases.b.household_id}
    assert set(Case.objects.filter(household_id__any=households)) == {cases.a, cases.b}
    assert set(Case.objects.filter(household__members__any=[cases.g.household.head_id])) == {
        cases.g
    }
    assert not Person.objects.filter(pk__any=[]).exists()


def test_one_id_is_written_as_a_plain_value_with_the_same_rows(cases):
    """`OneId` (bokvar.lookups): one value is sent alone (`= %s`), so PostgreSQL may keep
    a generic plan for the prepared statement; the rows are those of the array form."""
    from bokvar.lookups import OneId

    pk = cases.a.household.head_id
    with CaptureQueriesContext(connection) as ctx:
        alone = list(Person.objects.filter(pk__any=OneId([pk])).values_list("pk", flat=True))
    assert alone == list(Person.objects.filter(pk__any=[pk]).values_list("pk", flat=True))
    assert alone == [pk]
    sql = ctx.captured_queries[0]["sql"]
    assert "ANY(" not in sql and " IN (" not in sql
    # Through a join, too.
    assert list(
        Case.objects.filter(household__members__any=OneId([cases.g.household.head_id]))
    ) == [cases.g]


def test_is_constant_writes_the_codes_constant_into_the_text_and_nothing_else(cases):
    """`field__is_constant` (bokvar.lookups.IsConstant): the same rows as `field=`, the
    value in the statement's text (so a generic plan may use a partial index naming it),
    and only a constant of the code is taken."""
    from cases.models import ProtectedIdentity

    with CaptureQueriesContext(connection) as ctx:
        hidden = set(Person.objects.exclude(protected_identity__is_constant=ProtectedIdentity.NONE))
    assert hidden == set(Person.objects.exclude(protected_identity=ProtectedIdentity.NONE))
    assert hidden  # the fixture holds a protected person
    assert "= 'none'" in ctx.captured_queries[0]["sql"]
    with CaptureQueriesContext(connection) as ctx:
        numbered = set(Person.objects.exclude(personal_number_bidx__is_constant=""))
    assert numbered == set(Person.objects.exclude(personal_number_bidx=""))
    assert "\"personal_number_bidx\" = '')" in ctx.captured_queries[0]["sql"]
    for bad in ("none' OR '1'='1", "None", " ", "''", 1):
        with pytest.raises(ValueError, match="constant of the code"):
            list(Person.objects.filter(protected_identity__is_constant=bad))


def test_is_constant_writes_an_int_as_digits_for_an_integer_column_only(cases):
    """An id the code read (a permission's, `cases.core.selectors.permissions`) is
    written as digits for an integer column or a relation to one; not a bool, not a
    string of digits, not for a text column."""
    person = Person.objects.order_by("pk").first()
    with CaptureQueriesContext(connection) as ctx:
        found = list(Person.objects.filter(pk__is_constant=person.pk))
        by_relation = list(Person.objects.filter(household__is_constant=person.household_id))
    assert found == [person] and person in by_relation
    assert f'"cases_person"."id" = {person.pk}' in ctx.captured_queries[0]["sql"]
    assert f'"household_id" = {person.household_id}' in ctx.captured_queries[1]["sql"]
    for bad in (True, str(person.pk), 1.0):
        with pytest.raises(ValueError, match="constant of the code"):
            list(Person.objects.filter(pk__is_constant=bad))


def test_sights_hidden_people_name_the_constant_and_nothing_else_does(org, cases):
    """`Sight`'s own statement writes "not protected" as a constant; who is hidden is the
    same as by the bound parameter. `hidden_people`, which larger statements embed (the
    badges, the case lists), keeps the parameter: there the constant changed the plan of
    the whole statement for the worse (the coordinator's badges 2 -> 12.4 ms)."""
    from django.contrib.auth.models import AnonymousUser

    from cases.core.selectors import people
    from cases.models import ProtectedIdentity

    for user in [*org.users.values(), AnonymousUser()]:
        assert set(people.hidden_people(user, constant=True)) == set(people.hidden_people(user))
    constant = f"= '{ProtectedIdentity.NONE.value}'"
    reader = org.users["caseworker"]
    alone, alone_params = people.hidden_people(reader, constant=True).query.sql_with_params()
    embedded, embedded_params = people.hidden_people(reader).query.sql_with_params()
    assert constant in alone and ProtectedIdentity.NONE not in alone_params
    assert constant not in embedded and ProtectedIdentity.NONE in embedded_params
