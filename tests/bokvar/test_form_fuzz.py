"""Issue 21, point 9: a fuzz test of every form. No value a user can post answers 500.

Every URL pattern (the admin's aside) is opened with GET as each role, and anonymously,
with its ids filled from the walk's world (tests/audit/test_walk.py). Every form with
method="post" the page shows is then posted with values hypothesis makes from its
fields: the field's own options, and text, numbers, impossible dates, the calendar's
edges, long and control-character strings, through Django's test client as the role
that was shown the form. Each answer must be below 500.

The number of examples per form is small so the test stays well under a minute on a
quiet machine; for a longer hunt set BOKVAR_FUZZ_EXAMPLES (e.g. 200) and run
    BOKVAR_FUZZ_EXAMPLES=200 .venv/bin/python -m pytest tests/bokvar/test_form_fuzz.py -p no:cacheprovider
hypothesis prints the falsifying form and values when one answers 500.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.audit.test_walk import world  # noqa: F401 - the fixture: a case with everything

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("BOKVAR_FUZZ_EXAMPLES", "3"))
ROLES = ["coordinator", "caseworker", "guide", "auditor", "admin"]
# Posting these ends the session or changes the language: no form is behind them.
SKIP_ACTIONS = ("/logout/", "/i18n/")

# A URL's id parameter -> the model it names, where the name alone does not say it.
MODEL_OF = {
    "child": "householdchild",
    "item": "costitem",
    "night": "shelternight",
    "place": "meetingplace",
    "hold": "legalhold",
    "report": "monthlyreport",
    "question": "surveyquestion",
}


@dataclass
class Form:
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> options/initial
    files: list[str] = field(default_factory=list)


class _Forms(HTMLParser):
    """The post forms of a page: each field's name with its options or value."""

    def __init__(self, url: str):
        super().__init__()
        self.url = url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self._form = Form(action=a.get("action") or self.url)
            return
        if self._form is None or not a.get("name"):
            if tag == "option" and self._form is not None and self._select:
                self._form.fields[self._select].append(a.get("value") or "")
            return
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind == "file":
                self._form.files.append(name)
            elif kind not in ("submit", "button", "image", "reset"):
                self._form.fields.setdefault(name, []).append(a.get("value") or "")
        elif tag in ("select", "textarea"):
            self._form.fields.setdefault(name, [])
            self._select = name if tag == "select" else None

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def _patterns(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin" or str(pattern.pattern).startswith("api/"):
                continue  # the admin is Django's; the API is fuzzed by schemathesis
            yield from _patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _first_pk(param: str, world) -> int | None:  # noqa: F811
    name = param.removesuffix("_id")
    if name == "case":
        return world["q"].pk
    if name == "person":
        return world["q"].household.head_id
    if name == "household":
        return world["q"].household_id
    model_name = MODEL_OF.get(name, name)
    for model in apps.get_models():
        if model._meta.model_name == model_name:
            obj = model._default_manager.order_by("pk").first()
            return obj.pk if obj else None
    return None


def _urls(world) -> list[str]:  # noqa: F811
    urls = []
    for route in _patterns():
        if route.startswith("^") or "(?P" in route:
            continue
        url, ok = "/" + route, True
        for match in re.finditer(r"<(?:(\w+):)?(\w+)>", route):
            pk = _first_pk(match.group(2), world)
            if pk is None:
                ok = False
                break
            url = url.replace(match.group(0), str(pk))
        if ok:
            urls.append(url)
    return sorted(set(urls))


def _collect(world) -> list[tuple[str, Form]]:  # noqa: F811
    """(role, form) for every post form any role is shown: the first role shown each."""
    users = world["org"].users
    clients = {"": Client()}
    for role in ROLES:
        client = Client(raise_request_exception=False)
        client.force_login(users[role], backend="django.contrib.auth.backends.ModelBackend")
        clients[role] = client
    found: dict[tuple[str, tuple[str, ...]], tuple[str, Form]] = {}
    for url in _urls(world):
        for role, client in clients.items():
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            parser = _Forms(url)
            parser.feed(response.content.decode())
            for form in parser.forms:
                if form.action.startswith(SKIP_ACTIONS) or "://" in form.action:
                    continue
                key = (form.action.split("?")[0], tuple(sorted(form.fields)))
                found.setdefault(key, (role, form))
    return list(found.values())


def _values(options: list[str]) -> st.SearchStrategy[str]:
    nasty = st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1e9",
            "99999999999999999999",
            "NaN",
            "2026-02-30",
            "0001-01-01",
            "9999-12-31",
            "2026-13-01",
            "x" * 5000,
            "a\x00b",
            "ååå' OR 1=1 --",
            "<script>",
        ]
    )
    given_values = [o for o in options if o]
    choices = [st.sampled_from(given_values)] if given_values else []
    return st.one_of(*choices, nasty, st.text(max_size=40))


def test_no_form_answers_500(world):  # noqa: F811
    forms = _collect(world)
    # Every part of the application shows at least one form: cases, handovers, housing,
    # partners, the audit pages and the sign-in.
    actions = " ".join(form.action for _role, form in forms)
    for part in ("/cases/", "/handovers/", "/housing/", "/partners/", "/audit/", "/login/"):
        assert part in actions, part
    users = world["org"].users
    for role, form in forms:
        client = Client(raise_request_exception=False)
        if role:
            client.force_login(users[role], backend="django.contrib.auth.backends.ModelBackend")
        _fuzz(client, role, form)


def _fuzz(client: Client, role: str, form: Form) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    strategy = st.fixed_dictionaries({name: _values(opts) for name, opts in form.fields.items()})

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=strategy)
    def post(data):
        payload: dict[str, object] = dict(data)
        for name in form.files:
            payload[name] = SimpleUploadedFile("x.csv", b"a;b\n\xff\xfe;" + b"1" * 10)
        response = client.post(form.action, payload)
        assert response.status_code < 500, (role, form.action, data)

    post()
