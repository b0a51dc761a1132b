"""The production configuration for the benchmarks and the load test (issue 22).

`make bench` and `make load` measure what production runs: DEBUG off. DEBUG on costs
every page CPU production does not spend (the debug cursor records and formats every
query, the template engine keeps debug information, WhiteNoise looks for changed
static files on every request, the plain static storage instead of the manifest) and
turns off what production does (the manifest's hashed static names, the security
headers). docs/performance.md gives what DEBUG costs a page.

Without DEBUG the settings require every secret. The benchmark data is generated with
DEBUG on (`make bench-data`), i.e. encrypted, indexed and chained with the public
development keys (bokvar/dev_keys.py): the measurements must decrypt it, so they pass
those keys explicitly. A production server refuses them (bokvar/checks.py); the load
test's server therefore starts from bench/load/wsgi.py, which is bokvar/wsgi.py without
that refusal, and only ever listens on 127.0.0.1.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from bokvar import dev_keys

ROOT = Path(__file__).resolve().parents[1]


def environment(base: Mapping[str, str]) -> dict[str, str]:
    """What to add to `base` (the caller's environment) for the production
    configuration on loopback. Values `base` already gives are kept, except DEBUG."""
    wanted = {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BOKVAR_FIELD_KEYS": dev_keys.FIELD_KEYS,
        "BOKVAR_BLIND_INDEX_KEY": dev_keys.BLIND_INDEX_KEY,
        "BOKVAR_AUDIT_CHAIN_KEY": dev_keys.AUDIT_CHAIN_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain HTTP on loopback: no TLS in front to redirect to.
        "SECURE_SSL_REDIRECT": "0",
        # Required without DEBUG. The pages measured use no Redis (it carries the API's
        # throttle counters and queued tasks); the default is the usual local server.
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        # Collected static files (the manifest storage answers `{% static %}` from its
        # staticfiles.json): in the data folder, as the settings' other files.
        "STATIC_ROOT": str(Path(base.get("BOKVAR_DATA_DIR") or ROOT / "var") / "bench-static"),
    }
    out = {name: value for name, value in wanted.items() if not base.get(name)}
    out["DEBUG"] = "0"
    return out


def collect_static(env: Mapping[str, str]) -> None:
    """The manifest static storage answers `{% static %}` from staticfiles.json: collect
    into the environment's STATIC_ROOT, unless its manifest is newer than every file of
    static/ and than pyproject.toml (the packages' own static files change with it).
    Collecting compresses every file, a minute of CPU: not on every run."""
    manifest = Path(env["STATIC_ROOT"]) / "staticfiles.json"
    if manifest.exists():
        sources = [
            ROOT / "pyproject.toml",
            *(p for p in (ROOT / "static").rglob("*") if p.is_file()),
        ]
        if max(p.stat().st_mtime for p in sources) < manifest.stat().st_mtime:
            return
    # The manifest alone, without the compressed copies production's storage writes
    # too (a minute of CPU): pages read only the manifest, and the load test asks for
    # no static file. The hashed names are the same.
    collect = (
        "import django; django.setup(); from django.conf import settings; "
        "from django.core.management import call_command; "
        "settings.STORAGES = {**settings.STORAGES, 'staticfiles': {'BACKEND': "
        "'django.contrib.staticfiles.storage.ManifestStaticFilesStorage'}}; "
        "call_command('collectstatic', interactive=False, verbosity=0)"
    )
    subprocess.run(
        [sys.executable, "-c", collect],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "bokvar.settings", **os.environ, **env},
        check=True,
    )


def set_up_django(*, debug: bool) -> None:
    """Configure this process (and what it starts, which inherits os.environ) for the
    production configuration on loopback, or DEBUG on when asked, then django.setup()."""
    import django

    if debug:
        os.environ["DEBUG"] = "1"
    else:
        production = environment(os.environ)
        # STATIC_ROOT may come from the caller's environment (the load smoke keeps it).
        collect_static({**os.environ, **production})
        os.environ.update(production)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bokvar.settings")
    django.setup()
