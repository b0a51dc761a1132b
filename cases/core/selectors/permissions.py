"""The cases app's permissions and their ids, read once per process.

The one rule filters the object-permission rows (django-guardian's direct-foreign-key
tables) on a permission. Named by codename and app, every such filter joined
`auth_permission` and `django_content_type`: the identity-number search's statement
held five of these joins, and PostgreSQL spent most of that statement's time on planning
them: 2.8 ms of planning for 0.4 ms of execution at national scale (issue 22, the
twenty-second round). By id the filter is one column of the grant's own table.

The rows are made by the migrations (`post_migrate`), never by the application. A flush
or a migration may make them again with new ids, and both end with `post_migrate`, which
reads them afresh here (as Django's own ContentType cache is emptied). So a page never
runs on an id of rows that are gone, and no page pays a query to read them: they are read
when the signal is sent, or by the first filter of a process that was not migrated.
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.contrib.auth.models import Permission
from django.db import router
from django.db.models.signals import post_migrate

APP_LABEL = "cases"

# By database alias: each of the cases app's permissions by codename, with its content
# type (the instances are shared and never changed, like Django's ContentType cache).
_rows: dict[str, dict[str, Permission]] = {}


def _read(using: str) -> dict[str, Permission]:
    rows = Permission.objects.using(using).filter(content_type__app_label=APP_LABEL)
    found: dict[str, Permission] = {}
    for permission in rows.select_related("content_type"):
        # A codename names one permission of the app (each model's own are prefixed with
        # the model's name): were it not so, a filter by id would drop the other's grants.
        if permission.codename in found:
            raise RuntimeError(f"two permissions of {APP_LABEL} are named {permission.codename}")
        found[permission.codename] = permission
    return found


def permission(codename: str) -> Permission:
    """The cases app's permission `codename` on the primary database (a replica is a
    copy of it), with its content type: what the filters name by id, and what a grant
    is saved with (`cases.core.services.access`; guardian's save compares the content
    type)."""
    using = router.db_for_write(Permission)
    rows = _rows.get(using)
    if rows is None or codename not in rows:
        rows = _rows[using] = _read(using)
    try:
        return rows[codename]
    except KeyError:
        raise LookupError(f"no permission {APP_LABEL}.{codename}") from None


def permission_id(codename: str) -> int:
    return permission(codename).pk


def _reread(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After the cases app's `post_migrate`: its permissions as they now are. Auth's
    receiver, connected before this one (`connect`), has made them for this signal."""
    if sender.label == APP_LABEL:
        _rows[using] = _read(using)


def connect() -> None:
    """From the cases app's `ready`, after auth's: receivers are called in the order
    they were connected."""
    post_migrate.connect(_reread, dispatch_uid="cases.core.permission_ids")
