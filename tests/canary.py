"""Secrets canaries: run a .robot suite at TRACE with secrets in its environment, then prove that none of them
appears anywhere the run wrote: output.xml, log.html and report.html (raw, and their compressed embedded
strings decoded), seamline-metrics.json when the library wrote one, and the console.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACCEPTANCE_LIBRARIES = ROOT / "tests" / "acceptance" / "libraries"
_EMBEDDED_STRINGS = re.compile(r'window\.output\["strings"\] = window\.output\["strings"\]\.concat\((\[.*?\])\);')


@dataclass(frozen=True)
class CanaryRun:
    """What one canary run wrote, by where it was written."""

    secrets: dict[str, str]
    console: str
    output_xml: str
    log_html: str
    log_strings: str
    report_html: str
    report_strings: str
    metrics: str | None

    def places(self) -> dict[str, str]:
        written = {
            "output.xml": self.output_xml,
            "log.html": self.log_html,
            "log.html strings": self.log_strings,
            "report.html": self.report_html,
            "report.html strings": self.report_strings,
            "console": self.console,
        }
        if self.metrics is not None:
            written["seamline-metrics.json"] = self.metrics
        return written


def embedded_strings(html: str) -> str:
    """Every string of a log.html / report.html data model, decoded, one per line.

    Robot stores them zlib-compressed and base64-encoded (or, when short, raw behind a "*"), so a secret in
    them would not show in a plain text search of the file.
    """
    strings = []
    for chunk in _EMBEDDED_STRINGS.findall(html):
        # A JavaScript array: its only non-JSON escape is \x3c ("<", so that no "</script>" appears).
        for item in json.loads(chunk.replace("\\x3c", "<")):
            strings.append(item[1:] if item.startswith("*") else zlib.decompress(base64.b64decode(item)).decode())
    return "\n".join(strings)


def run_canary(
    suite: Path, secrets: dict[str, str], tmp_path: Path, *, pythonpath: Sequence[Path] = (), loglevel: str = "TRACE"
) -> CanaryRun:
    """Run `suite` at `loglevel` (TRACE by default) with `secrets` (env variable -> value) set; it must pass."""
    command = [sys.executable, "-m", "robot", "--loglevel", loglevel, "--outputdir", str(tmp_path)]
    for path in pythonpath:
        command += ["--pythonpath", str(path)]
    process = subprocess.run(
        [*command, str(suite)],
        env={**os.environ, **secrets},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    console = process.stdout + process.stderr
    assert process.returncode == 0, f"{suite.name} failed:\n{console[-6000:]}"
    log_html = (tmp_path / "log.html").read_text(encoding="utf-8")
    report_html = (tmp_path / "report.html").read_text(encoding="utf-8")
    metrics = tmp_path / "seamline-metrics.json"
    run = CanaryRun(
        secrets=dict(secrets),
        console=console,
        output_xml=(tmp_path / "output.xml").read_text(encoding="utf-8"),
        log_html=log_html,
        log_strings=embedded_strings(log_html),
        report_html=report_html,
        report_strings=embedded_strings(report_html),
        metrics=metrics.read_text(encoding="utf-8") if metrics.exists() else None,
    )
    # Without this a change in Robot's log format would leave the decoded search with nothing to search.
    assert suite.stem.replace("_", " ").title() in run.log_strings, "log.html's embedded strings were not decoded"
    return run


def assert_nowhere(run: CanaryRun, *derived: str) -> None:
    """Fail when any secret given to the run, or any of the `derived` forms of one, appears anywhere it wrote."""
    forbidden = [*run.secrets.values(), *derived]
    leaks = [f"{secret!r} in {where}" for where, text in run.places().items() for secret in forbidden if secret in text]
    assert not leaks, "secrets leaked: " + "; ".join(leaks)
