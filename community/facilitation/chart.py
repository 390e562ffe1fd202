"""A bar chart of weekly activity as SVG markup, drawn on the server.

No script, no style attribute (the CSP forbids inline style), no external images:
presentation attributes and classes only. Accessible: role="img" with <title> and
<desc> referenced by aria-labelledby; the page also shows the same numbers as a table.
"""

from __future__ import annotations

from datetime import date

from babel import Locale
from babel.dates import format_skeleton
from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
LEFT, BOTTOM, TOP, RIGHT = 40, 40, 16, 8


def weekly_bars(weeks: list[tuple[date, int]], *, title: str, desc: str,
                chart_id: str = "activity-chart", locale: Locale | str = "en") -> Markup:
    """SVG for (week start, count) pairs, oldest first; days written as `locale` writes
    day and month ("22.11." in nb, "11/22" in en)."""
    peak = max((n for _, n in weeks), default=0) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(weeks), 1)
    bar_w = max(slot * 0.7, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        f'stroke="currentColor" stroke-width="1"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-size="11" '
        f'fill="currentColor">{peak}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" font-size="11" '
        f'fill="currentColor">0</text>',
    ]
    for i, (start, count) in enumerate(weeks):
        h = plot_h * count / peak
        x = LEFT + i * slot + (slot - bar_w) / 2
        y = TOP + plot_h - h
        label = format_skeleton("dM", start, locale=locale)
        parts.append(f'<rect class="chart-bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                     f'height="{h:.1f}" fill="#2f6f9f"><title>{escape(label)}: {count}'
                     f'</title></rect>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                     f'text-anchor="middle" font-size="10" fill="currentColor">'
                     f'{escape(label)}</text>')
    parts.append("</svg>")
    svg = "".join(parts)
    return Markup(svg)  # noqa: S704 # nosec B704 # every value is escaped above or a number
