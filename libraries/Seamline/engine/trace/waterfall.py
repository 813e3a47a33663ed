"""An inline SVG waterfall of a timeline, small enough to sit in log.html."""

from __future__ import annotations

from html import escape

from ..timeline import Span

ROW_HEIGHT = 18
LABEL_WIDTH = 260
BAR_WIDTH = 520
DURATION_LABEL_WIDTH = 60
COLOURS = {True: "#4c9a2a", False: "#c0392b"}


def render_waterfall(spans: list[Span], title: str = "Timeline") -> str:
    """SVG with one row per span: label on the left, a bar placed on the shared time axis."""
    if not spans:
        return f"<p>{escape(title)}: no spans recorded.</p>"
    origin = min(span.start for span in spans)
    total = max(span.end for span in spans) - origin or 1e-6
    height = ROW_HEIGHT * (len(spans) + 1) + 4  # the first row is the time axis
    rows = []
    for index, span in enumerate(spans):
        y = ROW_HEIGHT * (index + 2)
        x = LABEL_WIDTH + (span.start - origin) / total * BAR_WIDTH
        width = max(1.0, span.duration / total * BAR_WIDTH)
        label = f"{span.system} {span.operation} {span.target}"
        if len(label) > 42:
            label = label[:41] + "…"
        tooltip = f"{span.system} {span.operation} {span.target}: {span.duration * 1000:.1f} ms, {span.outcome}" + (
            f", correlation {span.correlation_id}" if span.correlation_id else ""
        )
        if x + width + DURATION_LABEL_WIDTH < LABEL_WIDTH + BAR_WIDTH:
            duration_at = f'x="{x + width + 3:.1f}"'
        else:  # no room right of a bar that ends near the edge: the label goes left of it
            duration_at = f'x="{x - 3:.1f}" text-anchor="end"'
        rows.append(
            f"<g><title>{escape(tooltip)}</title>"
            f'<text x="4" y="{y - 5}" font-size="11" font-family="monospace">{escape(label)}</text>'
            f'<rect x="{x:.1f}" y="{y - ROW_HEIGHT + 4}" width="{width:.1f}" height="{ROW_HEIGHT - 6}" '
            f'fill="{COLOURS[span.ok]}"/>'
            f'<text {duration_at} y="{y - 5}" font-size="10" font-family="monospace">'
            f"{span.duration * 1000:.1f} ms</text></g>"
        )
    axis = (
        f'<text x="{LABEL_WIDTH}" y="12" font-size="10" font-family="monospace">0 ms</text>'
        f'<text x="{LABEL_WIDTH + BAR_WIDTH - 60}" y="12" font-size="10" font-family="monospace">'
        f"{total * 1000:.1f} ms</text>"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{LABEL_WIDTH + BAR_WIDTH + 40}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">{axis}{"".join(rows)}</svg>'
    )
