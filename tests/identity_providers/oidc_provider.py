"""A real OpenID Connect provider for the single sign-on tests: django-oauth-toolkit with
OIDC on, in a Django process of its own (its own settings, a SQLite database in a
temporary folder), serving HTTP on 127.0.0.1.

Run as `python -m tests.identity_providers.oidc_provider CONFIG.json`, the file holding:
  port        the port to listen on
  folder      a folder for its database
  key         the RS256 private key (PEM) that signs the ID tokens
  client      {"client_id", "client_secret", "redirect_uri"}
  users       {username: {"password", "claims": {...}}}; the claims (groups, acr, amr,
              names) go into the ID token and the userinfo answer
It prints "ready" once it listens.

Its empty database is migrated once per set of installed packages and version of this
module (`migrated_database`): a migrated file is kept in the temporary folder and
copied for each start (the migration was 1.5 s of the start's 2 s of CPU; the single
sign-on tests start the provider twice a run).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
import tempfile
from html import escape
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
from django.conf import settings

CONFIG: dict = json.loads(open(sys.argv[1]).read()) if __name__ == "__main__" else {}  # noqa: SIM115  # read once at start
USERS: dict[str, dict] = CONFIG.get("users", {})


def configure() -> None:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="test-oidc-provider",
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "oauth2_provider",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.path.join(CONFIG["folder"], "provider.sqlite3"),
                "OPTIONS": {"timeout": 20},
            }
        },
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        LOGIN_URL="/login/",
        USE_TZ=True,
        OAUTH2_PROVIDER={
            "OIDC_ENABLED": True,
            "OIDC_RSA_PRIVATE_KEY": CONFIG["key"],
            "PKCE_REQUIRED": True,
            "SCOPES": {"openid": "OpenID Connect", "profile": "Profile", "email": "E-mail"},
            "OAUTH2_VALIDATOR_CLASS": f"{__name__}.Validator",
        },
    )
    django.setup()


def build_urls() -> list:
    from django.contrib.auth import authenticate, login
    from django.http import HttpResponse, HttpResponseRedirect
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt

    @csrf_exempt
    def login_view(request):
        """The provider's own sign-in: a username and password form."""
        next_url = request.POST.get("next") or request.GET.get("next") or "/"
        if request.method == "POST":
            user = authenticate(
                request,
                username=request.POST.get("username"),
                password=request.POST.get("password"),
            )
            if user is not None:
                login(request, user)
                return HttpResponseRedirect(next_url)
        return HttpResponse(
            '<form method="post" action="/login/">'
            f'<input type="hidden" name="next" value="{escape(next_url)}">'
            '<input name="username"><input name="password" type="password">'
            "<button>Sign in</button></form>",
            status=200 if request.method == "GET" else 401,
        )

    return [path("login/", login_view), path("o/", include("oauth2_provider.urls"))]


def migrated_database() -> None:
    """Give the provider its migrated database: a copy of the one kept for these
    packages and this module, or migrated here (and then kept)."""
    from django.core.management import call_command
    from django.db import connection

    with open(__file__, "rb") as source:
        digest = hashlib.sha256(source.read())
    packages = sorted(
        {f"{dist.metadata['Name']}=={dist.version}" for dist in importlib.metadata.distributions()}
    )
    digest.update("\n".join(packages).encode())
    kept = os.path.join(
        tempfile.gettempdir(), f"bokvar-oidc-provider-{digest.hexdigest()[:24]}.sqlite3"
    )
    database = settings.DATABASES["default"]["NAME"]
    if os.path.exists(kept):
        # Before the first connection: the file is this process's alone.
        shutil.copyfile(kept, database)
        return
    call_command("migrate", verbosity=0)
    connection.close()  # the file complete (SQLite's default rollback journal)
    # Another process may be keeping its own copy at the same time: each writes a file of
    # its own and renames it whole, so a half-written file is never found.
    partial = f"{kept}.{os.getpid()}.partial"
    shutil.copyfile(database, partial)
    os.replace(partial, kept)


# The class named in OAUTH2_VALIDATOR_CLASS: set in main(), once Django is set up.
Validator: Any = None


def main() -> None:
    configure()
    global Validator, urlpatterns
    from django.contrib.auth.models import User
    from oauth2_provider.models import Application
    from oauth2_provider.oauth2_validators import OAuth2Validator

    class TestValidator(OAuth2Validator):
        # Every claim goes out whatever the scope: groups, acr and amr have none.
        oidc_claim_scope = None

        def get_additional_claims(self, request):
            return dict(USERS.get(request.user.username, {}).get("claims", {}))

    Validator = TestValidator
    urlpatterns = build_urls()

    migrated_database()
    for username, data in USERS.items():
        User.objects.create_user(username=username, password=data["password"])
    client = CONFIG["client"]
    Application.objects.create(
        name="Bo Kvar",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=client["redirect_uri"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )

    from django.core.wsgi import get_wsgi_application

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):  # noqa: A002  # the stdlib's signature
            pass

    server = make_server(
        "127.0.0.1",
        int(CONFIG["port"]),
        get_wsgi_application(),
        server_class=Server,
        handler_class=QuietHandler,
    )
    print("ready", flush=True)
    sys.stdout.flush()
    server.serve_forever()


urlpatterns: list = []

if __name__ == "__main__":
    main()
