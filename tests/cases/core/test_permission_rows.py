"""The access service keeps the permission rows (cases/core/services/access.py):
a grant looks its permission up once per process, still lands on the right permission,
and a permission made again (a flush, a migration) is found again after post_migrate."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.core.services.access import grant_case, revoke_case
from cases.models import CaseUserObjectPermission

pytestmark = pytest.mark.django_db


def granted_codenames(case, user) -> set[str]:
    return set(
        CaseUserObjectPermission.objects.filter(content_object=case, user=user).values_list(
            "permission__codename", flat=True
        )
    )


def test_a_grant_lands_on_its_permission_with_no_lookup_the_second_time(org, cases):
    coordinator, colleague = org.users["coordinator"], org.users["caseworker2"]
    grant_case(cases.a, colleague, actor=coordinator, reason="test")
    assert granted_codenames(cases.a, colleague) == {"view_case", "change_case"}
    with CaptureQueriesContext(connection) as ctx:
        grant_case(cases.b, colleague, actor=coordinator, reason="test")
        revoke_case(cases.a, colleague, actor=coordinator, reason="test")
    assert granted_codenames(cases.b, colleague) == {"view_case", "change_case"}
    assert granted_codenames(cases.a, colleague) == set()
    looked_up = ('"auth_permission"', '"django_content_type"')
    assert not [q for q in ctx.captured_queries if any(t in q["sql"] for t in looked_up)]
    assert colleague.has_perm("cases.view_case", cases.b)


def test_a_permission_made_again_is_found_after_post_migrate(org, cases):
    """A flush or a migration that makes the permission rows again ends with
    post_migrate; the next grant uses the new row, not the one kept from before."""
    coordinator, colleague = org.users["coordinator"], org.users["caseworker2"]
    grant_case(cases.a, colleague, actor=coordinator, reason="test")  # the rows are kept
    old = Permission.objects.get(content_type__app_label="cases", codename="view_case")
    Permission.objects.filter(pk=old.pk).update(codename="view_case_before")
    new = Permission.objects.create(
        content_type=old.content_type, codename="view_case", name=old.name
    )
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    grant_case(cases.b, colleague, actor=coordinator, reason="test")
    row = CaseUserObjectPermission.objects.get(
        content_object=cases.b, user=colleague, permission__codename="view_case"
    )
    assert row.permission_id == new.pk != old.pk
    # Put the rows back as they were, and the service's ids with them: the rollback
    # after the test removes the new row, and no post_migrate would follow it.
    new.delete()
    Permission.objects.filter(pk=old.pk).update(codename="view_case")
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
