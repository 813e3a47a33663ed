"""The waterfall: an inline SVG of a test's spans, nested by parent, small enough to sit in log.html.

One row per span in causal order (a parent above its children, indented), on a shared time axis with
ticks. Labels sit in their own column, clipped to it, and durations in another, so neither can cover a
bar. A bar is coloured by its seam (system); its self time is solid and the time it spent waiting on its
children pale. Failed spans are outlined red and marked ✗; the rows of the bottleneck hop are
highlighted. Hovering a row shows the span's details. Every text is masked before it is escaped.
Markup is kept compact (classes, one translated group per row): 1000 spans cost about 100 KB of log.
"""

from __future__ import annotations

import math
from html import escape

from ..masking import MASK, Masker
from ..timeline import Span
from ..values import cut
from .hops import SpanTree

ROW = 16
LABEL_WIDTH = 330
BAR_WIDTH = 560
DURATION_WIDTH = 76
WIDTH = LABEL_WIDTH + BAR_WIDTH + DURATION_WIDTH
HEADER = 58  # title, bottleneck, legend and the axis, 14 px each, then a small gap
INDENT = 10
MAX_ROWS = 1000
TOOLTIP_ATTRIBUTES = 8
COLOURS = {
    "http": "#4e79a7",
    "sql": "#f28e2b",
    "amqp": "#b07aa1",
    "messages": "#b07aa1",
    "messaging": "#b07aa1",
    "ssh": "#9c755f",
    "sftp": "#9c755f",
    "proxy": "#76b7b2",
    "internal": "#bab0ac",
}
SPARE_COLOURS = ("#59a14f", "#edc948", "#ff9da7", "#86bcb6", "#d4a6c8")
STYLE = (
    ".slw text{font:11px monospace;fill:#222}.slw .d{text-anchor:end;fill:#555}.slw .x{stroke:#c0392b;"
    "stroke-width:1.5}.slw text.x{stroke:none;fill:#c0392b}.slw .w{fill-opacity:.3}.slw .r{fill:#fff;"
    "fill-opacity:0}.slw .n{fill:#fff1b8}.slw .g{stroke:#ddd}.slw .a{fill:#777;font-size:10px}"
)


def render_waterfall(spans: list[Span], masker: Masker, title: str = "Timeline", max_rows: int = MAX_ROWS) -> str:
    """The SVG waterfall of `spans` (HTML for an `html=True` log message); `title` is shown as given."""
    if not spans:
        return f"<p>{escape(title)}: no spans recorded.</p>"
    return _Drawing(SpanTree(spans), masker).svg(title, max_rows)


class _Drawing:
    def __init__(self, tree: SpanTree, masker: Masker):
        self.tree = tree
        self.masker = masker
        self.origin = min(span.start for span in tree.spans)
        self.total = max(max(span.end for span in tree.spans) - self.origin, 1e-6)
        self.scale = BAR_WIDTH / self.total
        self.bottleneck = tree.bottleneck()
        self.marked = _bottleneck_spans(tree, self.bottleneck.hop if self.bottleneck else None)
        self.hop_of = {id(hop.caller): hop for hop in tree.all_hops()}
        self.colours: dict[str, int] = {}

    def svg(self, title: str, max_rows: int) -> str:
        rows = list(self.tree.walk())
        shown = rows[:max_rows]
        for span, _ in shown:
            self.colours.setdefault(span.system, len(self.colours))
        height = HEADER + ROW * len(shown) + (ROW if len(rows) > len(shown) else 0)
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="slw" width="{WIDTH}" height="{height}" role="img" '
            f'aria-label="{escape(title)}"><style>{STYLE}{_colour_rules(self.colours)}</style>',
            f'<text x="4" y="12">{escape(title)}: {len(rows)} spans, {_ms(self.total)}</text>',
        ]
        if self.bottleneck:
            described = self.bottleneck.describe()
            parts.append(f'<text x="4" y="26">{escape(self.masker.text(described[0].upper() + described[1:]))}</text>')
        parts.append(_legend(self.colours))
        parts.append(_axis(self.total, self.scale, height))
        parts.extend(self._row(span, depth, HEADER + index * ROW) for index, (span, depth) in enumerate(shown))
        if len(rows) > len(shown):
            parts.append(
                f'<text x="4" y="{height - 4}">… {len(rows) - len(shown)} more spans not drawn '
                f"(the first {len(shown)} in causal order are)</text>"
            )
        parts.append("</svg>")
        return "".join(parts)

    def _row(self, span: Span, depth: int, y: int) -> str:
        colour = f"c{self.colours[span.system]}"
        failed = "" if span.ok else " x"
        own = self.tree.self_intervals(span)
        label, tooltip = self._texts(span, failed, sum(end - start for start, end in own))
        room = max(4, (LABEL_WIDTH - 8 - depth * INDENT) // 7)
        bars = []
        if self.tree.children(span):
            bars.append(self._bar(span.start, span.end, f"{colour} w{failed}"))
        bars.extend(self._bar(start, end, f"{colour}{failed}") for start, end in own)
        label_class = ' class="x"' if failed else ""
        background = "n" if id(span) in self.marked else "r"
        return (
            f'<g transform="translate(0,{y})"><title>{escape(tooltip)}</title>'
            f'<rect class="{background}" width="{WIDTH}" height="{ROW}"/>'
            f'<svg width="{LABEL_WIDTH - 6}" height="{ROW}"><text x="{4 + depth * INDENT}" y="12"{label_class}>'
            f"{escape(_clip(label, room))}</text></svg>{''.join(bars)}"
            f'<text class="d{failed}" x="{WIDTH - 4}" y="12">{_ms(span.duration)}</text></g>'
        )

    def _bar(self, start: float, end: float, classes: str) -> str:
        x = LABEL_WIDTH + (start - self.origin) * self.scale
        width = max(0.5, (end - start) * self.scale)
        return f'<rect class="{classes}" x="{x:.1f}" y="3" width="{width:.1f}" height="10"/>'

    def _texts(self, span: Span, failed: str, self_time: float) -> tuple[str, str]:
        """The row's label and its tooltip, masked in one pass of the masker (not one per value), the attribute
        lines cut after masking."""
        who = span.system if span.service == "test" else span.service
        lines = [
            f"{'✗ ' if failed else ''}{who} {span.operation} {span.target}",
            f"{span.service} {span.kind} · {span.system} {span.operation} {span.target}",
            f"{_ms(span.duration)}, self {_ms(self_time)}, from +{_ms(span.start - self.origin)}; {span.outcome}",
        ]
        hop = self.hop_of.get(id(span))
        if hop is not None:
            lines.append(f"hop {hop.name}" + (f", gap {_ms(hop.gap)}" if hop.gap is not None else ""))
        if span.correlation_id:
            lines.append(f"correlation {span.correlation_id}")
        if span.trace_id:
            lines.append(f"trace {span.trace_id} span {span.span_id or '-'}")
        head = len(lines)
        secret_name = self.masker.is_secret_name
        lines.extend(
            f"{name}={MASK if secret_name(name) else value}"
            for name, value in list(span.attributes.items())[:TOOLTIP_ATTRIBUTES]
        )
        masked = self.masker.text("\n".join(line.replace("\n", " ") for line in lines)).split("\n")
        if len(masked) == len(lines):  # else a rule masked across lines (a quoted value to the end): none to cut
            masked[head:] = [cut(line, 100) for line in masked[head:]]
        if len(span.attributes) > TOOLTIP_ATTRIBUTES:
            masked.append(f"… {len(span.attributes) - TOOLTIP_ATTRIBUTES} more attributes")
        return masked[0], "\n".join(masked[1:])


def _bottleneck_spans(tree: SpanTree, name: str | None) -> set[int]:
    if name is None:
        return set()
    return {id(span) for hop in tree.all_hops() if hop.name == name for span in (hop.caller, hop.callee) if span}


def _colour_of(system: str, index: int) -> str:
    return COLOURS.get(system) or SPARE_COLOURS[index % len(SPARE_COLOURS)]


def _colour_rules(colours: dict[str, int]) -> str:
    return "".join(f".slw .c{index}{{fill:{_colour_of(system, index)}}}" for system, index in colours.items())


def _legend(colours: dict[str, int]) -> str:
    items, x = [], 4
    for system, index in colours.items():
        items.append(f'<rect class="c{index}" x="{x}" y="32" width="10" height="10"/>')
        items.append(f'<text x="{x + 13}" y="41">{escape(system)}</text>')
        x += 24 + 7 * len(system)
    items.append(f'<rect class="c0 w" x="{x}" y="32" width="10" height="10"/><text x="{x + 13}" y="41">waiting</text>')
    x += 24 + 7 * 7
    items.append(f'<rect class="r x" x="{x}" y="32" width="10" height="10"/><text x="{x + 13}" y="41">failed</text>')
    x += 24 + 7 * 6
    items.append(f'<rect class="n" x="{x}" y="32" width="10" height="10"/><text x="{x + 13}" y="41">bottleneck</text>')
    return "".join(items)


def _axis(total: float, scale: float, height: int) -> str:
    """Round ticks with grid lines; a label starts at its tick (the last may reach into the duration column)."""
    step = _tick_step(total)
    ticks = [step * index for index in range(int(total / step + 1e-9) + 1)]
    lines = "".join(f"M{LABEL_WIDTH + tick * scale:.1f} {HEADER - 2}V{height}" for tick in ticks)
    unit, factor = ("s", 1) if total >= 1 else ("ms", 1000)
    decimals = max(0, -math.floor(math.log10(step * factor) + 1e-9))
    labels = "".join(
        f'<text class="a" x="{LABEL_WIDTH + tick * scale:.1f}" y="{HEADER - 4}">'
        f"{f'{tick * factor:.{decimals}f} {unit}' if tick else '0'}</text>"
        for tick in ticks
    )
    return f'<path class="g" d="{lines}"/>{labels}'


def _tick_step(total: float) -> float:
    """A round step (1, 2 or 5 times a power of ten seconds) giving at most 8 ticks over `total`."""
    raw = total / 8
    power = 10 ** math.floor(math.log10(raw))
    return next(power * factor for factor in (1, 2, 5, 10) if power * factor >= raw)


def _ms(seconds: float) -> str:
    milliseconds = seconds * 1000
    if milliseconds >= 1000:
        return f"{milliseconds / 1000:.2f} s"
    return f"{milliseconds:.1f} ms" if milliseconds < 100 else f"{milliseconds:.0f} ms"


def _clip(text: str, room: int) -> str:
    return text if len(text) <= room else text[: room - 1] + "…"
