"""The one rule filters grants by their permission's id, read once per process
(cases.core.selectors.permissions): no page joins the permission and content-type tables
any more (issue 22, the twenty-second round), and rows made again by a migration or a
flush are read again at their `post_migrate`, so no filter runs on an id that is gone."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.management.sql import emit_post_migrate_signal
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.core.selectors import cases as case_selectors
from cases.core.selectors import permissions
from cases.core.selectors.people import granted_person_ids
from cases.core.services.access import grant_perm, revoke_perm
from cases.models import Person, PersonUserObjectPermission, ProtectedIdentity
from tests.case_fixtures import person

pytestmark = pytest.mark.django_db

CODENAMES = ("view_case", "change_case", "view_protected_person")


def _row_id(codename: str) -> int:
    return Permission.objects.get(content_type__app_label="cases", codename=codename).pk


def test_the_ids_are_the_rows_ids_read_without_a_query(django_assert_num_queries):
    want = {codename: _row_id(codename) for codename in CODENAMES}
    with django_assert_num_queries(0):
        got = {codename: permissions.permission_id(codename) for codename in CODENAMES}
    assert got == want
    with pytest.raises(LookupError, match="cases.no_such_permission"):
        permissions.permission_id("no_such_permission")


def test_rows_made_again_are_read_again_at_post_migrate(django_assert_num_queries):
    """A migration or a flush may make the permission rows again with new ids; both end
    with post_migrate, after which the filters use the new ids, without a query of
    their own. (Here the row is removed and post_migrate sent in a transaction rolled
    back after; the ids are then read again for the tests after this one.)"""
    before = _row_id("view_protected_person")
    with transaction.atomic():
        Permission.objects.filter(pk=before).delete()
        emit_post_migrate_signal(0, False, "default")
        made_again = _row_id("view_protected_person")
        assert made_again != before
        with django_assert_num_queries(0):
            assert permissions.permission_id("view_protected_person") == made_again
        transaction.set_rollback(True)
    emit_post_migrate_signal(0, False, "default")
    assert permissions.permission_id("view_protected_person") == before


def test_the_rules_statements_name_the_permission_by_id(org, make_case, caseworker):
    """The lists bind the id, the one-case form writes it; neither joins the permission
    or content-type tables, and both find what the grants give."""
    case = make_case(assignees=["caseworker"])
    for statement in (
        case_selectors.visible_cases(caseworker),
        case_selectors._one_case(caseworker, "change_case"),
        granted_person_ids(caseworker),
    ):
        sql = str(statement.query)
        assert "auth_permission" not in sql and "django_content_type" not in sql
    assert case_selectors.visible_cases(caseworker).filter(pk=case.pk).exists()
    assert case_selectors._one_case(caseworker, "change_case").filter(pk=case.pk).exists()


def test_a_page_joins_no_permission_table_and_a_grant_still_shows(
    client, org, make_case, caseworker, coordinator
):
    """The case page of a household with a protected member: hidden from a reader of the
    case whose grant of the person was taken, shown again once granted; no statement of the page reads
    the permission or content-type tables."""
    case = make_case(
        assignees=["caseworker"],
        people=[
            person("Saga", "Skyddsdotter", protected_identity=ProtectedIdentity.SECRECY_MARKING)
        ],
    )
    protected = Person.objects.get(household_id=case.household_id)
    revoke_perm(
        "cases.view_protected_person", caseworker, protected, actor=coordinator, reason="test"
    )
    client.force_login(caseworker)
    url = reverse("cases:detail", args=[case.pk])
    with CaptureQueriesContext(transaction.get_connection()) as ctx:
        hidden = client.get(url)
    assert hidden.status_code == 200 and "Skyddsdotter" not in hidden.content.decode()
    tables = " ".join(query["sql"] for query in ctx.captured_queries)
    assert "auth_permission" not in tables and "django_content_type" not in tables
    grant_perm(
        "cases.view_protected_person", caseworker, protected, actor=coordinator, reason="test"
    )
    assert "Skyddsdotter" in client.get(url).content.decode()


def test_grants_are_saved_with_the_same_rows_and_only_for_their_model(
    org, make_case, caseworker, coordinator, django_assert_num_queries
):
    """The grants (`services.access`) take their permission from the same rows the filters
    name by id, with no query of their own; a permission of another model is refused."""
    case = make_case(assignees=["caseworker"])
    head = Person.objects.get(pk=case.household.head_id)
    with django_assert_num_queries(0):
        want = permissions.permission("view_protected_person")
    grant_perm("cases.view_protected_person", caseworker, head, actor=coordinator, reason="t")
    granted = PersonUserObjectPermission.objects.get(user=caseworker, content_object=head)
    assert granted.permission_id == want.pk
    with pytest.raises(TypeError, match="view_protected_person is not a permission of Case"):
        grant_perm("cases.view_protected_person", caseworker, case, actor=coordinator, reason="t")
