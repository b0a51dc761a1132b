"""The web process's start-up leaves its objects out of the garbage collector's way
(bokvar/heap.py): every view is imported first, then frozen."""

import json
import os
import subprocess
import sys

from tests.bokvar.test_settings import NOT_INHERITED, PRODUCTION_ENV, ROOT

PROBE = """
import gc, json, sys
gc.collect()
before = gc.get_freeze_count()
import bokvar.wsgi
print(json.dumps({
    "before": before,
    "frozen": gc.get_freeze_count(),
    "tracked": len(gc.get_objects()),
    "views": sorted(m for m in ("cases.core.views", "steering.views", "audit.views", "housing.views")
                    if m in sys.modules),
}))
"""


def test_the_web_servers_start_up_imports_every_view_then_freezes_the_heap():
    started = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in NOT_INHERITED},
            **PRODUCTION_ENV,
            "DJANGO_SETTINGS_MODULE": "bokvar.settings",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 0, started.stderr[-3000:]
    found = json.loads(started.stdout.strip().splitlines()[-1])
    assert found["before"] == 0
    # The views were imported before the freeze: no request imports them later, into
    # the collected generations.
    assert found["views"] == ["audit.views", "cases.core.views", "housing.views", "steering.views"]
    # Nearly everything the start-up made is frozen; what is still tracked is the little
    # made since (the probe's own objects).
    assert found["frozen"] > 50_000
    assert found["tracked"] < found["frozen"] / 20
