"""The waterfall drawn at the end of every test, in that test of log.html, and the `waterfall=` opt-out."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

LIBRARIES = Path(__file__).resolve().parents[1] / "acceptance" / "libraries"
SUITE = textwrap.dedent(
    """\
    *** Settings ***
    Library    Seamline    {import_args}
    Library    ApiTestServers.py
    Library    ReceivedSpans.py

    *** Test Cases ***
    Passing Journey
        ${{url}} =    Start Json Test Server
        Connect To Api    ${{url}}
        Call Api    GET    /orders/1
        Record A Traced Order Journey    orders_work=40ms
        [Teardown]    Log    teardown done

    Failing Journey
        Record A Traced Order Journey    failed=e
        Fail    on purpose

    No Spans
        Log    nothing crossed
    """
)


def run_suite(directory: Path, import_args: str = "") -> ET.Element:
    suite = directory / "journeys.robot"
    suite.write_text(SUITE.format(import_args=import_args), encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "robot", "--pythonpath", str(LIBRARIES), "--outputdir", str(directory), str(suite)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    return ET.parse(directory / "output.xml").getroot()


def waterfalls(root: ET.Element) -> dict[str, list[str]]:
    """Per test, the waterfall messages logged directly in it (not inside a keyword)."""
    return {
        test.get("name", ""): [msg.text or "" for msg in test.findall("msg") if "<svg" in (msg.text or "")]
        for test in root.iter("test")
    }


def test_every_test_with_spans_gets_its_waterfall_after_its_teardown(tmp_path):
    root = run_suite(tmp_path)
    drawn = waterfalls(root)
    assert len(drawn["Passing Journey"]) == 1
    assert "Waterfall of &#x27;Passing Journey&#x27;: 10 spans" in drawn["Passing Journey"][0]
    assert "Bottleneck " in drawn["Passing Journey"][0]
    assert len(drawn["Failing Journey"]) == 1
    assert "✗ orders INSERT orders" in drawn["Failing Journey"][0]
    assert drawn["No Spans"] == []
    passing = next(test for test in root.iter("test") if test.get("name") == "Passing Journey")
    children = [child.tag if child.tag != "kw" else child.get("type", "kw") for child in passing]
    assert children.index("msg") > children.index("TEARDOWN")  # logged when the test ended, in the test


def test_waterfall_failures_keeps_it_for_failed_tests_only(tmp_path):
    root = run_suite(tmp_path, "waterfall=failures")
    assert [msg.text for msg in root.iter("msg") if msg.get("level") == "ERROR"] == []  # the import worked
    drawn = waterfalls(root)
    assert (len(drawn["Passing Journey"]), len(drawn["Failing Journey"])) == (0, 1)
