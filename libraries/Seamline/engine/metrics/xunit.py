"""xunit output that keeps retries: Maven Surefire's ``flakyFailure`` and ``rerunFailure`` elements.

A FLAKY test is a passing ``testcase`` with one ``flakyFailure`` per failed attempt; a test that failed
every attempt has a ``failure`` (the first) and a ``rerunFailure`` per retry. CI systems that read
Surefire reports (Jenkins, GitLab, GitHub test reporters) show them as flaky instead of passed.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from .attempts import FAIL, FLAKY, SKIP, TestRecord
from .run import RunMetrics


def write_xunit(metrics: RunMetrics, path: Path) -> None:
    counts = metrics.counts()
    suite = ET.Element(
        "testsuite",
        name="Seamline",
        tests=str(counts["tests"]),
        failures=str(counts["failed"]),
        skipped=str(counts["skipped"]),
        errors="0",
        time=f"{sum(record.elapsed for record in metrics.tests.values()):.3f}",
    )
    for record in metrics.tests.values():
        suite.append(_testcase(record))
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def _testcase(record: TestRecord) -> ET.Element:
    classname, _, name = record.name.rpartition(".")
    case = ET.Element("testcase", classname=classname, name=name, time=f"{record.elapsed:.3f}")
    failures = [attempt for attempt in record.attempts if attempt.status == FAIL]
    if record.verdict == FLAKY:
        for attempt in failures:
            ET.SubElement(case, "flakyFailure", message=attempt.message, type="AssertionError").text = attempt.message
    elif record.quarantined_failure():
        ET.SubElement(case, "skipped", message=f"quarantined until {record.quarantined_until}: {failures[-1].message}")
    elif record.verdict == FAIL:
        first, *reruns = failures or record.attempts
        ET.SubElement(case, "failure", message=first.message, type="AssertionError").text = first.message
        for attempt in reruns:
            ET.SubElement(case, "rerunFailure", message=attempt.message, type="AssertionError").text = attempt.message
    elif record.verdict == SKIP:
        ET.SubElement(case, "skipped", message=record.attempts[-1].message if record.attempts else "")
    return case
