"""The framework floor of a page (issue 22, point 2): what Django itself costs for the
page's main rows. The benchmark's client (same session, same sign-in with a second
factor) requests a bare view through the same middleware stack; the view fetches the
page's main rows with the page's one hand-written SQL query (the scenario's SQL floor)
and renders them with a bare template: no navigation, no decryption, no permission
filter beyond what the hand-written query says, no access-log entry.

The bare view is mounted only in the benchmark's process (`install()` points
ROOT_URLCONF at `bench.urls`, which adds it to the product's addresses); the product's
own `bokvar.urls` never has it.

A page's ratio to its framework floor is what the page adds over Django: the base
layout, permission filters, decryption, the access log, its own queries and template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template import engines
from django.test import Client
from django.urls import clear_url_caches, set_urlconf

URLCONF = "bench.urls"
PREFIX = "/__bench__/floor/"

# Pages at most this many queries (issue 22, point 2) ...
MAX_QUERIES = 20
# ... and their median within this many times their framework floor.
MAX_RATIO = 3.0


@dataclass(frozen=True)
class Floor:
    sql: str
    params: list = field(default_factory=list)


# The floors of the scenarios built in this process, by number (the bare view's address).
_floors: list[Floor] = []

# The bare template (made on first use: this module is imported by bench.report too,
# which runs without Django's settings).
_BARE_SOURCE = (
    "<!DOCTYPE html><html><head><title>floor</title></head><body>"
    '<div class="table-scroll"><table><tbody>{% for row in rows %}<tr>'
    "{% for value in row %}<td>{{ value }}</td>{% endfor %}</tr>{% endfor %}</tbody></table>"
    "</div></body></html>"
)
_bare: list = []


def register(sql: str, params: list | None = None) -> str:
    """Keep a page's hand-written query; returns the bare view's address for it."""
    _floors.append(Floor(sql, list(params or [])))
    return f"{PREFIX}{len(_floors) - 1}/"


def bare_view(request: HttpRequest, index: int) -> HttpResponse:
    """The page's main rows, from one hand-written query, in a bare template. A POST
    answers with a redirect to the same address, as the case search does (post, then
    the result page): its floor makes both round trips too."""
    if not request.user.is_authenticated or index >= len(_floors):
        raise Http404
    if request.method == "POST":
        return HttpResponseRedirect(request.path)
    floor = _floors[index]
    with connection.cursor() as cursor:
        cursor.execute(floor.sql, floor.params)
        rows = cursor.fetchall()
    if not _bare:
        _bare.append(engines["django"].from_string(_BARE_SOURCE))
    # Without the request: no context processors (the base layout's navigation and
    # badges are the page's cost, not Django's).
    return HttpResponse(_bare[0].render({"rows": rows}))


def install() -> None:
    """Mount the bare view (the benchmark's process only)."""
    settings.ROOT_URLCONF = URLCONF
    clear_url_caches()
    set_urlconf(None)


def request(
    client: Client, sql: str, params: list | None = None, *, post: bool = False
) -> Callable[[], object]:
    """A run of the framework floor: the signed-in `client` asks for the bare view
    (with `post`, posts to it and follows the redirect, like a search)."""
    url = register(sql, params)

    def run():
        response = client.post(url, follow=True) if post else client.get(url)
        if response.status_code != 200:
            raise RuntimeError(
                f"the framework floor answered {response.status_code}"
                + (" (bench.floors.install() not called?)" if response.status_code == 404 else "")
            )
        return response

    return run
