"""Charts drawn on the server as SVG: no script, no build step, no network (the console's
CSP forbids inline style, so only presentation attributes are used)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["bars", "daily"]

SENT, RECEIVED, BAD = "#1f6feb", "#2da44e", "#cf222e"


def daily(days: Sequence[str], sent: Sequence[int], received: Sequence[int], title: str) -> Markup:
    """Grouped columns per day (sent, received), the busiest day's count on the axis."""
    width, height, pad = 640, 180, 24
    top = max([1, *sent, *received])
    step = (width - pad) / max(1, len(days))
    bar = max(1.0, step / 2 - 1)
    parts = [
        f'<svg class="chart" id="chart-daily" viewBox="0 0 {width} {height + 20}" role="img"'
        f' aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text x="0" y="12" font-size="11">{top}</text>',
        f'<line x1="{pad}" y1="{height}" x2="{width}" y2="{height}" stroke="#888"/>',
    ]
    for i, day in enumerate(days):
        x = pad + i * step
        for j, (count, colour) in enumerate(((sent[i], SENT), (received[i], RECEIVED))):
            h = (height - 16) * count / top
            parts.append(
                f'<rect x="{x + j * bar:.1f}" y="{height - h:.1f}" width="{bar:.1f}"'
                f' height="{h:.1f}" fill="{colour}"><title>{escape(day)}: {count}</title></rect>'
            )
        if len(days) <= 10 or i % max(1, len(days) // 6) == 0:
            parts.append(f'<text x="{x:.1f}" y="{height + 14}" font-size="10">{escape(day)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text in it went through escape()


def bars(labels: Sequence[str], values: Sequence[int], title: str, chart_id: str) -> Markup:
    """Horizontal bars, one per label, longest first as given."""
    row, width, label_w = 18, 640, 300
    top = max([1, *values])
    height = row * max(1, len(labels))
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {width} {height}" role="img"'
        f' aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = i * row
        w = (width - label_w - 40) * value / top
        parts.append(
            f'<text x="0" y="{y + 13}" font-size="11">{escape(label[:48])}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="{BAD}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" font-size="11">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text in it went through escape()
