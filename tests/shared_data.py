"""Shared test data built once for many tests instead of once per test.

Most tests start from the same rows: the demo organisation (a district, eight units,
one user per role) and often the four cases of the `cases` fixture. Building them
through the services for every test took over half of the suite's time. Here such
data is a *layer*: built once in a savepoint that stays open across consecutive tests
asking for it, and rolled back when a test that does not ask for it comes next.

- Each test still runs in its own transaction (a savepoint inside the layers) that is
  rolled back, so every test sees exactly the rows it would have built itself: a test
  that does not ask for the organisation finds an empty database, as before.
- Which layers a test gets follows from its fixtures (`org`, `outsider`, `cases`,
  `stats_cases`, `demo_seeded`, `district_seeded`): a fixture registered with
  `register_layer` reads its rows from the open layer, and builds them itself when
  there is none.
- Transactional tests (live server, Celery worker, concurrency) never run inside a
  layer, which would hide the rows from other connections: their fixtures build the
  data as before, committed, and the flush at their end removes it.
- `pytest_collection_modifyitems` in conftest.py sorts the tests of each module by the
  layers they use, so a module builds each layer about once, and runs the tests using
  `seed_demo`'s data together whatever their module (`group_by_layers`).
- After a transactional test, the flush empties only the tables holding rows
  (`empty_only_filled_tables`) instead of truncating every table.

The layers are opened in `pytest_fixture_setup` of pytest-django's per-test database
fixture, because they must exist before the test's own transaction is opened.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from django.db import DEFAULT_DB_ALIAS, transaction
from django.test.utils import override_settings
from pytest_django.fixtures import validate_django_db

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from bokvar.models import District, Unit, User

    Organisation = tuple[District, dict[str, Unit], dict[str, User]]

DEMO_PASSWORD = "demo-pass-2026"


@dataclass
class Layer:
    name: str
    atomic: Any
    data: Any


def default_connection() -> BaseDatabaseWrapper:
    from django.db import connections

    return connections[DEFAULT_DB_ALIAS]


@dataclass
class SharedData:
    """What is in the test database besides what the current test makes."""

    layers: list[Layer] = field(default_factory=list)
    # The connection object whose open transaction holds the layers. Django keeps one
    # per thread and context: Playwright's event loop gives the browser tests another
    # one, so the layers are closed on theirs, not on whichever is current.
    connection: Any = None

    def layer_data(self, name: str) -> Any:
        for layer in self.layers:
            if layer.name == name:
                return layer.data
        return None

    def close_layers(self, keep: int = 0) -> None:
        if len(self.layers) <= keep:
            return
        from django.db import connections

        current = connections[DEFAULT_DB_ALIAS]
        connections[DEFAULT_DB_ALIAS] = self.connection
        try:
            while len(self.layers) > keep:
                layer = self.layers.pop()
                transaction.set_rollback(True)
                layer.atomic.__exit__(None, None, None)
        finally:
            connections[DEFAULT_DB_ALIAS] = current

    def prepare(self, wanted: list[str]) -> None:
        """Leave exactly the layers `wanted` open, in that order, reusing open ones."""
        if self.layers and self.connection is not default_connection():
            self.close_layers()
        same = 0
        for layer, name in zip(self.layers, wanted, strict=False):
            if layer.name != name:
                break
            same += 1
        self.close_layers(keep=same)
        self.connection = default_connection()
        for name in wanted[same:]:
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                with override_settings(PASSWORD_HASHERS=TEST_PASSWORD_HASHERS):
                    data = LAYERS[name]()
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
            self.layers.append(Layer(name=name, atomic=atomic, data=data))


SHARED = SharedData()

# name of a fixture -> builds its rows once and returns what the fixture needs to
# load them again (ids). Filled in by `register_layer`, in the order layers nest:
# a layer may use the rows of those registered before it.
LAYERS: dict[str, Callable[[], Any]] = {}


def register_layer(
    name: str, *, after: str | None = None
) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Mark `name` (a fixture) as a layer whose rows `build()` makes once: nested last,
    or right after the layer `after`. Open layers are kept for the next test only as far
    as its list starts the same (`SharedData.prepare`), so a layer that tests use both
    alone and together with a later one is best placed before it."""

    def decorator(build: Callable[[], Any]) -> Callable[[], Any]:
        if after is None:
            LAYERS[name] = build
            return build
        if after not in LAYERS:
            raise ValueError(f"layer {name!r} is to follow {after!r}, not registered yet")
        items = [(key, value) for key, value in LAYERS.items() if key != name]
        at = [key for key, _value in items].index(after) + 1
        items.insert(at, (name, build))
        LAYERS.clear()
        LAYERS.update(items)
        return build

    return decorator


# Demo users are created in most tests; a slow password hash would dominate the run.
TEST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def build_organisation() -> Organisation:
    from bokvar.demo import ensure_organisation

    with override_settings(PASSWORD_HASHERS=TEST_PASSWORD_HASHERS):
        return ensure_organisation(DEMO_PASSWORD)


@register_layer("org")
def _build_organisation_layer() -> bool:
    build_organisation()
    return True


def seed_demo(*args: str) -> None:
    import io

    from django.core.management import call_command

    call_command("seed_demo", *args, stdout=io.StringIO())


# `seed_demo` as the tests run it, built once for the tests reading what it made.
DEMO_SEED_ARGS = ("--password", "pw-for-test-1")
DISTRICT_SEED_ARGS = ("--scale", "district", "--password", "pw")


@register_layer("demo_seeded")
def _build_demo_layer() -> bool:
    seed_demo(*DEMO_SEED_ARGS)
    return True


@register_layer("district_seeded")
def _build_district_layer() -> bool:
    seed_demo(*DISTRICT_SEED_ARGS)
    return True


def ensure_seeded(layer: str, args: tuple[str, ...]) -> None:
    """For the fixture `layer`: the rows are in the open layer, else seeded for this test
    (in a transactional test on PostgreSQL, a copy of the first seed: `COMMITTED`)."""
    if SHARED.layer_data(layer) is None:
        COMMITTED.build(("seed_demo", *args), lambda: seed_demo(*args))


@dataclass
class CommittedSnapshots:
    """The rows a transactional test's fixture commits, built once and copied back.

    A transactional test cannot use a layer (its rows must be committed for the live
    server or the worker to see them), so its fixtures built the demo organisation or
    ran `seed_demo` for every test, and the flush at its end removed them: seconds of
    the pytest process's CPU per browser test. On PostgreSQL the first build of a kind
    (on an empty database, in autocommit) is read back with `COPY ... TO STDOUT`; the
    next test of that kind on an empty database gets the very same rows with
    `COPY ... FROM STDIN`, as the application's role (INSERT only, as the builders
    themselves), in one transaction with the foreign keys checked at its commit. The
    rows are identical to a new build's but for their ids (the sequences are not reset
    by the flush, so a new build would have taken new ones) and the times the services
    stamped, those of the first build. Anything else (SQLite, a test inside a
    transaction, rows already there) builds as before."""

    tables: list[str] | None = None
    rows: dict[tuple[str, ...], list[tuple[str, bytes]]] = field(default_factory=dict)

    # False for a test whose sequences are reset (pytest-django's reset_sequences): its
    # rows must get the ids a new build gives, not the first build's.
    allowed: bool = True

    def usable(self) -> bool:
        connection = default_connection()
        return self.allowed and connection.vendor == "postgresql" and not connection.in_atomic_block

    def filled_tables(self) -> list[str]:
        connection = default_connection()
        if self.tables is None:
            self.tables = sorted(
                set(connection.introspection.django_table_names(only_existing=True)) - KEPT_BY_FLUSH
            )
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                " UNION ALL ".join(
                    f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(table)})"
                    for table in self.tables
                ),
                self.tables,
            )
            return [row[0] for row in cursor.fetchall()]

    def build(self, key: tuple[str, ...], build: Callable[[], Any]) -> Any:
        if not self.usable() or self.filled_tables():
            return build()
        saved = self.rows.get(key)
        if saved is not None:
            self.restore(saved)
            return None
        result = build()
        self.rows[key] = self.capture()
        return result

    def capture(self) -> list[tuple[str, bytes]]:
        connection = default_connection()
        quote = connection.ops.quote_name
        saved = []
        with connection.cursor() as cursor:
            for table in self.filled_tables():
                with cursor.cursor.copy(f"COPY {quote(table)} TO STDOUT (FORMAT BINARY)") as copy:
                    saved.append((table, b"".join(bytes(chunk) for chunk in copy)))
        return saved

    def restore(self, saved: list[tuple[str, bytes]]) -> None:
        connection = default_connection()
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table, data in saved:
                with cursor.cursor.copy(f"COPY {quote(table)} FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(data)


COMMITTED = CommittedSnapshots()


def load_organisation() -> Organisation:
    """The demo organisation as fresh objects, in the order `ensure_organisation` gives:
    read from the open layer, else built for this test."""
    from bokvar.demo import DEMO_UNITS, DEMO_USERS
    from bokvar.models import District, Unit, User

    if SHARED.layer_data("org") is None:
        built = COMMITTED.build(("organisation",), build_organisation)
        if built is not None:
            return built
    district = District.objects.get(code="norrmalm")
    by_kind = {u.kind: u for u in Unit.objects.filter(district=district)}
    by_name = {u.username: u for u in User.objects.filter(username__in=[u[0] for u in DEMO_USERS])}
    units = {kind: by_kind[kind] for _name, kind in DEMO_UNITS}
    users = {username: by_name[username] for username, *_rest in DEMO_USERS}
    return district, units, users


def is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    names = set(getattr(item, "fixturenames", ()))
    if marker:
        transactional, reset_sequences, *_ = validate_django_db(marker)
        if transactional or reset_sequences:
            return True
    return bool(names & {"transactional_db", "live_server", "django_db_reset_sequences"})


def resets_sequences(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    names = set(getattr(item, "fixturenames", ()))
    return bool(marker and validate_django_db(marker)[1]) or ("django_db_reset_sequences" in names)


def wanted_layers(item: pytest.Item) -> list[str]:
    if is_transactional(item):
        return []
    names = set(getattr(item, "fixturenames", ()))
    return [name for name in LAYERS if name in names]


# Layers that take seconds to build: the tests using them run together, after the
# other tests of the same kind (transactional or not), whatever their module.
# `district_history` (tests/steering/test_attacker.py) is used by tests of two modules.
EXPENSIVE_LAYERS = ("demo_seeded", "district_seeded", "district_history")


def needs_database(item: pytest.Item) -> bool:
    """Whether the test needs the test database set up (directly or through a fixture)."""
    return bool(item.get_closest_marker("django_db")) or "django_db_setup" in getattr(
        item, "fixturenames", ()
    )


def group_by_layers(items: list[pytest.Item]) -> None:
    """Put the tests using the same layers together, whatever their module, keeping the
    collected order otherwise: the tests that need no database first, then the others
    (transactional ones after), each part ordered by the layers it wants, in the order
    the layers nest (`LAYERS`). Tests wanting [org], then [org, outsider], then
    [org, outsider, cases] follow each other, so each list of layers is built about once
    a process and a longer list reuses the open shorter one (`SharedData.prepare`).

    Grouped within each module only, the organisation was built 39 times a run and the
    four cases 61 times (about 0.27 s and 0.11 s each); grouped across modules, a few
    times each. A module whose tests share a fixture wider than a test (single sign-on's
    identity providers, a process each) stays in one piece, at the place of its first
    test: split, it would start them again.

    The tests that need no database come first: under xdist the first process runs
    them while the other migrates the run's template database (tests/template_db.py)."""
    position = {name: index for index, name in enumerate(LAYERS)}

    def own(item: pytest.Item) -> tuple[bool, bool, tuple[int, ...]]:
        layers = tuple(position[name] for name in wanted_layers(item))
        return (needs_database(item), is_transactional(item), layers)

    # Each test sorts as a unit of its own, but a pinned module's tests sort as one unit:
    # at the first of their places, one after the other, in their own order.
    index = {id(item): n for n, item in enumerate(items)}
    unit = {id(item): (own(item), index[id(item)]) for item in items}
    wide = {item.path for item in items if shares_wider_fixtures(item)}
    pinned: dict[Any, tuple[tuple[bool, bool, tuple[int, ...]], int]] = {}
    for item in items:
        if item.path in wide:
            pinned[item.path] = min(pinned.get(item.path, unit[id(item)]), unit[id(item)])
    items.sort(key=lambda item: (pinned.get(item.path, unit[id(item)]), unit[id(item)]))


def shares_wider_fixtures(item: pytest.Item) -> bool:
    """Whether the test uses a fixture of module or class scope (set up once for the
    tests of its module or class that run one after the other)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(
        definitions[-1].scope in ("module", "class", "package")
        # The suite's own (pytest-django's class-scoped one wraps unittest classes only).
        and definitions[-1].func.__module__.startswith("tests")
        for definitions in info.name2fixturedefs.values()
        if definitions
    )


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    if fixturedef.argname == "_django_db_helper":
        item = request.node
        COMMITTED.allowed = not resets_sequences(item)
        blocker = request.getfixturevalue("django_db_blocker")
        with blocker.unblock():
            SHARED.prepare(wanted_layers(item))
    return (yield)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Generator[None]:
    """pytest-django's (migrations as the connecting administrator), then the suite acts
    as the application's restricted role (tests/db_roles.py); the open layers are rolled
    back at the end."""
    from .db_roles import become_application

    with django_db_blocker.unblock():
        become_application()
        # The permission ids a process reads once (cases.core.selectors.permissions): a
        # worker's database may be a copy made without migrating it, so no post_migrate
        # read them here. Read now, no test's counted queries depend on its order.
        from cases.core.selectors.permissions import permission_id

        permission_id("view_case")
    yield
    with django_db_blocker.unblock():
        SHARED.close_layers()
        from .template_db import drop_clone

        drop_clone()


# Tables whose rows come from the migrations' post_migrate signal, not from a test: the
# flush after a transactional test leaves them (post_migrate would make them again).
KEPT_BY_FLUSH = {"django_content_type", "auth_permission"}
# The access log and its checkpoints refuse DELETE on PostgreSQL (audit migrations 0002,
# 0005); TRUNCATE is allowed to their owner only, so the flush runs it as the owner
# (tests/db_roles.py), never as the application's role the tests act as.
TRUNCATED_BY_FLUSH = {"audit_accesslogentry", "audit_chaincheckpoint"}


def empty_only_filled_tables(original: Callable[..., list[str]]) -> Callable[..., list[str]]:
    """`DatabaseOperations.sql_flush` that empties only the tables holding rows.

    Django's flush after a transactional test truncates every table in one statement,
    which on PostgreSQL makes new files for each of them: seconds per test. Deleting
    the few rows a test left is milliseconds. Foreign keys are deferred to the commit."""

    def sql_flush(
        self: Any,
        style: Any,
        tables: list[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if reset_sequences or not tables:
            return original(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        quote = self.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute(
                " UNION ALL ".join(
                    f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(table)})" for table in tables
                ),
                list(tables),
            )
            filled = [row[0] for row in cursor.fetchall()]
        from .db_roles import owner_flush_sql

        sql = ["SET CONSTRAINTS ALL DEFERRED;"]
        truncates = []
        for table in filled:
            if table in TRUNCATED_BY_FLUSH:
                truncates.append(f"TRUNCATE {quote(table)} CASCADE;")
            elif table not in KEPT_BY_FLUSH:
                sql.append(f"DELETE FROM {quote(table)};")
        return sql + owner_flush_sql(truncates)

    return sql_flush


@pytest.fixture(autouse=True, scope="session")
def _fast_flush() -> Generator[None]:
    from django.db.backends.postgresql.operations import DatabaseOperations

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            DatabaseOperations, "sql_flush", empty_only_filled_tables(DatabaseOperations.sql_flush)
        )
        yield
