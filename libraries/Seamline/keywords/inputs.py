"""Unexpected inputs: requests, messages and batch files generated from the contracts, to check error handling."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from robot.api.deco import keyword

from ..engine.api.session import CORRELATION_HEADER, ApiSession
from ..engine.errors import SeamError
from ..engine.inputs.api import InputProbe
from ..engine.inputs.batches import corrupt_batch
from ..engine.inputs.document import load_document, parse_checks, select_operations
from ..engine.inputs.messages import inlined, invalid_values
from ..engine.records.layouts import find_layout
from ..engine.schema.registry import read_document
from .api import ApiKeywords
from .base import SeamKeywords
from .messaging import MessagingKeywords

REPORT_DETAIL_LIMIT = 300
# Robot shows about 40 lines of 80 characters of a failure: the first problems, cut; all of them go to the log.
FAILURE_DETAIL_LIMIT, FAILURE_CURL_LIMIT, FAILURE_MOST_PROBLEMS = 100, 240, 6


class InputKeywords(SeamKeywords):
    """Unexpected inputs: requests, messages and batch files generated from the contracts."""

    SEAM = "Inputs"

    def __init__(self, ctx):
        super().__init__(ctx)
        # The HTTP seam's own sending path (timeline span, log line, masking): generated requests are calls too.
        self._http = ApiKeywords(ctx)
        self._messages = MessagingKeywords(ctx)

    @keyword
    def api_should_handle_unexpected_inputs(
        self,
        openapi: str = "/openapi.json",
        operation: str | list[str] = "all",
        examples: int = 50,
        seed: int | None = None,
        checks: str | list[str] = "all",
        max_time: timedelta | str = "1 min",
        error_schema: Any = None,
        mode: str = "all",
        alias: str | None = None,
        msg: str | None = None,
    ) -> dict[str, Any]:
        """Sends inputs Schemathesis generates from the OpenAPI document through the API session, and fails
        listing each distinct problem the responses show.

        ``openapi`` is a path on the session's base URL (``/openapi.json``), a URL, or a file (JSON or YAML).
        ``operation`` is one (``POST /api/orders``), several (a list, or comma-separated) or ``all``.
        Each operation gets at most ``examples`` requests: the document's boundary cases first (at most
        half: values at and past every limit, missing required parts, undeclared methods), then random
        valid and schema-violating inputs. When the document has links (an id a response returns, used
        by another operation) and several operations are swept, ``examples`` / 5 sequences of up to 5
        calls follow them too. ``mode`` is ``all``, ``valid`` (inputs the document allows) or
        ``invalid`` (inputs it forbids: nothing should be written then). ``max_time`` bounds the whole
        keyword; what it cut short is said. Requests go through the session ``alias`` (its credentials,
        correlation id, timeline span and masking); a 429 answer is sent again after its ``Retry-After``.
        When the session has
        credentials, the document's security requirements are left to it: Schemathesis generates no
        credential headers then.

        ``checks`` (``all`` by default) are Schemathesis's response checks (``not_a_server_error``,
        ``status_code_conformance``, ``content_type_conformance``, ``response_headers_conformance``,
        ``response_schema_conformance``, ``negative_data_rejection``, ``positive_data_acceptance``,
        ``missing_required_header``, ``unsupported_method``, ``allow_header_conformance``) and
        ``correlation_id`` (every response carries the request's ``X-Correlation-Id``) and
        ``error_schema`` (every 4xx/5xx body matches ``error_schema``, a schema as `Validate Json` takes
        it, when given). A request that gets no response at all is always a problem.

        The seed is logged; without ``seed`` one is drawn. The failure lists each problem once (by
        check, operation and status) with a curl line that sends its first request again, secrets
        masked, and the seed that replays the run. Returns a summary: ``seed``, ``requests``,
        ``operations`` (requests per operation), ``sequence_requests`` (those sent in linked sequences)
        and ``problems``.

        | `Api Should Handle Unexpected Inputs` | operation=POST /api/orders | examples=40 | seed=1234 |
        """
        session: ApiSession = self._http.sessions.get(alias)
        chosen = parse_checks(checks)
        seed = secrets.randbelow(2**31) if seed is None else seed
        self.info(f"Unexpected inputs: seed={seed} (give seed={seed} to send the same requests again).")
        schema = load_document(self._document(openapi, session), authenticated=bool(session.credentials))
        operations = select_operations(schema, operation)
        probe = InputProbe(
            schema,
            session.base_url,
            self._sender(session),
            self.masker,
            seed=seed,
            examples=self._count(examples),
            max_time=self.seconds(max_time, "max_time"),
            checks=chosen,
            error_check=self._error_check(error_schema) if error_schema is not None else None,
            session_headers={
                **{name: str(value) for name, value in session.session.headers.items()},
                **session.credentials,
            },
            correlation_header=CORRELATION_HEADER,
            mode=mode,
        )
        findings = probe.run(operations)
        for note in findings.notes:
            self.info(note)
        summary = {
            "seed": seed,
            "requests": findings.sent,
            "operations": dict(findings.by_operation),
            "sequence_requests": findings.sequence_requests,
            "problems": len(findings.problems),
        }
        if not findings.ok:
            self.info(findings.report(REPORT_DETAIL_LIMIT))
            self.fail(findings.report(FAILURE_DETAIL_LIMIT, FAILURE_MOST_PROBLEMS, FAILURE_CURL_LIMIT), msg)
        self.info(f"No problem in {findings.summary()}, seed={seed}.")
        return summary

    @keyword
    def generate_invalid_messages(self, schema: Any, count: int = 10, seed: int | None = None) -> list[Any]:
        """Returns ``count`` distinct values that break the JSON Schema ``schema``, generated by
        hypothesis-jsonschema.

        ``schema`` is given as to `Validate Json` (a name, a file, inline; ``$ref`` resolved). For an object
        schema most values are otherwise valid objects with one property of a forbidden value, one required
        property left out, or one property the schema does not allow; the others break the schema as a
        whole (another type). Each value is checked to break the schema. The seed is logged; without
        ``seed`` one is drawn. Use them as payloads or whole envelopes (`Publish Message` sends a string as is).

        | ${bad} = | `Generate Invalid Messages` | order.v1 | count=5 | seed=7 |
        """
        return self._invalid(schema, count, seed, objects_only=False)

    @keyword
    def publish_unexpected_messages(
        self,
        destination: str,
        schema: Any,
        type: str,
        count: int = 10,
        seed: int | None = None,
        alias: str | None = None,
    ) -> list[dict[str, Any]]:
        """Publishes ``count`` messages of ``type`` whose payloads break the JSON Schema ``schema`` (see
        `Generate Invalid Messages`; objects and arrays only, so each is a payload in a valid envelope), as
        `Publish Message` would, through broker connection ``alias``; returns the envelopes sent.

        A consumer should dead-letter each (their ``message_id`` is in the envelopes) and go on consuming.

        | ${sent} = | `Publish Unexpected Messages` | orderflow | order.v1 | order.created | count=5 |
        """
        payloads = self._invalid(schema, count, seed, objects_only=True)
        sent = [self._messages.publish_message(destination, type, payload, alias=alias) for payload in payloads]
        self.info(f"Published {len(sent)} {type} messages breaking {schema} to {destination}.")
        return sent

    @keyword
    def generate_corrupt_batch(
        self,
        layout: str,
        kind: str = "short_line",
        records: list[dict[str, Any]] | None = None,
        path: Path | None = None,
    ) -> str:
        """Writes a batch file in ``layout`` broken the ``kind`` way and returns its path.

        ``kind`` is ``short_line`` (the first detail record loses its last character; CSV: its last
        column), ``bad_trailer`` (the first trailer check, a count or sum, is one more than the records
        say), ``bad_encoding`` (the first detail record written in another encoding, with an ``é``),
        ``bad_number`` (a numeric field of the first detail holds letters) or ``duplicate_key`` (the first
        detail appears twice, the trailer agreeing: only a system that checks keys notices). ``records``
        are the valid records to start from (as `Write Records` takes them); by default a small batch
        made from the layout. Every kind but ``duplicate_key`` is checked to fail the layout, so the
        file is corrupt for sure. ``layout`` is a path or a name in the import's ``layouts=``
        directories. Without ``path`` the file is a new temporary one, removed when the test (or the
        suite, in a setup) ends.

        | ${file} = | `Generate Corrupt Batch` | ${LAYOUTS}/settlement.yaml | kind=bad_trailer | records=${records} |
        """
        resolved = find_layout(layout, list(self.ctx.layout_directories))
        data = corrupt_batch(resolved, kind, records)
        if path:
            target = Path(path)
        else:
            handle, name = tempfile.mkstemp(prefix=f"seamline-{kind}-", suffix=".dat")
            os.close(handle)
            target = Path(name)
            self.ctx.add_cleanup(f"remove {target}", lambda: target.unlink(missing_ok=True))
        target.write_bytes(data)
        self.info(f"Wrote a {kind} batch of layout {resolved.name} ({len(data)} bytes) to {target}.")
        return str(target)

    # Helpers
    def _invalid(self, schema: Any, count: int, seed: int | None, objects_only: bool) -> list[Any]:
        seed = secrets.randbelow(2**31) if seed is None else seed
        self.info(f"Invalid messages: seed={seed} (give seed={seed} to generate the same ones again).")
        entry = self.ctx.schemas.resolve(schema)
        resolver = self.ctx.schemas.registry.resolver(base_uri=entry.base_uri)
        contents = inlined(entry.contents, resolver)

        def violations(value: Any) -> list[Any]:
            return self.ctx.schemas.validate(value, schema)

        values = invalid_values(contents, self._count(count, "count"), seed, violations, objects_only)
        self.debug(self.format_data(values))
        return values

    def _sender(self, session: ApiSession):
        def send(method: str, url: str, *, json=None, data=None, params=None, headers=None, timeout=None):
            return self._http._send(session, method, url, json, data, params, headers, timeout, quiet=True)

        return send

    def _document(self, source: str, session: ApiSession) -> dict[str, Any]:
        path = Path(source)
        if (
            not source.startswith(("http://", "https://"))
            and path.suffix in (".json", ".yaml", ".yml")
            and path.is_file()
        ):
            document = read_document(path)
        else:
            response = self._http._send(session, "GET", source, None, None, None, None, None)
            if not response.ok:
                raise SeamError(
                    self.SEAM, f"GET {self.masker.url(response.url)} for the document got {response.status_code}"
                )
            try:
                document = (
                    json.loads(response.text)
                    if response.text.lstrip().startswith("{")
                    else yaml.safe_load(response.text)
                )
            except (ValueError, yaml.YAMLError) as error:
                raise SeamError(
                    self.SEAM, f"the document at {self.masker.url(response.url)} is not JSON or YAML: {error}"
                ) from None
        if not isinstance(document, dict):
            raise SeamError(self.SEAM, f"{source} is not an OpenAPI document (not an object)")
        return document

    def _error_check(self, schema: Any):
        self.ctx.schemas.resolve(schema)  # a wrong schema fails before any request is sent

        def violations(data: Any) -> list[str]:
            return [str(violation) for violation in self.ctx.schemas.validate(data, schema)]

        return violations

    def _count(self, value: int, name: str = "examples") -> int:
        if value < 1:
            raise SeamError(self.SEAM, f"{name} must be at least 1, got {value}")
        return value
