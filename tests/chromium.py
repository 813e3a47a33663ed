"""Headless Chromium for the pictures people look at (the dashboard, the waterfall in log.html).

`render(page)` loads a local HTML file once and returns its DOM after its scripts ran, the console
messages it produced (errors included), and, when asked, a screenshot.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CONSOLE = re.compile(r':CONSOLE[^\]]*\] "(?P<text>.*)", source: (?P<source>\S*)')
TIMEOUT = 90


@dataclass
class Rendered:
    dom: str
    console: list[str]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("Chromium is not installed (Debian: apt-get install chromium)")
    return found


def _run(page: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        *arguments,
        page.resolve().as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def render(page: Path, screenshot: Path | None = None, size: str = "1400,1100") -> Rendered:
    """The page's DOM after its scripts ran and its console messages; a PNG at `screenshot` when given."""
    done = _run(page, "--dump-dom")
    console = [match.group("text") for match in CONSOLE.finditer(done.stderr)]
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        _run(page, f"--screenshot={screenshot}", f"--window-size={size}")
    return Rendered(done.stdout, console)
