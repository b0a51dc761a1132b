"""Statistics and exports read from the replica when one is configured; everything else,
and every write, stays on the primary (issue 22, point 7)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from django.apps import apps

from bokvar import db_router
from bokvar.db_router import REPLICA, ReplicaRouter, reads_from_replica

from ..celery_worker import ROOT, database_url_for_current_test_db

router = ReplicaRouter()


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("cases.Case", REPLICA),
        ("steering.StatisticsSnapshot", REPLICA),
        ("housing.Placement", REPLICA),
        # Just written by this request, or the replica may lag: always the primary.
        ("audit.AccessLogEntry", None),
        ("sessions.Session", None),
        ("bokvar.User", None),
    ],
)
def test_only_marked_reads_of_the_domain_go_to_the_replica(monkeypatch, label, expected):
    model = apps.get_model(label)
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)
    assert router.db_for_read(model) is None  # not inside a marked view
    with reads_from_replica():
        assert router.db_for_read(model) == expected
        assert router.db_for_write(model) is None
    monkeypatch.setattr(db_router, "replica_configured", lambda: False)
    with reads_from_replica():
        assert router.db_for_read(model) is None  # no replica: the primary
    assert router.allow_migrate(REPLICA, "cases") is False
    assert router.allow_migrate("default", "cases") is True


SCRIPT = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.db import connections
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice
    from bokvar.models import User

    user = User.objects.get(username="steering")
    device, _ = StaticDevice.objects.get_or_create(user=user, name="test")
    client = Client(SERVER_NAME="localhost")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    for alias in ("default", "replica"):
        connections[alias].force_debug_cursor = True
        connections[alias].queries_log.clear()
    statuses = [
        client.get("/steering/statistics/").status_code,
        client.get("/steering/statistics/export.csv").status_code,
    ]
    print(json.dumps({
        "statuses": statuses,
        "replica": [q["sql"] for q in connections["replica"].queries],
        "default": [q["sql"] for q in connections["default"].queries],
    }))
    """
)


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_and_its_export_read_the_replica_and_write_the_primary(org):
    url = database_url_for_current_test_db()
    if not url.startswith("postgres"):
        pytest.skip("the replica is a PostgreSQL standby")
    env = dict(
        os.environ,
        DEBUG="1",
        DATABASE_URL=url,
        DATABASE_REPLICA_URL=url,  # the same database, read through a connection of its own
        DATABASE_CONN_MAX_AGE="0",
    )
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["statuses"] == [200, 200]
    replica, default = result["replica"], result["default"]
    assert any('"steering_' in sql for sql in replica), "the statistics came from the replica"
    # The session, the user and the access log are read on the primary; nothing is
    # written to the replica.
    assert not any(
        sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for sql in replica
    )
    assert not any('"django_session"' in sql or '"audit_' in sql for sql in replica)
    assert any('"django_session"' in sql for sql in default)
