"""Command-line flags shared by every orderflow process.

Every flag can also come from the environment as ORDERFLOW_<FLAG> (``--upstream-timeout`` ->
``ORDERFLOW_UPSTREAM_TIMEOUT``), so a deployment can be configured without touching commands.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KB|KiB|MB|MiB)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2}
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute)\s*$")


def env_name(flag: str) -> str:
    return "ORDERFLOW_" + flag.lstrip("-").upper().replace("-", "_")


def duration(text: str) -> float:
    """'5s', '200ms', '2m' or plain seconds -> seconds."""
    match = _DURATION.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 5s, 200ms, 2m)")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


def size(text: str) -> int:
    """'64KiB', '1MiB', '1000' -> bytes."""
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 64KiB, 1MiB, 1000)")
    return int(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()]


def rate(text: str) -> float:
    """'20/s' or '600/min' -> requests per second."""
    match = _RATE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a rate: {text!r} (e.g. 20/s, 600/min)")
    per_second = match.group(2).startswith("s")
    return float(match.group(1)) / (1.0 if per_second else 60.0)


def mapping(text: str) -> dict[str, str]:
    """'a=1,b=2' -> {'a': '1', 'b': '2'}."""
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {item!r}")
        pairs[key.strip()] = value.strip()
    return pairs


class Flags:
    """An argparse parser whose flags default to their ORDERFLOW_<FLAG> environment variable."""

    def __init__(self, prog: str, description: str) -> None:
        self.parser = argparse.ArgumentParser(
            prog=prog,
            description=description,
            epilog="Every flag can also be set as environment variable ORDERFLOW_<FLAG>.",
        )

    def add(
        self,
        flag: str,
        *,
        default: Any = None,
        type: Callable[[str], Any] = str,
        required: bool = False,
        help: str,
    ) -> None:
        from_env = os.environ.get(env_name(flag))
        value = type(from_env) if from_env is not None else default
        self.parser.add_argument(
            flag,
            default=value,
            type=type,
            required=required and value is None,
            help=f"{help} (env {env_name(flag)})",
        )

    def switch(self, flag: str, *, help: str) -> None:
        from_env = os.environ.get(env_name(flag), "").lower() in {"1", "true", "yes"}
        self.parser.add_argument(flag, action="store_true", default=from_env, help=f"{help} (env {env_name(flag)})")

    def parse(self, argv: Sequence[str] | None = None) -> argparse.Namespace:
        return self.parser.parse_args(argv)
