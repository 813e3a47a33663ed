"""Unexpected inputs: requests, messages and batch files generated from the contracts, to check error handling."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from robot.api.deco import keyword

from ..engine.api.session import CORRELATION_HEADER, ApiSession
from ..engine.errors import SeamError
from ..engine.inputs.api import InputProbe, load_document, parse_checks, select_operations
from ..engine.schema.registry import read_document
from .api import ApiKeywords
from .base import SeamKeywords

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
        valid and schema-violating inputs. ``mode`` is ``all``, ``valid`` (inputs the document allows) or
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
        ``operations`` (requests per operation) and ``problems``.

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
            "problems": len(findings.problems),
        }
        if not findings.ok:
            self.info(findings.report(REPORT_DETAIL_LIMIT))
            self.fail(findings.report(FAILURE_DETAIL_LIMIT, FAILURE_MOST_PROBLEMS, FAILURE_CURL_LIMIT), msg)
        self.info(f"No problem in {findings.summary()}, seed={seed}.")
        return summary

    # Helpers
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

    def _count(self, examples: int) -> int:
        if examples < 1:
            raise SeamError(self.SEAM, f"examples must be at least 1, got {examples}")
        return examples
