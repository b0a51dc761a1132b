"""Every page fits a phone (issue 19, point 5; WCAG 2.1 SC 1.4.10 Reflow): each role
walks every page it is shown a link to, as the role walk does (tests/home/
test_role_walk.py), in a real Chromium. Each page must not scroll sideways at 320 and
390 CSS px and must pass axe-core, and every form stacks: each field's label sits above
its field, never beside it (the handover forms and the access-log filter had them
jumbled inline).

One test per role, one sign-in, the pages in a loop: a page of one shape (the same path
with other ids, the same query keys) is visited once per role. axe-core, the slow part
(about a second a page), checks each shape once per session (pytest-xdist's workers
share what they have checked or are checking), as the first role that reaches it sees
it; the reflow is measured for every role, whose pages differ in their buttons and rows.
Downloads (CSV, the extract) and the Django admin's own pages are not pages of this
layout: a link to a file (a path ending in a file name with an extension, as the CSV,
Excel, JSON and PDF downloads are) is not followed, and a download reached by another
link is dropped when it starts."""

from __future__ import annotations

import hashlib
import os
import re
from collections import deque
from pathlib import Path

import pytest

from bokvar.demo import DEMO_USERS
from tests.browser.conftest import assert_accessible
from tests.home.test_role_walk import SKIPPED, shape

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = [username for username, *_rest in DEMO_USERS]
WIDTHS = (320, 390, 1280)  # two phones and a desktop (forms stack there too)
PASSWORD = "pw-for-test-1"  # tests.shared_data.DEMO_SEED_ARGS
NOT_PAGES = SKIPPED + ("/admin/", "/api/", "/login/", "/accounts/")
# A path ending in a file name with an extension: every download of the application
# (statistics.xlsx, log.csv, extract.pdf, ...). Requesting one only to drop it made the
# live server build the workbook or file and Chromium start a download, for every role
# shown the link; no assertion read either.
FILE = re.compile(r"/[^/?#]+\.[A-Za-z0-9]+(?:[?#]|$)")

OVERFLOW = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= window.innerWidth) return null;
  // Name the widest elements, so a failure says what to fix.
  const wide = [];
  const over = (el) => el.getBoundingClientRect().right > window.innerWidth + 1;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    // The innermost too-wide elements: those none of whose children is too wide.
    if (r.width > 0 && over(el) && ![...el.children].some(over)) {
      wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') +
        ' ' + Math.round(r.right));
    }
  }
  return root.scrollWidth + ' > ' + window.innerWidth + ': ' + wide.slice(0, 6).join(', ');
}"""


# The labels of text fields, lists and text areas in the page's content that are not above
# their field (a label wrapping its field, a visually hidden label and a box or button
# are not asked to).
BESIDE = """() => {
  const bad = [];
  const fields = document.querySelectorAll(
    'main input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=submit])' +
    ':not([type=button]):not([type=image]):not([type=reset]), main select, main textarea');
  for (const field of fields) {
    const f = field.getBoundingClientRect();
    if (f.width === 0) continue;
    for (const label of field.labels || []) {
      const l = label.getBoundingClientRect();
      if (l.width <= 1 || label.contains(field)) continue;
      if (l.bottom > f.top + 1) bad.push((field.name || field.id) + ': label beside its field');
    }
  }
  return bad.join(', ');
}"""


# Both, in one round trip to the page.
AT_THIS_WIDTH = f"() => [({OVERFLOW})(), ({BESIDE})()]"


class AxeChecked:
    """The shapes axe-core has checked, or is checking, in this session. With
    pytest-xdist each worker is a process of its own, and the roles' walks are spread over
    them: a set in each would check a shape once a worker. A worker claims a shape before
    it checks it, by creating a file named after the shape in a directory of the run's
    temporary directory (created exclusively: of two workers reaching a shape at the same
    moment, one checks it, the other goes on); a shape whose check fails is given up, so
    the next role that reaches it checks it again, as when only the passed shapes were
    shared."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.shapes: set[str] = set()  # claimed by this process
        if directory is not None:
            directory.mkdir(exist_ok=True)

    def _file(self, path_shape: str) -> Path:
        assert self.directory is not None
        return self.directory / hashlib.sha256(path_shape.encode()).hexdigest()

    def claim(self, path_shape: str) -> bool:
        """Whether this process is to check the shape: nobody has checked it or is
        checking it (a shape given up after a failure may be claimed again)."""
        if path_shape in self.shapes:
            return False
        if self.directory is not None:
            try:
                os.close(os.open(self._file(path_shape), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return False
        self.shapes.add(path_shape)
        return True

    def give_up(self, path_shape: str) -> None:
        """The check failed: the next role that reaches the shape checks it again."""
        self.shapes.discard(path_shape)
        if self.directory is not None:
            self._file(path_shape).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def axe_checked(tmp_path_factory, worker_id) -> AxeChecked:
    if worker_id == "master":  # one process: the set is the session's
        return AxeChecked(None)
    # A worker's base directory is in the run's own (pytest-xdist), shared by the workers.
    return AxeChecked(tmp_path_factory.getbasetemp().parent / "axe-checked-shapes")


def walk(page, base: str, axe_checked: AxeChecked) -> tuple[int, int, list[str]]:
    """Visit every page the role can reach by its links from the start page at `base`;
    how many it visited, how many of them axe-core checked, and the pages that fail."""
    queue: deque[str] = deque(["/"])
    shapes: set[str] = set()
    problems: list[str] = []
    visited = checked = 0
    # The fixture fails the test on a blocked script or style too; here it says where.
    page.on(
        "console",
        lambda msg: (
            problems.append(f"CSP {page.url}: {msg.text}")
            if "Content Security Policy" in msg.text
            else None
        ),
    )
    while queue:
        path = queue.popleft()
        if shape(path) in shapes or path.startswith(NOT_PAGES):
            continue
        shapes.add(shape(path))
        page.set_viewport_size({"width": WIDTHS[0], "height": 640})
        try:
            response = page.goto(path)
        except Exception as exc:  # a download (CSV, extract) is not a page
            if "Download is starting" in str(exc):
                continue
            raise
        if response is None or response.status != 200:
            continue
        if "html" not in (response.headers.get("content-type") or ""):
            continue
        visited += 1
        for n, width in enumerate(WIDTHS):
            if n:  # the page was loaded at the first width
                page.set_viewport_size({"width": width, "height": 640})
            wide, beside = page.evaluate(AT_THIS_WIDTH)
            if wide:
                problems.append(f"{width} px {path}: {wide}")
            if beside:
                problems.append(f"{width} px {path}: {beside}")
        if axe_checked.claim(shape(path)):
            checked += 1
            try:
                assert_accessible(page)
            except pytest.fail.Exception as exc:
                axe_checked.give_up(shape(path))
                problems.append(f"axe {path}: {exc}")
            except BaseException:  # a time-out: the test errs, the shape is not checked
                axe_checked.give_up(shape(path))
                raise
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for href in hrefs:
            if not href.startswith(base + "/"):
                continue
            link = href[len(base) :].split("#")[0]
            if link and shape(link) not in shapes and not FILE.search(link):
                queue.append(link)
    return visited, checked, problems


@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone_and_passes_axe(
    demo_seeded, page, signed_in, live_server, axe_checked, role
):
    # The steering group's start page computes the month's statistics on first sight:
    # slow on a busy machine (CI runs on two cores), not a layout problem.
    page.set_default_timeout(60_000)
    # The walk opens the start page first.
    signed_in(role, PASSWORD, start=None)
    visited, checked, problems = walk(page, live_server.url, axe_checked)
    print(f"{role}: {visited} pages, {checked} checked by axe-core")
    for problem in problems:
        print("PROBLEM", role, problem.splitlines()[0])
    assert visited >= 3, visited
    assert not problems, f"{len(problems)} problems for {role}:\n" + "\n".join(problems)


FIRST_SCREEN = """() => ['next-deadline', 'household-summary', 'latest-contacts'].map(
  (id) => { const el = document.getElementById(id); return el ? el.getBoundingClientRect().bottom : null; })"""


def test_the_longest_case_page_shows_what_matters_on_the_first_screen(demo_seeded, page, signed_in):
    """The case page of the household with the most shelter nights (the demo's homeless
    client): at 390 x 844 px the next deadline, the household and the latest contacts are
    on the first screen, and the page is a few screens long, not thousands of pixels."""
    from django.db.models import Count

    from cases.models import Case
    from housing.models import ShelterNight

    household = (
        ShelterNight.objects.values("person__household")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assert household is not None and household["n"] > 30, household
    case = Case.objects.filter(household_id=household["person__household"]).order_by("pk").first()
    page.set_default_timeout(60_000)
    page.set_viewport_size({"width": 390, "height": 844})
    signed_in("coordinator", PASSWORD, start=f"/cases/{case.pk}/")
    bottoms = page.evaluate(FIRST_SCREEN)
    assert None not in bottoms, bottoms
    assert max(bottoms) <= 844, bottoms
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"case page of {household['n']} shelter nights: {height} px high at 390 px")
    assert height <= 6 * 844, height
    # A folded part opens for who wants it: the shelter nights are one click away.
    nights = page.locator("#section-housing details.more")
    assert not nights.locator("tbody tr").first.is_visible()
    nights.locator("summary").click()
    assert nights.locator("tbody tr").first.is_visible()
