"""Publication: every table the steering group sees is published once and then kept.

A month's tables are frozen the first time they are needed (or by the scheduled freeze on
the 1st) as a monthly report; the latest version is what every page, export and API
response shows for that month. A quarter, a year or a year to date is made from its
months' published tables (`steering.stats.period_tables`) and kept as a snapshot, remade
only when one of its months gets a new version. So a reader who asks again, tomorrow or
in another format, gets the same cells: published numbers never move behind the reader's
back, and a correction shows only in a new version that hides small changes
(docs/statistics.md, rule 3).

The background task `steering.refresh_statistics` publishes, ahead of the first reader,
every completed month back to `STATS_PAST_YEARS` before last year and the quick periods.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any, cast

from django.core.signals import setting_changed
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Case as Choose
from django.db.models import Exists, F, Field, JSONField, Min, OuterRef, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from bokvar.compiled import reads_watched
from bokvar.conf import setting
from bokvar.history import system_user
from bokvar.models import District
from cases.models import Case

from . import periods, stats
from .models import MonthlyReport, StatisticsSnapshot

PUBLISHED = "published"  # frozen the first time a reader needed it


def latest_version(district: District, period: periods.Period) -> MonthlyReport | None:
    return (
        MonthlyReport.objects.filter(district=district, period=period.key)
        .order_by("-version")
        .first()
    )


class PublishedTables:
    """The published tables of any completed period, publishing what is not yet; kept
    for the call. `prefetch` reads many months' latest versions in two queries instead
    of one per month (a report's trend alone reads 24 months)."""

    def __init__(self, district: District) -> None:
        self.district = district
        self.cache: dict[str, dict] = {}
        # The months' kept distributions (`MonthlyReport.distributions`), read with them.
        self.kept: dict[str, dict] = {}
        # Months read for the trend alone: their key figures' columns and totals
        # (`prefetch(light=...)`, `for_trend`).
        self.light: dict[str, dict] = {}

    def __call__(self, period: periods.Period) -> dict:
        if period.key in self.cache:
            return self.cache[period.key]
        if period.kind == periods.MONTH:
            data, self.kept[period.key] = _month(self.district, period)
        else:
            data = _coarse(self.district, period, self)
        self.cache[period.key] = data
        return data

    def for_trend(self, month: periods.Period) -> dict:
        """A month's tables as the trend reads them (`stats.trend`: the key figures'
        columns and district totals): the whole tables when read, else the key figures'
        alone when `prefetch` read them so."""
        light = self.light.get(month.key)
        if light is not None and month.key not in self.cache:
            return light
        return self(month)

    def distributions(self, month: periods.Period) -> dict | None:
        """The distributions kept with a month read or published here (`stats.periods_tables`
        makes a longer period's medians from them), None for a month not read yet."""
        return self.kept.get(month.key)

    def prefetch(
        self,
        months: list[periods.Period],
        longer: Sequence[periods.Period] = (),
        light: Sequence[periods.Period] = (),
    ) -> dict[str, dict]:
        """Load, in one query, the latest published version of each of these months and
        the stored snapshots of the `longer` periods (the report's period and those it is
        compared with). What is kept under the current method goes to the cache; the
        others are published when first asked for, as before. Returns the snapshots read
        (also those of an earlier method: `prepare` remakes them against them).

        `light`: months only the trend reads (`for_trend`). PostgreSQL gives of them the
        key figures' columns and totals, not the whole tables: the dashboard read 24
        months of about 50 kB of JSON each at city scale, and decoding them was half of
        its CPU (issue 22). They are not in the cache: whatever asks for a month's
        tables still gets them whole."""
        keys = [m.key for m in months if m.key not in self.cache]
        light_keys = [m.key for m in light if m.key not in self.cache and m.key not in keys]
        if connection.vendor != "postgresql":  # the light form is PostgreSQL's JSON
            keys, light_keys = keys + light_keys, []
        coarse = [p.key for p in longer if p.kind != periods.MONTH and p.key not in self.cache]
        later = MonthlyReport.objects.filter(
            district=self.district, period=OuterRef("period"), version__gt=OuterRef("version")
        )
        months_read = MonthlyReport.objects.filter(
            district=self.district, period__in=keys + light_keys
        ).exclude(Exists(later))
        rows: QuerySet[Any, tuple[str, Any, Any]]
        if light_keys:
            months_read = months_read.annotate(
                shown=Choose(
                    When(period__in=light_keys, then=_key_figures_only()),
                    default=F("data"),
                    output_field=JSONField(),
                ),
                shown_distributions=Choose(
                    When(period__in=light_keys, then=Value(None, output_field=JSONField())),
                    default=F("distributions"),
                    output_field=JSONField(),
                ),
            )
            rows = months_read.values_list("period", "shown", "shown_distributions").order_by()
        else:
            rows = months_read.values_list("period", "data", "distributions").order_by()
        if coarse:
            kept = StatisticsSnapshot.objects.filter(district=self.district, period__in=coarse)
            none = Value(None, output_field=JSONField())  # a snapshot keeps no distribution
            rows = rows.union(kept.values_list("period", "data", none).order_by(), all=True)
        snapshots = {}
        light_set = set(light_keys)
        for key, data, distributions in rows:
            if key in coarse:
                snapshots[key] = data
            if data.get("schema") == stats.SCHEMA_VERSION:
                if key in light_set:
                    self.light[key] = data
                    continue
                self.cache[key] = data
                if key not in coarse:
                    self.kept[key] = distributions or {}
        return snapshots

    def publish(self, months: Sequence[periods.Period]) -> None:
        """Read, or publish now, every month of `months` not read yet: those to publish
        are counted together (`services.publish_months`), not one by one when first
        asked for (a report's trend on a fresh district is 24 cold months)."""
        from .services import publish_months

        # A month read light is published (under the current method) as one in the cache.
        wanted = [m for m in months if m.key not in self.cache and m.key not in self.light]
        if not wanted:
            return
        reports = publish_months(
            district=self.district, periods=wanted, actor=system_user(), reason=PUBLISHED
        )
        for key, report in reports.items():
            self.cache[key] = report.data
            self.kept[key] = report.distributions or {}

    def prepare(self, wanted: list[periods.Period], stored: dict[str, dict] | None = None) -> None:
        """Make the longer periods among `wanted` that are neither cached nor stored under
        the current method together: what is not a sum of months is then counted for all
        of them at once (`stats.periods_tables`), and they are stored in one statement.
        `stored`: their snapshots as `prefetch` read them (else read here, one query)."""
        coarse = [p for p in wanted if p.kind != periods.MONTH and p.key not in self.cache]
        if not coarse:
            return
        if stored is None:
            stored = self.prefetch([], coarse)
        missing = [p for p in coarse if p.key not in self.cache]
        if not missing:
            return
        # Their months whole (those read for the trend alone were not), in one read.
        self.prefetch([m for p in missing for m in p.month_periods()])
        self.publish([m for p in missing for m in p.month_periods()])
        made = stats.periods_tables(
            district=self.district,
            periods=missing,
            tables=self,
            previous={p.key: stored.get(p.key) for p in missing},
        )
        store_many(district=self.district, made=made)
        self.cache.update(made)


def _key_figures_only() -> RawSQL:
    """A month's published tables with only what the trend reads (`stats.key_value`):
    the key figures' keys, columns and totals, in their order, and the schema."""
    keys = sorted({figure for _k, _l, figure, _c, _kind, _g in stats.KEY_FIGURES})
    table = connection.ops.quote_name(MonthlyReport._meta.db_table)
    return RawSQL(  # noqa: S611  constant text; the keys are a parameter
        f"jsonb_build_object('schema', {table}.\"data\" -> 'schema', 'figures', "  # noqa: S608 (a quoted table name)
        "COALESCE((SELECT jsonb_agg(jsonb_build_object("
        "'key', f.value -> 'key', 'columns', f.value -> 'columns', 'total', f.value -> 'total'"
        f") ORDER BY f.ordinality) FROM jsonb_array_elements({table}.\"data\" -> 'figures') "
        "WITH ORDINALITY AS f WHERE f.value ->> 'key' = ANY(%s)), '[]'::jsonb))",
        (keys,),
        output_field=JSONField(),
    )


def published_tables(district: District) -> PublishedTables:
    """The published tables of any completed period, publishing what is not yet."""
    return PublishedTables(district)


def _month(district: District, period: periods.Period) -> tuple[dict, dict]:
    """A month's published tables and the distributions kept with them."""
    from .services import publish_month

    report = latest_version(district, period)
    if report is None or report.data.get("schema") != stats.SCHEMA_VERSION:
        # Not published yet, or only under the earlier method: a (new) version now.
        report = publish_month(
            district=district, period=period, actor=system_user(), reason=PUBLISHED
        )
    return report.data, report.distributions or {}


def _coarse(district: District, period: periods.Period, source) -> dict:
    snapshot = (
        StatisticsSnapshot.objects.filter(district=district, period=period.key).only("data").first()
    )
    if snapshot is not None and snapshot.data.get("schema") == stats.SCHEMA_VERSION:
        return snapshot.data
    previous = snapshot.data if snapshot is not None else None
    data = stats.period_tables(district=district, period=period, tables=source, previous=previous)
    store(district=district, period=period, data=data)
    return data


def store(*, district: District, period: periods.Period, data: dict) -> None:
    values = {"computed_at": timezone.now(), "data": data}
    try:
        with transaction.atomic():
            StatisticsSnapshot.objects.update_or_create(
                district=district, period=period.key, defaults=values
            )
    except IntegrityError:
        # Two requests made the same new snapshot at once; the other one's insert won.
        StatisticsSnapshot.objects.filter(district=district, period=period.key).update(**values)


def store_many(*, district: District, made: dict[str, dict]) -> None:
    """Store several periods' tables in one statement (an upsert: no transaction of its
    own around it, so no BEGIN and COMMIT around one statement); a period another request
    stored meanwhile is overwritten with the same tables (both made from the same
    published months and the same records)."""
    if not made:
        return
    meta = StatisticsSnapshot._meta
    fields = [
        cast(Field, meta.get_field(name)) for name in ("district", "period", "computed_at", "data")
    ]
    quoted = [connection.ops.quote_name(str(f.column)) for f in fields]
    district_col, period_col, computed_col, data_col = quoted
    now = timezone.now()
    params = [
        f.get_db_prep_save(value, connection)
        for key, data in made.items()
        for f, value in zip(fields, (district.pk, key, now, data), strict=True)
    ]
    values = ", ".join(["(%s, %s, %s, %s)"] * len(made))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({', '.join(quoted)}) "  # noqa: S608 (quoted names from the model)
            f"VALUES {values} ON CONFLICT ({district_col}, {period_col}) DO UPDATE SET "
            f"{computed_col} = EXCLUDED.{computed_col}, {data_col} = EXCLUDED.{data_col}",
            params,
        )


def containing(period: periods.Period) -> list[periods.Period]:
    """The longer periods a month is part of: its quarter, its year, and the years to
    date from it to December."""
    quarter = periods.parse_period(f"{period.start_year}-Q{(period.start_month - 1) // 3 + 1}")
    ytds = [periods.ytd(period.start_year, m) for m in range(period.start_month, 13)]
    out = {p.key: p for p in [quarter, *ytds] if p.kind != periods.MONTH}
    return list(out.values())


def republish_containing(district: District, month: periods.Period) -> None:
    """After a new version of `month`: remake every stored longer period it is part of,
    against its earlier version (small changes of its own counts hidden)."""
    source = published_tables(district)
    for period in containing(month):
        snapshot = StatisticsSnapshot.objects.filter(district=district, period=period.key).first()
        if snapshot is None:
            continue
        data = stats.period_tables(
            district=district, period=period, tables=source, previous=snapshot.data
        )
        store(district=district, period=period, data=data)


def report_for(*, district: District, period: periods.Period) -> dict:
    """The report of `period` (comparisons, key figures and trends) from published tables.

    A report is made only from what is published (its months' latest versions and its
    longer periods' snapshots), the district's name and the threshold: on PostgreSQL
    one small read of which versions and snapshots there are (`_report_key`) finds a report
    made from exactly those already in this process (`_REPORTS`), and it is given again
    instead of reading and decoding two dozen months of tables and comparing them (half
    of the year's dashboard's CPU, issue 22). A new version of a month, a snapshot made
    again, a renamed district or another threshold is another key: that report is made
    afresh. A making that published or stored anything is not kept (what it wrote is
    read on the next request, and kept then). The report given is shared: its readers
    only read it (the dashboard, its exports, the API and the home page)."""
    last = period.last_month
    compared = _compared(period)
    months = [last.shifted(-back) for back in range(stats.TREND_MONTHS)]
    wanted_months = sorted(
        {m.key for m in months} | {m.key for p in compared for m in p.month_periods()}
    )
    coarse = sorted(p.key for p in compared if p.kind != periods.MONTH)
    key = _report_key(district, period, wanted_months, coarse)
    if key is not None:
        with _REPORTS_LOCK:
            kept = _REPORTS.get(key)
            if kept is not None:
                _REPORTS.move_to_end(key)
                return kept
    with reads_watched() as statements:
        report = _make_report(district, period, last, compared, months)
    if key is not None and not _wrote(statements):
        with _REPORTS_LOCK:
            _REPORTS[key] = report
            while len(_REPORTS) > _MAX_REPORTS:
                _REPORTS.popitem(last=False)
    return report


def _make_report(
    district: District,
    period: periods.Period,
    last: periods.Period,
    compared: list[periods.Period],
    months: list[periods.Period],
) -> dict:
    source = published_tables(district)
    # The trend's months hold the period's and the year before's months too: one read,
    # whole for the compared months, the key figures alone for the others. A longer
    # compared period (a quarter, a year) is read from its snapshot, so its months are
    # read whole only when the snapshot must be made (`prepare`): the year's dashboard
    # decoded 24 whole months beside the two snapshots it shows (issue 22).
    whole = {p.key for p in compared if p.kind == periods.MONTH}
    stored = source.prefetch(
        [m for m in months if m.key in whole],
        longer=compared,
        light=[m for m in months if m.key not in whole],
    )
    # The compared periods' months are among the trend's; both published in one pass.
    source.publish(months + [m for p in compared for m in p.month_periods()])
    source.prepare(compared, stored)
    report = stats.build_report(district=district, period=period, tables=source)
    report["trend"] = stats.trend(source.for_trend, period)
    return report


# The reports made lately in this process, by what each was made from (`report_for`).
# Published, suppressed statistics only, no person. Bounded; emptied when settings
# change (tests).
_REPORTS: OrderedDict[tuple[Any, ...], dict] = OrderedDict()
_MAX_REPORTS = 64
_REPORTS_LOCK = threading.Lock()


def forget_reports(**kwargs: object) -> None:
    """Forget the reports kept in this process (settings changed; the benchmark's cold
    periods)."""
    with _REPORTS_LOCK:
        _REPORTS.clear()


setting_changed.connect(forget_reports)


def _report_key(
    district: District, period: periods.Period, months: list[str], coarse: list[str]
) -> tuple[Any, ...] | None:
    """Everything a report of `period` is made from, but the tables themselves: the
    versions of its months (each version's moment too) and the moments its longer
    periods' snapshots were made, read in one statement. None where nothing is kept
    (not PostgreSQL)."""
    alias = MonthlyReport.objects.all().db
    db = connections[alias]
    if db.vendor != "postgresql":
        return None
    with db.cursor() as cursor:
        cursor.execute(_inputs_sql(), [district.pk, months, district.pk, coarse])
        inputs = tuple(sorted(cursor.fetchall()))
    return (
        alias,
        district.pk,
        district.name,
        period.key,
        stats.SCHEMA_VERSION,
        stats.threshold(),
        inputs,
    )


@cache
def _inputs_sql() -> str:
    quote = connection.ops.quote_name
    reports, snapshots = (quote(m._meta.db_table) for m in (MonthlyReport, StatisticsSnapshot))
    return (
        f"SELECT period, version, generated_at FROM {reports} "  # noqa: S608 - the models' tables
        "WHERE district_id = %s AND period = ANY(%s) "
        f"UNION ALL SELECT period, 0, computed_at FROM {snapshots} "
        "WHERE district_id = %s AND period = ANY(%s)"
    )


_PLAN_MODE = ("SET plan_cache_mode", "RESET plan_cache_mode")  # bokvar.prepared


def _wrote(statements: list[str]) -> bool:
    """Whether anything but a read ran: a read, or a union of reads ("(SELECT …"), and the
    plan mode's setting are not writes; anything else counts (a savepoint too: at worst a
    report is not kept)."""
    return any(
        sql.lstrip(" \n\t(")[:6].upper() != "SELECT" and not sql.startswith(_PLAN_MODE)
        for sql in statements
    )


def _compared(period: periods.Period) -> list[periods.Period]:
    """The period and those a report compares it with (the one before, a year before)."""
    return [p for p in (period, period.previous(), period.year_earlier()) if p is not None]


def quick_periods(today: date) -> list[periods.Period]:
    """The periods the dashboard offers as one-click choices (see views._quick_periods)."""
    month = periods.last_full_month(today)
    quarter_index = (today.month - 1) // 3
    year, q = (today.year, quarter_index) if quarter_index else (today.year - 1, 4)
    return [
        month,
        periods.parse_period(f"{year}-Q{q}"),
        periods.ytd(month.start_year, month.start_month),
        periods.parse_period(str(today.year - 1)),
    ]


def past_years(district_first_year: int | None, today: date) -> list[periods.Period]:
    """The whole years before last year, newest first, at most `STATS_PAST_YEARS` of
    them and none before the district's first case."""
    if district_first_year is None:
        return []
    oldest = max(district_first_year, today.year - 1 - setting("STATS_PAST_YEARS"))
    return [periods.parse_period(str(y)) for y in range(today.year - 2, oldest - 1, -1)]


def refresh_all(today: date | None = None) -> int:
    """Publish ahead of the readers: the quick periods of every district and the years
    before (back to `STATS_PAST_YEARS` and the district's first case), with the months
    they are made of and the months a year before them. Idempotent: what is published
    stays as it is. Returns how many periods were looked at."""
    today = today or timezone.localdate()
    first_years = {
        row["responsible_unit__district_id"]: row["first"].year
        for row in Case.objects.order_by()
        .values("responsible_unit__district_id")
        .annotate(first=Min("opened_on"))
    }
    made = 0
    for district in District.objects.order_by("pk"):
        source = published_tables(district)
        wanted = quick_periods(today) + past_years(first_years.get(district.pk), today)
        # Every month of every period and those they are compared with, read in one
        # query and the cold ones published in one pass.
        months = [m for period in wanted for p in _compared(period) for m in p.month_periods()]
        source.prefetch(months)
        source.publish(months)
        for period in wanted:
            source.prepare(_compared(period))
            stats.build_report(district=district, period=period, tables=source)
            made += 1
    return made
