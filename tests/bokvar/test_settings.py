"""Settings come from the environment; production refuses to start without secrets."""

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "SECRET_KEY": "k3J#9vQ!x2@pLm8$wZr5^tYb7&nHc4*eUf6(gAi1)oSd0_jK-lMqRsTuVwXyZaBcDeF",
    "BOKVAR_FIELD_KEYS": "prod1:cHJvZC1maWVsZC1rZXktMzItYnl0ZXMtbG9uZy0tLS0=",
    "BOKVAR_BLIND_INDEX_KEY": "prod-blind-index-key-0123456789abcdef",
    "BOKVAR_AUDIT_CHAIN_KEY": "prod-audit-chain-key-0123456789abcdef",
    "ALLOWED_HOSTS": "bokvar.example.se",
    "EMAIL_HOST": "smtp.example.se",
    # Named but never connected to: `check` reads settings only.
    "DATABASE_URL": "postgres://bokvar@db.example.se:5432/bokvar",
    "REDIS_URL": "redis://redis.example.se:6379/0",
}
# Variables a development or CI environment may carry that must not leak into the
# production-like runs below.
NOT_INHERITED = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "REDIS_URL"}


def run_manage(*args: str, env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# `manage.py check` for several production environments in one interpreter (each
# `manage.py check` is a whole Django start-up, 1.3 CPU-seconds; fourteen of them ran
# here, and three web server start-ups). The process starts in the good production
# environment; for each environment asked it sets os.environ to it, imports
# bokvar/settings.py afresh (the settings are evaluated from that environment as at a
# start-up), overrides the settings that differ from the good ones, and runs the
# command (or imports the module afresh). Nothing is kept between checks: the
# checks read the settings when they run, and the overrides are undone after each.
BATCH_SCRIPT = """
import importlib, json, os, sys, traceback
from io import StringIO
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test.utils import override_settings

base = dict(os.environ)
answers = []
for args, overrides in json.loads(sys.stdin.read()):
    os.environ.clear()
    os.environ.update(base)
    os.environ.update(overrides)
    sys.modules.pop("bokvar.settings", None)
    fresh = importlib.import_module("bokvar.settings")
    changed = {
        name: getattr(fresh, name)
        for name in dir(fresh)
        if name.isupper() and getattr(fresh, name) != getattr(settings, name, None)
    }
    # The same applications in every environment: the app registry stays as it is.
    assert "INSTALLED_APPS" not in changed, changed["INSTALLED_APPS"]
    out, err, code = StringIO(), StringIO(), 0
    with override_settings(**changed):
        if args[0] == "import":
            # A module's start-up (the web server's bokvar.wsgi), imported afresh.
            sys.modules.pop(args[1], None)
            try:
                importlib.import_module(args[1])
            except Exception:
                err.write(traceback.format_exc())
                code = 1
        else:
            try:
                call_command(*args, stdout=out, stderr=err)
            except CommandError as exc:  # SystemCheckError: manage.py prints it and exits 1
                err.write(f"{type(exc).__name__}: {exc}\\n")
                code = 1
    answers.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(answers))
"""


def production_variants() -> list[tuple[tuple[str, ...], dict[str, str]]]:
    """Every `check` of a production-like environment the tests below ask for, and the
    web server's start-up (`import bokvar.wsgi`) in each bad key's."""
    asked: list[tuple[tuple[str, ...], dict[str, str]]] = [
        (("check",), PRODUCTION_ENV),
        (("check", "--deploy", "--fail-level", "WARNING"), PRODUCTION_ENV),
        (("import", "bokvar.wsgi"), PRODUCTION_ENV),
    ]
    for name, value, _check_id in BAD_KEYS:
        asked.append((("check", "--deploy"), {**PRODUCTION_ENV, name: value}))
        asked.append((("check",), {**PRODUCTION_ENV, name: value}))
        asked.append((("import", "bokvar.wsgi"), {**PRODUCTION_ENV, name: value}))
    return asked


@functools.cache
def production_checks() -> dict[str, SimpleNamespace]:
    asked = production_variants()
    started = subprocess.run(
        [sys.executable, "-c", BATCH_SCRIPT],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in NOT_INHERITED},
            **PRODUCTION_ENV,
            "DJANGO_SETTINGS_MODULE": "bokvar.settings",
        },
        input=json.dumps(asked),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert started.returncode == 0, started.stderr[-3000:]
    answers = json.loads(started.stdout.strip().splitlines()[-1])
    return {
        _variant_key(args, env): SimpleNamespace(returncode=code, stdout=out, stderr=err)
        for (args, env), (code, out, err) in zip(asked, answers, strict=True)
    }


def _variant_key(args: tuple[str, ...], env: dict[str, str]) -> str:
    return json.dumps([args, sorted(env.items())])


def production_check_of(*args: str, env: dict[str, str]) -> SimpleNamespace:
    """What `manage.py <args>` answered in the production-like environment `env`."""
    return production_checks()[_variant_key(args, env)]


def test_missing_secret_key_stops_start_up_naming_it():
    env = dict(PRODUCTION_ENV)
    del env["SECRET_KEY"]
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_missing_field_keys_stops_start_up_naming_them():
    env = dict(PRODUCTION_ENV)
    del env["BOKVAR_FIELD_KEYS"]
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "BOKVAR_FIELD_KEYS must be set" in result.stderr


def test_blind_index_keys_are_a_list_or_the_single_key_as_before():
    env = dict(PRODUCTION_ENV)
    del env["BOKVAR_BLIND_INDEX_KEY"]
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "BOKVAR_BLIND_INDEX_KEY must be set" in result.stderr
    env["BOKVAR_BLIND_INDEX_KEYS"] = "new:prod-new-index-key-0123456789,k1:prod-old-key-0123456789"
    result = run_manage(
        "shell",
        "-v0",
        "-c",
        "from bokvar import crypto; print(list(crypto.index_keyring().secrets))",
        env_overrides=env,
    )
    assert result.stdout.strip() == "['new', 'k1']", result.stderr


@pytest.mark.parametrize("name", ["DATABASE_URL", "REDIS_URL"])
def test_missing_database_or_broker_stops_start_up_naming_it(name):
    """SQLite and the file-system broker are development defaults, not production ones."""
    env = dict(PRODUCTION_ENV)
    del env[name]
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert f"{name} must be set" in result.stderr


def test_development_keeps_the_embedded_defaults():
    result = run_manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)",
        env_overrides={"DEBUG": "1"},
    )
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://"], result.stderr


def test_check_deploy_has_no_warnings_in_production_environment():
    result = production_check_of("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_development_defaults_only_with_debug(settings):
    # The suite itself runs with DEBUG=1 in the environment, so defaults apply here.
    assert os.environ.get("DEBUG") == "1"
    assert settings.SECRET_KEY.startswith("dev-only")


def test_celery_is_configured_not_to_lose_work(settings):
    from bokvar.celery import app

    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    if settings.REDIS_URL:
        assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_idle_session_expiry_is_configurable():
    env = dict(PRODUCTION_ENV, BOKVAR_SESSION_IDLE_MINUTES="12")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='bokvar.settings';django.setup();"
            "from django.conf import settings as s;print(s.SESSION_COOKIE_AGE, s.SESSION_SAVE_EVERY_REQUEST)",
        ],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k not in NOT_INHERITED}, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["720", "True"], result.stderr


# Issue 21, point 10: each key malformed or equal to the public development key. The
# production environment is otherwise complete, so only the key named can stop it.
BAD_KEYS = [
    ("BOKVAR_FIELD_KEYS", "prod1:not-base64!", "bokvar.E101"),
    ("BOKVAR_FIELD_KEYS", "prod1:c2hvcnQ=", "bokvar.E101"),  # 5 bytes, not 32
    (
        "BOKVAR_FIELD_KEYS",
        "prod1:cHJvZC1maWVsZC1rZXktMzItYnl0ZXMtbG9uZy0tLS0=,"
        "dev9:ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmc=",
        "bokvar.E102",
    ),
    ("BOKVAR_BLIND_INDEX_KEY", "dev-only-blind-index-key", "bokvar.E104"),
    ("BOKVAR_BLIND_INDEX_KEY", "short-index-key", "bokvar.E103"),
    ("BOKVAR_BLIND_INDEX_KEYS", "new:prod-new-index-key-0123456789abcdef,old", "bokvar.E103"),
    (
        "BOKVAR_BLIND_INDEX_KEYS",
        "new:prod-new-index-key-0123456789abcdef,k1:dev-only-blind-index-key",
        "bokvar.E104",
    ),
    ("BOKVAR_AUDIT_CHAIN_KEY", "dev-only-audit-chain-key", "bokvar.E105"),
    ("BOKVAR_AUDIT_CHAIN_KEY", "chain-key", "bokvar.E105"),
]


@pytest.mark.parametrize(("name", "value", "check_id"), BAD_KEYS)
def test_check_deploy_names_a_malformed_or_public_key(name, value, check_id):
    result = production_check_of("check", "--deploy", env={**PRODUCTION_ENV, name: value})
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert check_id in output and name.rstrip("S").removesuffix("_KEY") in output, output
    # Nothing else is wrong with this environment.
    assert output.count("(bokvar.E") == 1, output


@pytest.mark.parametrize(("name", "value", "check_id"), [BAD_KEYS[2], BAD_KEYS[4], BAD_KEYS[7]])
def test_start_up_refuses_a_bad_key_without_debug(name, value, check_id):
    env = {**PRODUCTION_ENV, name: value}
    # A command (runserver and migrate run the same checks) ...
    result = production_check_of("check", env=env)
    assert result.returncode != 0 and check_id in result.stdout + result.stderr
    # ... and the web server, which runs none (`import bokvar.wsgi`).
    served = production_check_of("import", "bokvar.wsgi", env=env)
    assert served.returncode != 0
    assert "ImproperlyConfigured" in served.stderr and check_id in served.stderr
    # The same environment with good keys starts.
    fine = production_check_of("check", env=PRODUCTION_ENV)
    assert fine.returncode == 0, fine.stdout + fine.stderr
    served = production_check_of("import", "bokvar.wsgi", env=PRODUCTION_ENV)
    assert served.returncode == 0, served.stderr


def test_development_runs_on_the_public_keys_but_check_deploy_names_them():
    started = run_manage("check", env_overrides={"DEBUG": "1"})
    assert started.returncode == 0, started.stdout + started.stderr
    deploy = run_manage("check", "--deploy", env_overrides={"DEBUG": "1"})
    output = deploy.stdout + deploy.stderr
    assert deploy.returncode != 0
    assert {"bokvar.E102", "bokvar.E104", "bokvar.E105"} <= set(
        part.split(")")[0] for part in output.split("(")
    ), output
