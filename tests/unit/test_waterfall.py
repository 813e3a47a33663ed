"""The waterfall: one row per span nested by parent, self time apart from waiting, failures, masking, size."""

import re

import pytest
from test_hops import order_journey, span

from Seamline import listener
from Seamline.engine.context import SeamContext
from Seamline.engine.errors import SeamError
from Seamline.engine.masking import Masker
from Seamline.engine.timeline import Span
from Seamline.engine.trace.waterfall import LABEL_WIDTH, render_waterfall
from Seamline.listener import SeamListener, waterfall_setting


def test_one_row_per_span_in_causal_order_indented_by_depth():
    svg = render_waterfall(order_journey(), Masker(), "Order journey")
    rows = re.findall(r'<g transform="translate\(0,(\d+)\)">', svg)
    assert len(rows) == 9
    indents = [int(x) for x in re.findall(r'<svg width="\d+" height="16"><text x="(\d+)"', svg)]
    assert indents == [4, 14, 24, 34, 44, 44, 44, 54, 64]
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="slw"')
    assert "Order journey: 9 spans, 28.0 ms" in svg


def test_a_parent_has_a_pale_waiting_bar_and_solid_self_segments():
    svg = render_waterfall(order_journey(), Masker())
    first_row = svg.split('<g transform="translate(0,')[1]
    assert ' w"' in first_row  # the test's call waited on the gateway
    solid = re.findall(r'<rect class="c0" x="([\d.]+)" y="3" width="([\d.]+)"', first_row)
    assert len(solid) == 2  # before the gateway answered and after


def test_bars_never_enter_the_label_column_and_labels_are_clipped_to_it():
    many = [Span("sql", "select " + "x" * 200, "orders", 1.0 + i * 0.001, 0.0005) for i in range(5)]
    svg = render_waterfall(many, Masker())
    xs = [float(x) for x in re.findall(r'<rect class="c\d[^"]*" x="([\d.]+)" y="3"', svg)]
    assert xs and min(xs) >= LABEL_WIDTH
    assert svg.count(f'<svg width="{LABEL_WIDTH - 6}" height="16">') == 5  # each label in a clipping viewport
    assert "…" in svg


def test_failures_are_marked_and_the_bottleneck_is_highlighted():
    spans = order_journey(orders_work_ms=50)
    spans[4].outcome = "error: IntegrityError"
    svg = render_waterfall(spans, Masker())
    assert "✗ orders op" in svg
    assert 'class="c1 x"' in svg  # the failed SQL span's bar is outlined
    assert "Bottleneck gateway&gt;orders: 73% of the time spent in hops" in svg
    assert svg.count('<rect class="n"') == 3  # gateway's client span and orders' server span, and the legend


def test_the_axis_has_round_ticks():
    svg = render_waterfall([Span("http", "GET", "/", 1.0, 0.25)], Masker())
    assert re.findall(r'<text class="a"[^>]*>([^<]+)</text>', svg) == [
        "0",
        "50 ms",
        "100 ms",
        "150 ms",
        "200 ms",
        "250 ms",
    ]


def test_ticks_keep_the_decimals_their_step_needs():
    def ticks(seconds):
        svg = render_waterfall([Span("http", "GET", "/", 1.0, seconds)], Masker())
        return re.findall(r'<text class="a"[^>]*>([^<]+)</text>', svg)[1:3]

    assert ticks(0.0008) == ["0.1 ms", "0.2 ms"]
    assert ticks(3.5) == ["0.5 s", "1.0 s"]
    assert ticks(40.0) == ["5 s", "10 s"]


def test_hover_details_are_masked_and_escaped():
    masker = Masker()
    masker.register("hunter2-secret")
    secret_span = Span(
        "http",
        "GET",
        "/login?token=abc123&x=<b>",
        1.0,
        0.01,
        attributes={
            "http.request.header.authorization": "Bearer xyz",
            "note": "pw hunter2-secret",
            "long": "x" * 85 + "hunter2-secret",  # a line cut at 100 characters: masked first, cut then
        },
    )
    svg = render_waterfall([secret_span], masker)
    assert "hunter2" not in svg
    assert "abc123" not in svg
    assert "Bearer xyz" not in svg
    assert "&lt;b&gt;" in svg
    assert "<title>test client · http GET" in svg


def test_hop_and_trace_details_in_the_tooltip():
    svg = render_waterfall(order_journey(), Masker())
    assert "hop gateway&gt;orders, gap 2.0 ms" in svg
    assert "trace t1 span c" in svg


def test_rows_beyond_the_limit_are_counted_not_drawn():
    spans = [span("test", "client", "http", i, 0.5, f"s{i}") for i in range(30)]
    svg = render_waterfall(spans, Masker(), max_rows=10)
    assert svg.count('<g transform="translate') == 10
    assert "… 20 more spans not drawn (the first 10 in causal order are)" in svg


def test_no_spans():
    assert render_waterfall([], Masker(), "Empty") == "<p>Empty: no spans recorded.</p>"


def test_the_waterfall_setting_reads_robot_spellings_and_refuses_others():
    assert [waterfall_setting(value) for value in (True, "False", "off", "YES", "failures", "Failures")] == [
        True,
        False,
        False,
        True,
        "failures",
        "failures",
    ]
    with pytest.raises(SeamError, match="Timeline: waterfall must be True, False or failures, got 'sometimes'"):
        waterfall_setting("sometimes")


def test_a_listener_set_off_draws_nothing(monkeypatch):
    logged = []
    monkeypatch.setattr(listener.logger, "info", lambda message, html=False: logged.append(message))
    ctx = SeamContext()
    ctx.timeline.record("http", "GET", "/", 1.0, 0.01)
    failed = type("Result", (), {"name": "t", "passed": False})()
    SeamListener(ctx, None, waterfall="False")._draw_waterfall(failed)  # type: ignore[arg-type]
    assert logged == []
    SeamListener(ctx, None, waterfall="failures")._draw_waterfall(failed)  # type: ignore[arg-type]
    assert len(logged) == 1 and "<svg" in logged[0]


def test_the_waterfall_passes_the_safety_net_unmasked_again_and_every_other_message_is_masked(monkeypatch):
    ctx = SeamContext()
    ctx.masker.register("hunter2-secret")
    ctx.timeline.record("http", "GET", "/", 1.0, 0.01)
    seam = SeamListener(ctx, None)  # type: ignore[arg-type]
    masked_texts = []
    text = ctx.masker.text
    monkeypatch.setattr(ctx.masker, "text", lambda given: masked_texts.append(given) or text(given))
    messages = []

    def log(message: str, html: bool = False) -> None:  # as Robot does: the message reaches the listener
        logged = type("Message", (), {"message": message})()
        seam.log_message(logged)
        messages.append(logged.message)

    monkeypatch.setattr(listener.logger, "info", log)
    seam._draw_waterfall(type("Result", (), {"name": "t", "passed": True})())
    [drawn] = messages
    assert "<svg" in drawn and drawn not in masked_texts  # drawn from masked pieces, not masked whole again
    log("the same message later: pw hunter2-secret")
    assert messages[-1] == "the same message later: pw ***"
