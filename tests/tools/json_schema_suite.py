"""Run the JSON-Schema-Test-Suite through Seamline's schema registry and through jsonschema, side by side.

    python tests/tools/json_schema_suite.py SUITE_DIR [--draft 2020-12] [--draft 7] [--formats] [--show]

SUITE_DIR is a checkout of json-schema-org/JSON-Schema-Test-Suite (never committed here). Only the required
tests count (tests/<draft>/*.json, not optional/). The suite's remotes/ are served on localhost:1234, where
its own convention puts them, so remote `$ref`s are really retrieved over HTTP. Formats are annotations, as
the required tests expect, unless --formats. Not part of `make test`: the suite is not in the repository.
"""

from __future__ import annotations

import argparse
import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from jsonschema import validators
from referencing import Registry, Resource
from referencing.jsonschema import specification_with

from Seamline.engine.errors import SeamError
from Seamline.engine.schema.registry import SchemaRegistry, validator_class

REMOTES_PORT = 1234
SUITE_DIRS = {"2020-12": "draft2020-12", "2019-09": "draft2019-09", "7": "draft7", "6": "draft6", "4": "draft4"}


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the suite makes hundreds of requests
        pass


def serve_remotes(root: Path) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", REMOTES_PORT), partial(QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def cases(suite: Path, draft: str) -> list[tuple[str, Any, Any, bool]]:
    """(description, schema, data, valid) of every required test of `draft`."""
    found = []
    for path in sorted((suite / "tests" / SUITE_DIRS[draft]).glob("*.json")):
        for group in json.loads(path.read_text(encoding="utf-8")):
            for test in group["tests"]:
                label = f"{path.stem}: {group['description']}: {test['description']}"
                found.append((label, group["schema"], test["data"], test["valid"]))
    return found


def seamline_verdict(registry: SchemaRegistry, schema: Any, data: Any, draft: str, formats: bool) -> bool | str:
    try:
        return not registry.validate(data, schema, draft=draft, formats=formats)
    except SeamError as error:
        return f"failed: {error}"


def jsonschema_verdict(schema: Any, data: Any, draft: str, formats: bool) -> bool | str:
    default = validator_class(draft)

    def retrieve(uri: str) -> Resource:
        contents = requests.get(uri, timeout=10).json()
        return Resource.from_contents(
            contents, default_specification=specification_with(default.META_SCHEMA["$schema"])
        )

    cls = validators.validator_for(schema, default=default)
    checker = cls.FORMAT_CHECKER if formats else None
    try:
        return cls(schema, registry=Registry(retrieve=retrieve), format_checker=checker).is_valid(data)
    except Exception as error:  # the baseline's own crashes count as disagreements, like Seamline's
        return f"raised {type(error).__name__}: {error}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", type=Path)
    parser.add_argument("--draft", action="append", choices=list(SUITE_DIRS))
    parser.add_argument("--formats", action="store_true", help="assert formats (default: annotations)")
    parser.add_argument("--show", action="store_true", help="list the cases Seamline gets wrong")
    options = parser.parse_args()
    server = serve_remotes(options.suite / "remotes")
    try:
        for draft in options.draft or ["2020-12", "7"]:
            registry = SchemaRegistry()
            selected = cases(options.suite, draft)
            seamline_wrong, jsonschema_agree, apart = [], 0, 0
            for label, schema, data, valid in selected:
                verdict = seamline_verdict(registry, schema, data, draft, options.formats)
                baseline = jsonschema_verdict(schema, data, draft, options.formats)
                if verdict is not valid:
                    seamline_wrong.append(f"{label}: expected {valid}, got {verdict}")
                jsonschema_agree += baseline is valid
                apart += (verdict is valid) != (baseline is valid)
            agree = len(selected) - len(seamline_wrong)
            print(
                f"draft {draft}: Seamline agrees on {agree} of {len(selected)}, jsonschema on {jsonschema_agree}; "
                f"right/wrong on different cases: {apart}"
            )
            if options.show:
                print("\n".join(f"  {line}" for line in seamline_wrong))
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
