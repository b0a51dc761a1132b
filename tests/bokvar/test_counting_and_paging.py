"""Several counts in one query (bokvar.counting, the navigation badges) and a pager
that counts at most a thousand rows past its page (bokvar.paging, issue 22 point 2)."""

from unittest import mock

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bokvar.counting import count_together, counter
from bokvar.models import Membership, Unit, User
from bokvar.paging import CappedPaginator
from bokvar.prepared import generic_plan, prepares
from tests.prepared_plans import prepared_plans

pytestmark = pytest.mark.django_db


def test_counts_together_equal_the_counts_one_by_one_in_one_query(org):
    querysets = [
        User.objects.filter(is_active=True),
        Unit.objects.filter(kind=Unit.Kind.ADULT),
        Membership.objects.filter(user=org.users["coordinator"]),
        Unit.objects.filter(name="no such unit"),
    ]
    expected = [qs.count() for qs in querysets]
    assert expected[0] > 1 and expected[3] == 0
    with CaptureQueriesContext(connection) as ctx:
        assert count_together(querysets) == expected
    statements = [q["sql"] for q in ctx.captured_queries if "plan_cache_mode" not in q["sql"]]
    assert len(statements) == 1  # around it, where prepared, the plan mode (generic_plan)


def test_querysets_empty_by_construction_cost_no_query():
    with CaptureQueriesContext(connection) as ctx:
        assert count_together([Unit.objects.none(), Unit.objects.filter(pk__in=[])]) == [0, 0]
        assert count_together([]) == []
    assert len(ctx) == 0


def test_counted_up_to_most_and_no_further(org):
    querysets = [User.objects.filter(is_active=True), Unit.objects.filter(name="no such unit")]
    everyone = querysets[0].count()
    assert everyone > 3
    with CaptureQueriesContext(connection) as ctx:
        assert counter(querysets, most=3)() == [3, 0]
    (statement,) = [q["sql"] for q in ctx.captured_queries if "plan_cache_mode" not in q["sql"]]
    assert "LIMIT 3" in statement  # the database stops at three rows, not the count
    assert counter(querysets, most=everyone + 1)() == [everyone, 0]
    assert counter(querysets)() == [everyone, 0]


def test_a_distinct_queryset_is_counted_distinct(org):
    qs = User.objects.filter(memberships__isnull=False).distinct()
    assert count_together([qs]) == [qs.count()]


def _pager(asked, cap=10):
    # 23 users at least: the demo organisation's staff plus some.
    return CappedPaginator(User.objects.order_by("id"), 3, asked=asked, cap=cap)


@pytest.fixture
def users(org):
    from tests.factories import UserFactory

    for i in range(25 - User.objects.count()):
        UserFactory(username=f"extra{i}")
    return User.objects.count()


def test_a_small_list_is_counted_exactly(users):
    pager = _pager(None, cap=1000)
    assert pager.count == users and not pager.more


def test_a_long_list_counts_to_the_cap_and_says_more(users):
    pager = _pager("1", cap=10)
    assert pager.count == 10 and pager.more
    page = pager.get_page("1")
    assert page.has_next() and len(page.object_list) == 3
    # Counting from the page asked for: page 4 starts at row 10 and counts ten more.
    pager = _pager("4", cap=10)
    assert pager.count == 19 and pager.more
    assert pager.get_page("4").number == 4


def test_every_row_stays_reachable_page_by_page(users):
    seen, number = [], 1
    while True:
        pager = _pager(str(number), cap=4)
        page = pager.get_page(str(number))
        seen += [u.pk for u in page.object_list]
        if not page.has_next():
            break
        number = page.next_page_number()
    assert seen == list(User.objects.order_by("id").values_list("pk", flat=True))


def test_a_page_past_the_end_lands_on_the_last_page(users):
    pager = _pager("999")
    assert pager.count == users and not pager.more
    page = pager.get_page("999")
    assert page.number == pager.num_pages and not page.has_next()


def test_a_page_that_is_no_number_is_the_first(users):
    assert _pager("last").get_page("last").number == 1
    assert _pager(None).get_page(None).number == 1


def test_the_count_is_one_bounded_query(users):
    with CaptureQueriesContext(connection) as ctx:
        _pager("2", cap=5).count  # noqa: B018
    assert len(ctx) == 1
    assert "LIMIT 6 OFFSET 3" in ctx.captured_queries[0]["sql"]


def test_a_page_short_of_full_ends_the_list_and_needs_no_count(users):
    """Its rows are read first: fewer than a page holds, and the count is its start and
    its rows, without a statement of its own (issue 22, the twenty-second round)."""
    every = list(User.objects.order_by("id")[:7])
    seven = User.objects.order_by("id")[:7]  # not read yet
    for rows, asked, want, pages in ((seven, "3", every[6:], 3), (seven[:2], "1", every[:2], 1)):
        with CaptureQueriesContext(connection) as ctx:
            pager = CappedPaginator(rows, 3, asked=asked, cap=10)
            page = pager.get_page(asked)
            assert list(page.object_list) == want
            assert not page.has_next() and not pager.more and pager.num_pages == pages
        assert len(ctx) == 1, ctx.captured_queries
    with CaptureQueriesContext(connection) as ctx:
        empty = CappedPaginator(User.objects.none(), 3, asked=None).get_page(None)
    assert empty.number == 1 and list(empty.object_list) == [] and empty.paginator.count == 0
    assert len(ctx) == 0


def test_a_full_page_is_still_counted_and_one_number_is_asked(users):
    with CaptureQueriesContext(connection) as ctx:
        pager = _pager("2", cap=5)
        page = pager.get_page("2")
        assert len(page.object_list) == 3 and page.has_next() and pager.count == 8
    assert len(ctx) == 2 and "LIMIT 6 OFFSET 3" in ctx.captured_queries[1]["sql"]
    with pytest.raises(ValueError, match="page '3' asked of a pager made for page 2"):
        _pager("2").get_page("3")


def _read_with_count(asked, cap=5):
    """A pager whose rows and count are read together (`page_and_count`), with what it
    was asked for."""
    rows = User.objects.order_by("id")
    asked_for = []

    def page_and_count(page, ids, window):
        asked_for.append((page, window))
        return list(rows[page]), ids()[window].count()

    return CappedPaginator(rows, 3, asked=asked, cap=cap, page_and_count=page_and_count), asked_for


def test_a_page_read_with_its_count_needs_no_count_after(users):
    """The case list's count goes with its page (issue 22, the twenty-ninth round): the
    pager asks for both in one go, for the page's rows and the count's window, and
    counts nothing after."""
    pager, asked_for = _read_with_count("2")
    second = [u.pk for u in User.objects.order_by("id")[3:6]]
    with CaptureQueriesContext(connection) as ctx:
        page = pager.get_page("2")
        assert [u.pk for u in page.object_list] == second
        assert pager.count == 8 and pager.more and page.has_next()
    assert asked_for == [(slice(3, 6), slice(3, 9))]
    assert len(ctx) == 2  # the rows and the count, both by page_and_count
    # Near the end: counted exactly, no more.
    last = (users - 1) // 3 + 1
    pager, _ = _read_with_count(str(last), cap=10)
    assert pager.get_page(str(last)).number == last
    assert pager.count == users and not pager.more


def test_a_short_page_read_with_its_count_is_counted_by_its_rows(users):
    """A count read with the page is not trusted over the rows where the page is short:
    the rows are the list's end."""
    rows = User.objects.order_by("id")
    pager = CappedPaginator(
        rows, 3, asked="1", page_and_count=lambda page, ids, window: (list(rows[:2]), 99)
    )
    page = pager.get_page("1")
    assert pager.count == 2 and not page.has_next()
    # Not counted with the page (None): counted after, where the page is full.
    pager = CappedPaginator(
        rows, 3, asked="1", cap=5, page_and_count=lambda page, ids, window: (list(rows[page]), None)
    )
    with CaptureQueriesContext(connection) as ctx:
        assert pager.get_page("1").has_next() and pager.count == 5 and pager.more
    assert len(ctx) == 2 and "LIMIT 6" in ctx.captured_queries[1]["sql"]


def test_a_page_past_the_end_read_with_its_count_lands_on_the_last_page(users):
    pager, _ = _read_with_count("999")
    page = pager.get_page("999")
    assert page.number == pager.num_pages == (users - 1) // 3 + 1 and not page.has_next()
    assert pager.count == users


def test_values_that_need_quoting_are_counted_as_the_orm_counts(org):
    # The badges' statement binds values of every kind, on the server where statements
    # are prepared: quotes, a percent sign, a date, a list of ids.
    coordinator = org.users["coordinator"]
    ids = list(Unit.objects.values_list("pk", flat=True)[:3])
    querysets = [
        User.objects.filter(username__contains="%"),
        User.objects.filter(last_name="O'Brien %s"),
        # The day in the installation's time zone, as the lookup compares it (the UTC
        # day is the day before between midnight and one in the morning in Stockholm).
        User.objects.filter(
            date_joined__date__lte=timezone.localtime(coordinator.date_joined).date()
        ),
        Unit.objects.filter(pk__in=ids),
        Membership.objects.filter(user=coordinator, unit__name__startswith="'"),
    ]
    User.objects.filter(pk=coordinator.pk).update(last_name="O'Brien %s")
    expected = [qs.count() for qs in querysets]
    assert expected[1] == 1 and expected[2] >= 1 and expected[3] == len(ids)
    assert count_together(querysets) == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements")
def test_a_kept_count_keeps_one_generic_plan_and_its_values_bound(org):
    # PostgreSQL planned the badges' prepared statement afresh on every run while it
    # preferred custom plans; the count runs on its generic plan (bokvar.prepared),
    # its values still bound, so every reader of the same roles shares its text.
    querysets = [
        Membership.objects.filter(user=org.users["coordinator"]),
        Unit.objects.filter(kind=Unit.Kind.ADULT, district=org.district),
    ]
    count = counter(querysets)
    for _ in range(6):
        assert count() == [qs.count() for qs in querysets]
    rows, mode = prepared_plans("SELECT (SELECT COUNT(*)%bokvar_membership%")
    assert len(rows) == 1, rows
    generic, custom, types = rows[0]
    assert types and custom == 0 and generic >= 4
    assert mode == "auto"  # the session's setting as it was, after the count


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements")
def test_the_generic_plan_setting_is_reset_when_the_statement_fails():
    with connection.cursor() as cursor:
        with pytest.raises(RuntimeError), generic_plan(cursor, connection.alias):
            cursor.execute("SHOW plan_cache_mode")
            assert cursor.fetchone()[0] == "force_generic_plan"
            raise RuntimeError("the statement failed")
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "auto"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements")
def test_a_failure_inside_a_transaction_is_not_hidden_and_the_rollback_resets(org):
    with (
        pytest.raises(DatabaseError, match="no_such_table"),
        transaction.atomic(),
        connection.cursor() as cursor,
        generic_plan(cursor, connection.alias),
    ):
        cursor.execute("SELECT * FROM no_such_table WHERE id = %s", [1])
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "auto"


def test_without_prepared_statements_nothing_is_set():
    # A connection without a prepare threshold (runserver, DATABASE_PREPARE_THRESHOLD=off,
    # a pooler in transaction mode) or SQLite: no session setting to carry elsewhere.
    options = {**connection.settings_dict.get("OPTIONS", {})}
    options.pop("prepare_threshold", None)
    fake = mock.Mock()
    with mock.patch.dict(connection.settings_dict, {"OPTIONS": options}):
        assert not prepares(connection.alias)
        with generic_plan(fake, connection.alias):
            pass
        # What is sent after the block still is, after it.
        then = mock.Mock()
        with generic_plan(fake, connection.alias, then=then):
            then.assert_not_called()
        then.assert_called_once_with()
    fake.execute.assert_not_called()
