"""What a process imports when it starts: only what it uses (issue 14).

Every manage.py command, server and worker loads the URLconf (the URL check, the first
request) and the template engine, which imports every installed app's template tags.
Libraries that only a few requests need are imported by those requests: the SAML
sign-in's pysaml2 (its signature module builds an XML schema validator at import),
the workbook and PDF writers, and the holidays library."""

import os
import subprocess
import sys
from pathlib import Path

from django.urls import resolve, reverse
from django.utils.module_loading import import_string

ROOT = Path(__file__).resolve().parents[2]

# Modules a process must not import until a request needs them, and the one that does.
NOT_AT_START = {
    "saml2.sigver": "a SAML sign-in (bokvar.saml_views)",
    "djangosaml2.views": "a SAML sign-in (bokvar.saml_views)",
    "openpyxl": "a workbook download (partners.exports, steering.exports)",
    "fpdf": "a PDF extract (audit.pdf)",
    "holidays": "a working-day question (bokvar.legal_calendar)",
}

START = """
import sys
import django
django.setup()
from django.core.management import call_command
from django.template.loader import get_template
from django.test import RequestFactory
from django.urls import get_resolver

get_resolver().url_patterns  # every view module the URLconf names
call_command("check", verbosity=0)
get_template("registration/login.html").render({}, RequestFactory().get("/login/"))
# djangosaml2's templates are still found without it being an installed app.
get_template("djangosaml2/post_binding_form.html")
print("imported:", *(name for name in %r if name in sys.modules))
"""


def test_a_process_that_checks_and_renders_imports_no_library_only_some_requests_need():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DEBUG="1", DJANGO_SETTINGS_MODULE="bokvar.settings")
    result = subprocess.run(
        [sys.executable, "-c", START % sorted(NOT_AT_START)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    imported = result.stdout.splitlines()[-1].split()[1:]
    assert not imported, "imported at start: " + ", ".join(
        f"{name} (needed only by {NOT_AT_START[name]})" for name in imported
    )


def test_the_saml_urls_keep_their_paths_and_name_their_views():
    for name, path, view in [
        ("saml2_login", "/saml2/login/", "bokvar.saml_views.SAMLStartView"),
        ("saml2_acs", "/saml2/acs/", "bokvar.saml_views.SAMLAssertionConsumerView"),
        ("saml2_metadata", "/saml2/metadata/", "bokvar.saml_views.SAMLMetadataView"),
    ]:
        assert reverse(name) == path
        match = resolve(path)
        assert match.url_name == name
        assert match.func.lazy_view_path == view
        # CsrfViewMiddleware reads the flag before the view is imported: it must be
        # the real view's (the assertion consumer is a cross-site POST; the others not).
        real = import_string(view).as_view()
        assert getattr(match.func, "csrf_exempt", False) == getattr(real, "csrf_exempt", False)
    assert resolve("/saml2/acs/").func.csrf_exempt is True
