"""Sessions of Bo Kvar's staff, role by role, with think times between pages.

Run through `make load` / `python -m bench.load.run` (which prepares the accounts,
starts gunicorn on loopback and analyses the results); the plan of accounts comes from
LOAD_PLAN. Every person signs in for real: password, then the authenticator code of
the account's known key. Pages are named (`name=`) so the figures group by page, not
by URL. A page that answers with anything but the expected status is a failure.

- coordinators triage signals, open cases, record contacts and threats;
- caseworkers work their handover inbox and their deadlines, and open cases;
- guides open their cases and record shelter nights, and look at placements;
- the steering group reads the dashboard and its reports;
- the auditor reviews the access log.

The stepped ramp (`StepRamp`) raises the number of people stage by stage
(LOAD_STEPS, LOAD_STEP_SECONDS); every request is also written to LOAD_EVENTS so that
`bench.load.run` can compute the rate and p95 of each stage.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
from datetime import date, timedelta
from html import unescape
from pathlib import Path

from django_otp.oath import TOTP
from locust import FastHttpUser, LoadTestShape, between, events, task

PLAN: dict = (
    json.loads(Path(os.environ["LOAD_PLAN"]).read_text()) if os.environ.get("LOAD_PLAN") else {}
)
THINK = [float(x) for x in os.environ.get("LOAD_THINK", "3,10").split(",")]
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "0"))
# One person of each role at a time (a smoke run's five people cover every role).
EQUAL = os.environ.get("LOAD_EQUAL_ROLES") == "1"

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CASE_LINK = re.compile(r'href="/cases/(\d+)/"')
SIGNAL_LINK = re.compile(r'href="/cases/signals/(\d+)/"')
HANDOVER_LINK = re.compile(r'href="/cases/handovers/(\d+)/"')
SELECT = re.compile(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', re.S)
OPTION = re.compile(r'<option value="([^"]+)"')

# One event row per request: (seconds since start, page, milliseconds, why it failed).
_events: list[tuple[float, str, float, str]] = []
_started = time.monotonic()
# The same start on the wall clock, so that bench.load.run can put the server's own
# measurements (the access-log appends, bokvar/audit/chain.py) on the stages' clock.
_started_wall = time.time()


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **kwargs):
    failed = "" if exception is None else f"{type(exception).__name__}: {exception}"[:200]
    _events.append((time.monotonic() - _started, name, response_time, failed))
    if MAX_REQUESTS and len(_events) >= MAX_REQUESTS:
        # Bounded in requests as well as in time.
        runner = _runner.get("runner")
        if runner is not None and len(_events) == MAX_REQUESTS:
            runner.quit()


_runner: dict = {}


@events.init.add_listener
def _keep_runner(environment, **kwargs):
    _runner["runner"] = environment.runner


@events.quitting.add_listener
def _write_events(environment, **kwargs):
    if os.environ.get("LOAD_EVENTS"):
        with open(os.environ["LOAD_EVENTS"], "w") as out:
            json.dump({"started": _started_wall, "events": _events}, out)


class StepRamp(LoadTestShape):
    """A stepped ramp: each stage holds a number of people for LOAD_STEP_SECONDS."""

    steps = [int(x) for x in os.environ.get("LOAD_STEPS", "5").split(",")]
    step_seconds = float(os.environ.get("LOAD_STEP_SECONDS", "10"))

    def tick(self):
        stage = int(self.get_run_time() // self.step_seconds)
        if stage >= len(self.steps):
            return None
        return self.steps[stage], max(1, self.steps[stage])


# Accounts are handed out in turn; when there are more people of a role than accounts,
# the next person opens a second tab of an already signed-in account (same session).
_lock = threading.Lock()
_turns: dict[str, itertools.cycle] = {}
_sessions: dict[str, list] = {}


def _code(key: str, step: int) -> str:
    totp = TOTP(bytes.fromhex(key))
    totp.time = time.time() + 30 * step
    return f"{totp.token():06d}"


class Staff(FastHttpUser):
    # FastHttpUser (geventhttpclient) costs the load generator several times less CPU a
    # request than HttpUser (requests): locust shares the two cores with the server.
    abstract = True
    role = ""
    wait_time = between(*THINK)

    def on_start(self) -> None:
        with _lock:
            accounts = PLAN["accounts"][self.role]
            turn = _turns.setdefault(self.role, itertools.cycle(accounts))
            account = next(turn)
            first = account["username"] not in _sessions
            if first:
                _sessions[account["username"]] = []
        if first:
            self.sign_in(account)
            _sessions[account["username"]] = list(self.client.cookiejar)
            return
        # Another person of the same account is signing in: take the session when ready.
        while not _sessions[account["username"]]:
            time.sleep(0.2)
        for cookie in _sessions[account["username"]]:
            self.client.cookiejar.set_cookie(cookie)

    def sign_in(self, account: dict) -> None:
        self.post_form(
            "/login/",
            {"username": account["username"], "password": PLAN["password"], "next": ""},
            name="sign in: password",
            form_name="sign in: form",
        )
        for attempt in range(4):
            if attempt:
                time.sleep(2**attempt)
            with self.client.post(
                "/login/code/",
                {
                    "code": _code(account["key"], attempt % 2),
                    **self._token("/login/code/", name="sign in: code form"),
                },
                name="sign in: code",
                allow_redirects=False,
                catch_response=True,
            ) as response:
                if response.status_code == 302:
                    response.success()
                    return
                if attempt == 3:
                    response.failure(f"code refused ({response.status_code})")
                else:
                    # Sent across a 30-second step boundary: the next step's code follows.
                    response.request_meta["name"] = "sign in: code refused, retried"
                    response.success()

    # -- helpers -----------------------------------------------------------------

    def page(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                return ""
            return response.text

    def _token(self, path: str, page: str | None = None, *, name: str = "form") -> dict:
        if page is None:
            page = self.page(path, name)
        token = CSRF.search(page)
        return {"csrfmiddlewaretoken": unescape(token[1])} if token else {}

    def post_form(
        self,
        path: str,
        fields: dict,
        *,
        name: str,
        page: str | None = None,
        form_name: str = "form",
    ) -> bool:
        """Post a form as a browser does (its CSRF token from the form page); a saved
        form redirects, a re-rendered one (invalid) is a failure."""
        token = self._token(path, page, name=form_name)
        with self.client.post(
            path, {**token, **fields}, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 302:
                return True
            if response.status_code in (200, 400) and 'class="error-summary"' in response.text:
                # The form came back with a message for the person (e.g. a night already
                # registered): the server answered as it should; counted apart.
                response.request_meta["name"] = f"{name}: refused by validation"
                response.success()
            else:
                response.failure(f"not saved ({response.status_code})")
            return False

    def open_a_case(self, query: str = "") -> int | None:
        listing = self.page("/cases/" + query, "case list")
        ids = CASE_LINK.findall(listing)
        if not ids:
            return None
        case_id = int(random.choice(ids))
        self.page(f"/cases/{case_id}/", "case page")
        return case_id


def _first_options(form: str) -> dict:
    return {
        name: options[0]
        for name, body in SELECT.findall(form)
        if (options := [o for o in OPTION.findall(body) if o])
    }


class Coordinator(Staff):
    role = "coordinator"
    weight = 1 if EQUAL else 3

    @task(3)
    def triage_signals(self) -> None:
        queue = self.page("/cases/signals/", "signal triage queue")
        ids = SIGNAL_LINK.findall(queue)
        if ids:
            self.page(f"/cases/signals/{random.choice(ids)}/", "signal")

    @task(3)
    def open_case(self) -> None:
        self.open_a_case()

    @task(1)
    def record_contact(self) -> None:
        case_id = self.open_a_case()
        if case_id is None:
            return
        path = f"/cases/{case_id}/contacts/new/"
        form = self.page(path, "contact form")
        if form:
            fields = {**_first_options(form), "on": date.today().isoformat(), "reached": "on"}
            self.post_form(path, fields, name="record a contact", page=form)

    @task(1)
    def record_threat(self) -> None:
        case_id = self.open_a_case("?status=open")
        if case_id is None:
            return
        path = f"/cases/{case_id}/threats/new/"
        form = self.page(path, "threat form")
        if form:
            fields = {"arrears_notice_on": date.today().isoformat(), "arrears_amount": "12400"}
            self.post_form(path, fields, name="record a threat", page=form)


class Caseworker(Staff):
    role = "caseworker"
    weight = 1 if EQUAL else 5

    @task(3)
    def handover_inbox(self) -> None:
        inbox = self.page("/cases/handovers/", "handover inbox")
        ids = HANDOVER_LINK.findall(inbox)
        if ids:
            self.page(f"/cases/handovers/{random.choice(ids)}/", "handover")

    @task(2)
    def deadlines(self) -> None:
        self.page("/cases/deadlines/", "my deadlines")

    @task(3)
    def open_case(self) -> None:
        self.open_a_case()

    @task(1)
    def search_open_cases(self) -> None:
        self.page("/cases/?status=open", "case list: open")


class Guide(Staff):
    role = "guide"
    weight = 1 if EQUAL else 2

    @task(3)
    def open_case(self) -> None:
        self.open_a_case()

    @task(2)
    def record_nights(self) -> None:
        case_id = self.open_a_case()
        if case_id is None:
            return
        path = f"/housing/cases/{case_id}/nights/new/"
        form = self.page(path, "nights form")
        if form and (fields := _first_options(form)).get("person"):
            fields["first"] = (date.today() - timedelta(days=random.randrange(60))).isoformat()
            fields["during_placement_confirmed"] = "on"
            self.post_form(path, fields, name="record a night", page=form)

    @task(1)
    def apartments(self) -> None:
        self.page("/housing/apartments/", "apartments")


class Steering(Staff):
    role = "steering"
    weight = 1

    @task(3)
    def dashboard(self) -> None:
        self.page("/steering/statistics/", "steering dashboard")

    @task(1)
    def reports(self) -> None:
        self.page("/steering/reports/", "steering reports")


class Auditor(Staff):
    role = "auditor"
    weight = 1

    @task(3)
    def access_log(self) -> None:
        self.page("/audit/log/", "access log")

    @task(1)
    def audit_home(self) -> None:
        self.page("/audit/", "audit start")
