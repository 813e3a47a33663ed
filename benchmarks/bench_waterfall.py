"""Benchmark: what the waterfall drawn at the end of every test costs, in log.html bytes and render time.

- A 200-call journey (`Call Api` against a local keep-alive HTTP server, the one bench_api uses): log.html
  size with the waterfall (the default), with ``waterfall=False``, and the same 200 calls made with
  RequestsLibrary's `GET On Session` (what users have without Seamline: no waterfall at all), same run.
- 1000 spans (traced order journeys of 9 spans, nested five deep, as a tracing system sends them): render
  time of the SVG (best of 5), its raw size, and what it adds to log.html (Robot keeps long messages
  zlib-compressed in log.html). Goal: 1000 spans cost at most ~100 KB of log.

    .venv/bin/python benchmarks/bench_waterfall.py [--calls 200] [--spans 1000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from bench_api import SERVER
from common import local_server, print_table, run_robot, write_results

from Seamline.engine.masking import Masker
from Seamline.engine.timeline import Span
from Seamline.engine.trace.waterfall import render_waterfall

# One traced order journey: (service, kind, system, start ms, duration ms, parent index or None).
JOURNEY = (
    ("test", "client", "http", 0, 23, None),
    ("gateway", "server", "http", 1, 21, 0),
    ("gateway", "client", "http", 2, 18, 1),
    ("orders", "server", "http", 3, 16, 2),
    ("orders", "client", "sql", 14, 2, 3),
    ("orders", "client", "sql", 16, 1, 3),
    ("orders", "producer", "amqp", 17, 1, 3),
    ("inventory", "consumer", "amqp", 22, 6, 6),
    ("inventory", "client", "sql", 23, 3, 7),
)

SPANS_LIBRARY = """
from robot.libraries.BuiltIn import BuiltIn
from bench_waterfall import traced_spans

def record_traced_spans(count):
    timeline = BuiltIn().get_library_instance("Seamline").ctx.timeline
    for span in traced_spans(int(count)):
        timeline.add(span)
"""

SUITES = {
    "Seamline Call Api, waterfall (default)": ("Library    Seamline", "Connect To Api    ${URL}", "Call Api    GET"),
    "Seamline Call Api, waterfall=False": (
        "Library    Seamline    waterfall=False",
        "Connect To Api    ${URL}",
        "Call Api    GET",
    ),
    "RequestsLibrary GET On Session": (
        "Library    RequestsLibrary",
        "Create Session    s    ${URL}",
        "GET On Session    s",
    ),
}


def traced_spans(count: int) -> list[Span]:
    """`count` spans of traced order journeys, one after another, with the attributes an exporter sends."""
    spans: list[Span] = []
    origin = time.time()
    for journey in range((count + len(JOURNEY) - 1) // len(JOURNEY)):
        ids = [f"{journey:08x}{index:08x}" for index in range(len(JOURNEY))]
        at = origin + journey * 0.03
        for index, (service, kind, system, start, duration, parent) in enumerate(JOURNEY):
            attributes = {"http.method": "POST", "http.route": "/orders", "net.peer.name": "127.0.0.1"}
            spans.append(
                Span(
                    system,
                    "POST" if system == "http" else "INSERT",
                    "/orders" if system == "http" else "orders",
                    at + start / 1000,
                    duration / 1000,
                    attributes=attributes,
                    trace_id=f"{journey:032x}",
                    span_id=ids[index],
                    parent_id=None if parent is None else ids[parent],
                    service=service,
                    kind=kind,
                )
            )
    return spans[:count]


def log_html_bytes(work: Path, name: str, suite: str, *options: str) -> int:
    """Run `suite`, then write its log.html with rebot; its size in bytes."""
    path = work / f"{name}.robot"
    path.write_text(suite, encoding="utf-8")
    output = work / f"{name}.xml"
    run_robot(name, path, "--loglevel", "INFO", *options, output=output, timeout=600)
    log = work / f"{name}.html"
    command = [sys.executable, "-m", "robot.rebot", "--log", str(log), "--report", "NONE", str(output)]
    subprocess.run(command, capture_output=True, check=True, timeout=300)
    return log.stat().st_size


def journey_suite(library: str, setup: str, call: str, calls: int) -> str:
    return textwrap.dedent(f"""\
        *** Settings ***
        {library}

        *** Test Cases ***
        Journey
            {setup}
            FOR    ${{i}}    IN RANGE    {calls}
                {call}    /orders/1
            END
        """)


def spans_suite(library: str, spans: int) -> str:
    return textwrap.dedent(f"""\
        *** Settings ***
        {library}
        Library    BenchSpans.py

        *** Test Cases ***
        Traced Journeys
            Record Traced Spans    {spans}
        """)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--spans", type=int, default=1000)
    args = parser.parse_args()

    spans = traced_spans(args.spans)
    renders = []
    for _ in range(5):
        started = time.perf_counter()
        svg = render_waterfall(spans, Masker(), "Traced journeys")
        renders.append(time.perf_counter() - started)

    with local_server(SERVER) as url, tempfile.TemporaryDirectory(prefix="seamline-bench-waterfall-") as tmp:
        work = Path(tmp)
        (work / "BenchSpans.py").write_text(SPANS_LIBRARY, encoding="utf-8")
        options = ("--variable", f"URL:{url}", "--pythonpath", str(Path(__file__).parent))
        journeys = {
            tool: log_html_bytes(work, f"journey_{index}", journey_suite(*parts, args.calls), *options)
            for index, (tool, parts) in enumerate(SUITES.items())
        }
        with_spans = log_html_bytes(work, "spans_on", spans_suite("Library    Seamline", args.spans), *options)
        without_spans = log_html_bytes(
            work, "spans_off", spans_suite("Library    Seamline    waterfall=False", args.spans), *options
        )

    without = journeys["Seamline Call Api, waterfall=False"]
    rows = [
        {
            "log": tool,
            "log_html_kb": round(size / 1024, 1),
            "ratio_to_no_waterfall": round(size / without, 3),
        }
        for tool, size in journeys.items()
    ]
    waterfall_kb = (journeys["Seamline Call Api, waterfall (default)"] - without) / 1024
    report = {
        "benchmark": "waterfall",
        "calls": args.calls,
        "rows": rows,
        "waterfall_of_the_journey_kb": round(waterfall_kb, 1),
        "spans": args.spans,
        "render_ms": round(min(renders) * 1000, 1),
        "render_us_per_span": round(min(renders) / args.spans * 1e6, 1),
        "svg_raw_kb": round(len(svg) / 1024, 1),
        "log_html_kb_added_by_spans_waterfall": round((with_spans - without_spans) / 1024, 1),
        "notes": (
            "log.html written by rebot from each run's output.xml at --loglevel INFO; the journey is one test "
            f"making {args.calls} GET calls to a local keep-alive server. The spans part joins {args.spans} spans "
            "of traced order journeys (9 spans each, five deep) to one test; render_ms is the best of 5 renders "
            "of its SVG in this process (the machine was shared with other work when measured)."
        ),
    }
    written = write_results("waterfall", report)
    print_table(
        rows,
        [("log", "log", "<40"), ("log.html KB", "log_html_kb", ">12.1f"), ("ratio", "ratio_to_no_waterfall", ">6.3f")],
    )
    print(f"waterfall of the {args.calls}-call journey: {waterfall_kb:.1f} KB of log.html")
    print(
        f"{args.spans} spans: render {report['render_ms']} ms ({report['render_us_per_span']} us/span), SVG "
        f"{report['svg_raw_kb']} KB raw, {report['log_html_kb_added_by_spans_waterfall']} KB added to log.html"
    )
    print(f"wrote {written}")


if __name__ == "__main__":
    main()
