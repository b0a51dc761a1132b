"""Server-rendered SVG bar charts: no JavaScript, no network, no build step.

Each chart shows the district totals of one figure: per column a group of three
bars (this period, the previous period, the same period a year earlier). The
three series differ by fill pattern as well as colour (WCAG 1.4.1), carry a
text alternative, and the page shows the same numbers in a table beside it.
Hidden (suppressed) values draw no bar and say so in the label.
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

BAR = 14
GAP = 10
LABEL_WIDTH = 270
CHART_WIDTH = 640
SERIES = [
    ("current", "url(#bk-solid)"),
    ("previous", "url(#bk-hatch)"),
    ("year_earlier", "url(#bk-dots)"),
]

DEFS = """<defs>
<pattern id="bk-solid" width="4" height="4" patternUnits="userSpaceOnUse">
<rect width="4" height="4" fill="#0b4f6c"/></pattern>
<pattern id="bk-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
<rect width="6" height="6" fill="#ffffff"/><rect width="3" height="6" fill="#8a1c1c"/></pattern>
<pattern id="bk-dots" width="6" height="6" patternUnits="userSpaceOnUse">
<rect width="6" height="6" fill="#ffffff"/><circle cx="3" cy="3" r="2" fill="#1b1b1b"/></pattern>
</defs>"""


def series_labels() -> dict[str, str]:
    return {
        "current": _("This period"),
        "previous": _("Previous period"),
        "year_earlier": _("Same period a year earlier"),
    }


def bar_chart(figure: dict, *, chart_id: str, title: str, columns: list[str]) -> SafeString:
    """An SVG of `figure["comparison"]`; `columns` are the translated column labels."""
    from .presenters import shown

    rows = figure["comparison"]
    values = [
        row[name]["value"]
        for row in rows
        for name, _fill in SERIES
        if row[name]["value"] is not None
    ]
    top = max(values or [0]) or 1
    group = len(SERIES) * BAR + GAP
    height = len(rows) * group + 20
    labels = series_labels()
    parts = []
    summary = []
    for index, row in enumerate(rows):
        y0 = index * group + 10
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="#1b1b1b">{}</text>',
                LABEL_WIDTH - 8,
                y0 + BAR * 2 - 2,
                _short(columns[index]),
            )
        )
        said = []
        for k, (name, fill) in enumerate(SERIES):
            cell = row[name] or {"value": None, "display": "–"}
            y = y0 + k * BAR
            if cell["value"] is None:
                text = _("hidden")
            else:
                width = _bar(cell["value"], top)
                parts.append(
                    format_html(
                        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#1b1b1b" '
                        'stroke-width="0.5"/>',
                        LABEL_WIDTH,
                        y + 1,
                        max(width, 1) if cell["value"] else 0,
                        BAR - 2,
                        fill,
                    )
                )
                text = shown(cell)
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="11" fill="#1b1b1b">{}</text>',
                    LABEL_WIDTH + 4 + (0 if cell["value"] is None else _bar(cell["value"], top)),
                    y + BAR - 3,
                    shown(cell),
                )
            )
            said.append(f"{labels[name]} {text}")
        summary.append(f"{columns[index]}: " + ", ".join(said))
    desc = "; ".join(summary)
    svg = format_html(
        '<svg class="chart" role="img" aria-labelledby="{id}-t {id}-d" viewBox="0 0 {w} {h}" '
        'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=CHART_WIDTH,
        h=height,
        title=title,
        desc=desc,
        body=mark_safe("".join(str(p) for p in parts)),  # noqa: S308 - every part escaped above
    )
    return svg


def _short(label: str, most: int = 40) -> str:
    # The full label is in the description and in the table beside the chart.
    return label if len(label) <= most else label[: most - 1] + "…"


def _bar(value: int, top: int) -> int:
    return round((CHART_WIDTH - LABEL_WIDTH - 60) * value / top)


def pattern_defs() -> SafeString:
    """The fill patterns, once per page; every chart and the legend refer to them."""
    return mark_safe(  # noqa: S308 - a constant
        '<svg width="0" height="0" aria-hidden="true" focusable="false" class="visually-hidden">'
        + DEFS
        + "</svg>"
    )


def legend() -> SafeString:
    """The key to the three patterns, as text beside the swatch (not colour alone)."""
    labels = series_labels()
    items = [
        format_html(
            '<li><svg width="28" height="14" aria-hidden="true" focusable="false">'
            '<rect width="28" height="14" fill="{}" stroke="#1b1b1b"/></svg> {}</li>',
            fill,
            labels[name],
        )
        for name, fill in SERIES
    ]
    return format_html(
        '<ul class="chart-legend">{}</ul>',
        mark_safe("".join(map(str, items))),  # noqa: S308 - items escaped above
    )


TREND_WIDTH = 240
TREND_HEIGHT = 70
TREND_PAD = 6


def trend_chart(points: list[dict], *, chart_id: str, title: str, kind: str) -> SafeString:
    """A small line chart of a key figure over 24 months: the last 12 months as a solid
    line, the 12 months before as a dashed one (so this year's trend and last year's are
    read against each other). A hidden month is a gap in the line, never a guess. The
    same numbers are in the table beside the chart."""
    from .presenters import shown

    recent, before = points[-12:], points[-24:-12]
    values = [p["value"] for p in points if p.get("value") is not None]
    top = max(values or [0]) or 1
    step = (TREND_WIDTH - 2 * TREND_PAD) / 11

    def path(series: list[dict]) -> str:
        parts, pen_down = [], False
        for k, point in enumerate(series):
            if point.get("value") is None:
                pen_down = False
                continue
            x = TREND_PAD + k * step
            y = TREND_HEIGHT - TREND_PAD - (TREND_HEIGHT - 2 * TREND_PAD) * point["value"] / top
            parts.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
            pen_down = True
        return " ".join(parts)

    def dots(series: list[dict], fill: str) -> str:
        out = []
        for k, point in enumerate(series):
            if point.get("value") is None:
                continue
            x = TREND_PAD + k * step
            y = TREND_HEIGHT - TREND_PAD - (TREND_HEIGHT - 2 * TREND_PAD) * point["value"] / top
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{fill}"/>')
        return "".join(out)

    def said(series: list[dict]) -> str:
        return ", ".join(f"{p['month']} {shown(p, kind)}" for p in series)

    desc = _("Last 12 months: %(recent)s. The 12 months before: %(before)s.") % {
        "recent": said(recent),
        "before": said(before) or "–",
    }
    body = (
        f'<line x1="{TREND_PAD}" y1="{TREND_HEIGHT - TREND_PAD}" x2="{TREND_WIDTH - TREND_PAD}" '
        f'y2="{TREND_HEIGHT - TREND_PAD}" stroke="#6b6b6b" stroke-width="0.5"/>'
        f'<path d="{path(before)}" fill="none" stroke="#6b6b6b" stroke-width="1.5" '
        f'stroke-dasharray="4 3"/>'
        f'<path d="{path(recent)}" fill="none" stroke="#0b4f6c" stroke-width="2.5"/>'
        + dots(recent, "#0b4f6c")
    )
    return format_html(
        '<svg class="trend" role="img" aria-labelledby="{id}-t {id}-d" viewBox="0 0 {w} {h}" '
        'width="100%" preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=TREND_WIDTH,
        h=TREND_HEIGHT,
        title=_("%(figure)s, month by month") % {"figure": title},
        desc=desc,
        body=mark_safe(body),  # noqa: S308 - numbers and constants only
    )
