"""Bo Kvar settings, all read from the environment.

Development defaults (a throw-away secret key, test encryption keys, console
e-mail, SQLite and the embedded broker) apply only when DEBUG is on; without
DEBUG every secret, DATABASE_URL and REDIS_URL must be given and a missing one
stops start-up with a message naming it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from bokvar import dev_keys
from bokvar.conf import from_environment
from bokvar.saml_config import sp_config

# Django's generic classes written as the type checker reads them, e.g. a model admin's
# inline as TabularInline[Membership, User], must be subscriptable at run time too.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("BOKVAR_DATA_DIR", BASE_DIR / "var"))
DATA_DIR.mkdir(parents=True, exist_ok=True)

TRUTHY = {"1", "true", "yes", "on"}


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in TRUTHY


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")


def secret(name: str, dev_default: str) -> str:
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"The environment variable {name} must be set when DEBUG is off.")


SECRET_KEY = secret("SECRET_KEY", "dev-only-insecure-key-" + "x" * 40)

# Field encryption: a comma-separated list of "key_id:base64-32-byte-key".
# The first encrypts; all of them decrypt, so keys can be rotated.
FIELD_ENCRYPTION_KEYS = secret("BOKVAR_FIELD_KEYS", dev_keys.FIELD_KEYS)
# Keyed hashes for exact search (blind indexes): their own keys, a comma-separated list
# of "key_id:secret"; the first writes, all are searched, and `rebuild_blind_indexes`
# moves every index to the first (docs/security.md). BOKVAR_BLIND_INDEX_KEY, the single
# key before issue 17, still works as the key "k1".
BLIND_INDEX_KEYS = os.environ.get("BOKVAR_BLIND_INDEX_KEYS", "").strip() or (
    "k1:" + secret("BOKVAR_BLIND_INDEX_KEY", dev_keys.BLIND_INDEX_KEY)
)
# Keys the access log's hash chain (audit.chain); changing it makes old entries fail.
AUDIT_CHAIN_KEY = secret("BOKVAR_AUDIT_CHAIN_KEY", dev_keys.AUDIT_CHAIN_KEY)
# Without DEBUG, start-up refuses a key above that is malformed or one of the public
# development keys, and `check --deploy` names it (bokvar/checks.py).

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The break-glass accounts (issue 21, point 3): the only users who may be superusers.
# Their sign-ins are flagged in the access log for the auditor (audit.signals).
BREAK_GLASS_USERNAMES = env_list("BOKVAR_BREAK_GLASS_USERS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "mozilla_django_oidc",
    # Not "djangosaml2": an installed app's template tags are imported by every process
    # that checks or renders a template, and djangosaml2's (an `idplist` tag no template
    # of its own or ours loads) imports pysaml2's configuration, whose signature module
    # builds an XML schema validator at import: about 1.3 s of CPU in each manage.py
    # command, server and worker, SAML configured or not. The app has no models; its
    # templates are found through TEMPLATES' DIRS below, its signals module is imported
    # by its own backend and views when they are.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "bokvar",
    "cases",
    "housing",
    "partners",
    "audit",
    "steering",
    "home",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: static files stay cacheable, every other response is not.
    "bokvar.middleware.PrivateResponses",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The SAML sign-in's own session (its cookie survives the identity provider's
    # cross-site POST back to the assertion consumer service).
    "djangosaml2.middleware.SamlSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which device verified the session (django-otp's OTPMiddleware, its device read by a
    # kept statement); a session no device verified is signed out.
    "bokvar.middleware.VerifiedDevice",
    "bokvar.middleware.RequireSecondFactor",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, so it sees the answer every view gave: refusals of existing cases and people
    # are logged (issue 17).
    "audit.middleware.DeniedReadMiddleware",
]

ROOT_URLCONF = "bokvar.urls"
WSGI_APPLICATION = "bokvar.wsgi.application"
AUTH_USER_MODEL = "bokvar.User"

# Where djangosaml2's templates are, found without importing it (find_spec of a
# top-level package runs none of its code).
DJANGOSAML2_TEMPLATES = Path(importlib.util.find_spec("djangosaml2").origin).parent / "templates"  # type: ignore[union-attr,arg-type]  # installed: a dependency
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # djangosaml2's templates (the POST-binding form, the choice of provider): last,
        # as an installed app's would be found after the project's own.
        "DIRS": [BASE_DIR / "templates", DJANGOSAML2_TEMPLATES],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "home.context_processors.navigation",
            ],
        },
    },
]
# Django's form renderer, with selects written in Python (the same markup, much faster
# for long option lists: bokvar/rendering.py).
FORM_RENDERER = "bokvar.rendering.Renderer"

# The development server serves every browser socket (kept alive between requests) in a
# thread of its own; a connection kept there for reuse stays open as long as the socket
# does, so a few browsers held dozens of PostgreSQL connections and exhausted the server's
# limit. Under runserver each request therefore closes its connection.
RUNSERVER = sys.argv[1:2] == ["runserver"]
_conn_max_age = 0 if RUNSERVER else int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
DATABASES = {
    "default": dj_database_url.parse(
        # SQLite is a development default: without DEBUG the database must be named.
        secret("DATABASE_URL", f"sqlite:///{DATA_DIR / 'bokvar.sqlite3'}"),
        conn_max_age=_conn_max_age,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Pages run short queries: PostgreSQL's JIT compiles plans it estimates as costly and
    # spends more time compiling (tens of milliseconds) than the query takes.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # A kept connection (issue 22): the values are bound by the server and psycopg
    # prepares a statement on that connection the second time it runs there (a threshold
    # of N: after N runs), so PostgreSQL parses it once and may keep its plan; a page's
    # statements recur request after request. That cut PostgreSQL's CPU a page by a
    # quarter to a third at city scale (docs/performance.md, h24p). A statement run once is not
    # prepared: it would only push a recurring one out of psycopg's 100 kept statements.
    # A connection closed after each request (runserver, DATABASE_CONN_MAX_AGE=0) keeps
    # the text with inlined values: there each statement would mostly run once, and
    # server-bound without preparing saved PostgreSQL nothing. DATABASE_PREPARE_THRESHOLD=off
    # turns it off (e.g. behind a pooler in transaction mode, which cannot keep a
    # session's prepared statements).
    _prepare = os.environ.get("DATABASE_PREPARE_THRESHOLD") or ("1" if _conn_max_age else "off")
    if _prepare != "off":
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = int(_prepare)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file-backed test database lets a worker in another process see the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        # Colleagues clicking at once on the embedded default: readers never wait for a
        # writer in WAL mode; a transaction takes the write lock when it begins
        # (IMMEDIATE), so one that read first never fails on upgrading its lock with
        # "database is locked" (a busy wait cannot help there), and a writer waits up
        # to 20 s for another instead of failing at once.
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
    }
# A streaming replica (PostgreSQL hot standby) for statistics and exports, when one is
# named: bokvar/db_router.py sends the reads of views marked `replica_reads` there.
if REPLICA_URL := os.environ.get("DATABASE_REPLICA_URL", ""):
    DATABASES["replica"] = dj_database_url.parse(
        REPLICA_URL,
        conn_max_age=_conn_max_age,
    )
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    # Under test the replica is the test database itself, read through its own connection.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["bokvar.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
    # Single sign-on (bokvar/sso.py); each answers only its own protocol's callback.
    "bokvar.sso.OIDCBackend",
    "bokvar.sso.SAMLBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A password reset link works once and for two hours (bokvar/passwords.py).
PASSWORD_RESET_TIMEOUT = 2 * 3600

# Sessions end after a period without activity: the expiry is pushed forward on every request.
SESSION_IDLE_MINUTES = int(os.environ.get("BOKVAR_SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# ...but an unchanged session's expiry is written at most once in this many seconds
# (bokvar/sessions.py): the timeout then ends an idle session up to this much sooner,
# never later. A minute at the default 30 minutes; shorter with a shorter timeout.
SESSION_ENGINE = "bokvar.sessions"
SESSION_REFRESH_SECONDS = min(60, SESSION_COOKIE_AGE // 30)

# Throttle guessing (bokvar/lockout.py): failures per account from any address, and per
# address over any account, each against its own limit. A locked account still signs in
# with its second factor.
AXES_FAILURE_LIMIT = int(os.environ.get("BOKVAR_LOGIN_FAILURE_LIMIT", "5"))
AXES_IP_FAILURE_LIMIT = int(os.environ.get("BOKVAR_LOGIN_IP_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("BOKVAR_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "bokvar.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "bokvar.signin.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# One rule for the client address (trusted proxies only), shared with the access log.
AXES_CLIENT_IP_CALLABLE = "bokvar.net.client_ip"

# Single sign-on through OpenID Connect (mozilla-django-oidc): on when a client id is
# given. The provider's endpoints are named one by one (its discovery document lists
# them); ID tokens are RS256-signed and checked against its JWKS.
OIDC_RP_CLIENT_ID = os.environ.get("BOKVAR_OIDC_CLIENT_ID", "")
# The provider's `issuer`: an ID token from any other issuer is refused (mozilla-django-
# oidc checks signature, audience, nonce and expiry, not the issuer).
OIDC_OP_ISSUER = os.environ.get("BOKVAR_OIDC_ISSUER", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("BOKVAR_OIDC_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("BOKVAR_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("BOKVAR_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("BOKVAR_OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("BOKVAR_OIDC_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = os.environ.get("BOKVAR_OIDC_SCOPES", "openid profile email")
OIDC_USE_PKCE = True
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc-callback"
LOGIN_REDIRECT_URL_FAILURE = "/login/?sso=failed"

# Single sign-on through SAML 2.0 (djangosaml2 on pysaml2, signing with xmlsec1): on when
# the identity provider's metadata (a URL or a file) is given. Bo Kvar's own metadata is
# served at /saml2/metadata/.
SAML_DEFAULT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML_SESSION_COOKIE_NAME = "bokvar_saml"
ACS_DEFAULT_REDIRECT_URL = "/"
SAML_ACS_FAILURE_RESPONSE_FUNCTION = "bokvar.signin.sso_failed"
SAML_CONFIG: dict[str, object] | None = None
if os.environ.get("BOKVAR_SAML_IDP_METADATA"):
    SAML_CONFIG = sp_config(
        base_url=os.environ.get("BOKVAR_SAML_BASE_URL", ""),
        idp_metadata=os.environ["BOKVAR_SAML_IDP_METADATA"],
        key_file=os.environ.get("BOKVAR_SAML_KEY_FILE", ""),
        cert_file=os.environ.get("BOKVAR_SAML_CERT_FILE", ""),
    )

# The name authenticator apps show next to the code.
OTP_TOTP_ISSUER = "Bo Kvar"

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# E-mail: console in development unless a host is configured.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Bo Kvar <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST or not DEBUG
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))

# Security headers; the HTTPS ones apply only outside development.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# A strict Content-Security-Policy (django-csp): scripts, styles, images and fonts only
# from Bo Kvar itself, no inline script or style, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Celery: Redis when REDIS_URL is set, else an embedded file-system broker so a
# first run needs no server. Work must never be lost: acknowledge late, re-queue
# when a worker dies, and keep the visibility timeout above any task's hard limit.
# The embedded file-system broker is a development default (one machine, no server):
# without DEBUG a broker must be named, or queued work would sit in a local folder.
REDIS_URL = secret("REDIS_URL", "")
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
        "visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT
    }
else:
    # The embedded broker and result store are folders; they must exist before any task is sent.
    for _folder in ("queue", "processed", "results", "control"):
        (DATA_DIR / "celery" / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = f"file://{DATA_DIR / 'celery' / 'results'}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(DATA_DIR / "celery" / "queue"),
        "data_folder_out": str(DATA_DIR / "celery" / "queue"),
        "processed_folder": str(DATA_DIR / "celery" / "processed"),
        # Kombu's default is ./control, wherever the process happens to start.
        "control_folder": str(DATA_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BOKVAR_CELERY_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker whose broker goes away keeps trying to reconnect for as long as it takes
# (Celery's default gives up after 100 attempts and the worker exits for good), and a
# result it cannot store while Redis restarts is retried, not raised into the consumer.
# tests/bokvar/test_broker_restart.py restarts a real Redis under a running worker.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_RESULT_BACKEND_ALWAYS_RETRY = True
CELERY_RESULT_BACKEND_MAX_RETRIES = 30
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Apps add their periodic scans here (see each app's tasks module).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Every minute: proves the scheduler and a worker are alive (`manage.py health`).
    "heartbeat": {"task": "bokvar.heartbeat", "schedule": 60.0},
    "send-notification-emails": {"task": "bokvar.send_notification_emails", "schedule": 60.0},
    # Freeze last month's statistics early on the 1st (idempotent: once per month).
    "freeze-monthly-reports": {
        "task": "steering.freeze_monthly_reports",
        "schedule": crontab(minute=15, hour=2, day_of_month=1),
    },
    # Idempotent: each run replaces the dashboard's pre-computed quick periods.
    "refresh-statistics": {
        "task": "steering.refresh_statistics",
        "schedule": 60.0 * int(os.environ.get("BOKVAR_STATS_REFRESH_MINUTES", "20")),
    },
    # Idempotent: reminders are deduplicated per (deadline, date, lead time).
    "send-deadline-reminders": {"task": "cases.send_deadline_reminders", "schedule": 3600.0},
    # Idempotent: each signal is in one arrival digest; escalated once per signal.
    "notify-signals": {"task": "cases.notify_signals", "schedule": 3600.0},
    # Idempotent: escalations are deduplicated per (handover, step).
    "escalate-handovers": {"task": "cases.escalate_handovers", "schedule": 3600.0},
    # Idempotent: each expired read access is revoked once and marked.
    "revoke-handover-read-access": {
        "task": "cases.revoke_handover_read_access",
        "schedule": 3600.0,
    },
    # Nightly: verify the access log's chain, notify auditors when it breaks (deduplicated).
    "verify-access-log": {
        "task": "audit.verify_access_log",
        "schedule": crontab(minute=30, hour=1),
    },
    # Daily: expired sessions go (`clearsessions`); idempotent.
    "clear-sessions": {"task": "bokvar.clear_sessions", "schedule": 24 * 3600.0},
    # Hourly: the access log's head, signed, leaves the database (audit/heads.py). What
    # an insider with the database and every key but the signing key can still remove
    # unseen is at most the last hour's entries (README).
    "seal-access-log-head": {"task": "audit.seal_chain_head", "schedule": 3600.0},
    # Nightly: cull records past retention (idempotent: culled rows are gone).
    "apply-retention": {"task": "audit.apply_retention", "schedule": crontab(minute=0, hour=3)},
}

# Audit (issue #7).
AUDIT_DAILY_READ_THRESHOLD = int(os.environ.get("BOKVAR_AUDIT_DAILY_READ_THRESHOLD", "100"))
RETENTION_YEARS = int(os.environ.get("BOKVAR_RETENTION_YEARS", "5"))
RETENTION_RESEARCH_DAYS = (5, 15, 25)
# Opt-in measurement for the load test (issue 22): each access-log append writes one line
# (time waiting for the chain's lock, time holding it) to this file. Off when empty.
AUDIT_TIMING_FILE = os.environ.get("BOKVAR_AUDIT_TIMING_FILE", "")

# API clients (bokvar.models.ApiClient): a token lives this long unless renewed.
BOKVAR_API_CLIENT_LIFETIME_DAYS = int(os.environ.get("BOKVAR_API_CLIENT_LIFETIME_DAYS", "365"))
# The throttle's counters (bokvar.api.ClientRateThrottle) must be shared by every worker
# process: Redis when REDIS_URL is set; a process-local memory cache only in development.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    ),
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "bokvar.api_access.ApiClientAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "bokvar.api_access.ClientScope",
        "rest_framework.permissions.IsAuthenticated",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["bokvar.api_access.ClientRateThrottle"],
    # Requests per client (by its kind) and window. A landlord's system posts signals as
    # they arise; a shelter's posts nightly batches; the steering tools read a few figures.
    "DEFAULT_THROTTLE_RATES": {
        "landlord": os.environ.get("BOKVAR_THROTTLE_LANDLORD", "120/min"),
        "shelter": os.environ.get("BOKVAR_THROTTLE_SHELTER", "60/min"),
        "meeting_place": os.environ.get("BOKVAR_THROTTLE_MEETING_PLACE", "60/min"),
        "steering": os.environ.get("BOKVAR_THROTTLE_STEERING", "60/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "bokvar.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Bo Kvar API",
    "DESCRIPTION": "Integrations for landlords, shelters and the steering group.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema as the reader sees the API: an API client its kind's endpoints (with the
    # serializers its requests get), a staff member those of their role. Not public: the
    # docs page then sends the token given under "Authorize" when it loads the schema.
    "SERVE_PUBLIC": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "bokvar.api.document_refusals",
    ],
    # Handover choices share field names with signals ("kind", "status").
    "ENUM_NAME_OVERRIDES": {
        "HandoverKindEnum": "cases.models.handovers.Handover.Kind",
        "HandoverStatusEnum": "cases.models.handovers.Handover.Status",
        "HandoverUrgencyEnum": "cases.models.handovers.Handover.Urgency",
        "SignalKindEnum": "cases.models.landlord_signals.LandlordSignal.Kind",
        "SignalStatusEnum": "cases.models.landlord_signals.LandlordSignal.Status",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Personal data never reaches a log: the handler redacts identity numbers, e-mail
    # addresses and phone numbers (message, arguments, traceback) and drops the request.
    "filters": {"redact": {"()": "bokvar.logfilter.RedactPersonalData"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Replaces Django's defaults for "django": its unfiltered console handler and the
        # admin e-mails, which would send tracebacks with request data by mail.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Request errors carry the request (with its POST data); never log them verbatim.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # The development server's request lines (paths and query strings) go through
        # the same redaction instead of Django's own unfiltered handler.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "axes": {"level": "WARNING"},
        # Single sign-on: pysaml2 and djangosaml2 log whole assertions (staff names and
        # groups) below WARNING; xmlschema announces every schema it loads.
        "saml2": {"level": "WARNING"},
        "djangosaml2": {"level": "WARNING"},
        "mozilla_django_oidc": {"level": "WARNING"},
        "xmlschema": {"level": "WARNING"},
    },
}

# Bo Kvar's own knobs: every one, its environment variable and its default are listed
# in bokvar/conf.py; code reads them with bokvar.conf.setting(name).
BOKVAR = from_environment()
# Statistics: counts below this are published as "<5" (and sums over fewer people hidden).
BOKVAR_STATS_THRESHOLD = int(os.environ.get("BOKVAR_STATS_THRESHOLD", "5"))
