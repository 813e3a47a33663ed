"""Unexpected HTTP inputs from an OpenAPI document: Schemathesis generates them, the caller's sender sends them.

The requests go through a `send` the caller gives (Seamline's HTTP session: masking, credentials kept to
their origin, timeline spans, correlation ids), never through Schemathesis's own transport. Each operation
gets the document's boundary cases first (Schemathesis's coverage phase: values at and beyond every limit,
missing required parts, undeclared methods), then random valid and schema-violating inputs (Hypothesis,
seeded, so one seed sends the same requests again).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import requests
from requests.exceptions import InvalidHeader
from requests.utils import check_header_validity

from ..errors import SeamError
from ..masking import Masker
from ..waiting import WaitTimedOut, poll
from .document import ALL_CHECKS, OWN_CHECKS, SCHEMATHESIS_CHECKS, generation_modes, label
from .problems import Findings, Problem, curl_command

# Schemathesis's default headers: the session sends its own.
_GENERATED_NOISE = frozenset({"user-agent", "accept-encoding", "accept", "connection", "x-schemathesis-testcaseid"})
MIN_CALL_SECONDS = 0.05
# Calls in one linked sequence; `examples` // this many sequences run when the document has links.
STEPS_PER_SEQUENCE = 5
MAX_RETRY_AFTER = 5.0
# A 5xx body's first characters tell one crash from another; ids, numbers and quoted values vary within one.
SIGNATURE_TEXT = 100
_VARYING = re.compile(r"[0-9a-fA-F-]{8,}|\d+")
_QUOTED = re.compile(r"'[^']*'")

Sender = Callable[..., requests.Response]
ErrorCheck = Callable[[Any], list[str]]


class InputProbe:
    """Sends generated inputs for operations and keeps what the responses broke."""

    def __init__(
        self,
        schema: Any,
        base_url: str,
        send: Sender,
        masker: Masker,
        *,
        seed: int,
        examples: int,
        max_time: float,
        checks: Sequence[str] = ALL_CHECKS,
        error_check: ErrorCheck | None = None,
        session_headers: dict[str, str] | None = None,
        correlation_header: str = "X-Correlation-Id",
        mode: str = "all",
    ):
        self.schema = schema
        self.base_url = base_url.rstrip("/")
        self.send = send
        self.masker = masker
        self.examples = examples
        self.deadline = time.monotonic() + max_time
        self.max_time = max_time
        self.error_check = error_check if "error_schema" in checks else None
        self.session_headers = session_headers or {}
        self.correlation_header = correlation_header
        self.findings = Findings(seed)
        self.modes = generation_modes(mode)
        self.own = [name for name in checks if name in OWN_CHECKS]
        from schemathesis.checks import CHECKS, load_all_checks

        load_all_checks()
        self.checks = [(name, CHECKS.get_one(name)) for name in checks if name in SCHEMATHESIS_CHECKS]

    def run(self, operations: Sequence[Any]) -> Findings:
        for operation in operations:
            if not self._time_left():
                break
            boundary = self.examples // 2
            for case in _first(self._coverage_cases(operation), boundary):
                self.exercise(case)
            self._fuzz(operation, self.examples - min(boundary, self.findings.by_operation.get(label(operation), 0)))
        if self._time_left() and self.schema.statistic.transitions.total and len(operations) > 1:
            self._sequences(max(1, self.examples // STEPS_PER_SEQUENCE))
        return self.findings

    def _sequences(self, scenarios: int) -> None:
        """Sequences that follow the document's links (an id a response returned, used in the next request)."""
        from hypothesis import HealthCheck, Phase, reject, settings
        from hypothesis import seed as seeded
        from schemathesis import Response
        from schemathesis.generation.stateful import run_state_machine_as_test

        probe = self

        class ThroughTheSession(self.schema.as_state_machine()):  # type: ignore[misc]
            def call(self, case: Any, **kwargs: Any) -> Any:
                response = probe.exercise(case) if probe._time_left() else None
                if response is None:
                    reject()  # no answer (or no time): this sequence cannot go on
                return Response.from_requests(response, verify=True)

            def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
                """Checked by `exercise` already, each problem once."""

        seeded(self.findings.seed)(ThroughTheSession)
        config = settings(
            max_examples=scenarios,
            stateful_step_count=STEPS_PER_SEQUENCE,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        before = self.findings.sent
        run_state_machine_as_test(ThroughTheSession, settings=config)
        self.findings.sequence_requests = self.findings.sent - before

    def _time_left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0 and not self.findings.stopped:
            self.findings.stopped = f"max_time {self.max_time:g}s"
        return max(left, 0.0)

    def _coverage_cases(self, operation: Any) -> Iterator[Any]:
        from schemathesis import GenerationMode

        config = self.schema.config.generation_for(operation=operation, phase="coverage")
        modes = [GenerationMode(name) for name in self.modes]
        yield from self.schema.iter_coverage_cases(operation, generation_modes=modes, generation_config=config)

    def _fuzz(self, operation: Any, budget: int) -> None:
        """Random valid, then schema-violating, inputs: half the budget each, Hypothesis seeded with the seed."""
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import seed as seeded
        from hypothesis.errors import Unsatisfiable
        from schemathesis import GenerationMode

        shares = {"positive": budget - budget // 2, "negative": budget // 2} if len(self.modes) == 2 else {}
        for name in self.modes:
            mode, count = GenerationMode(name), shares.get(name, budget)
            if count <= 0 or not self._time_left():
                continue

            @seeded(self.findings.seed)
            @settings(
                max_examples=count,
                database=None,
                deadline=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(operation.as_strategy(generation_mode=mode))
            def send_generated(case: Any) -> None:
                if self._time_left():
                    self.exercise(case)

            try:
                send_generated()
            except Unsatisfiable:
                continue  # an operation with nothing to vary (no parameters, no body) has no invalid input
            except SeamError:
                raise
            except Exception as error:  # Schemathesis cannot generate for this part of the document
                self.findings.notes.append(f"{label(operation)}: no {mode} inputs: {_first_paragraph(str(error))}")

    def exercise(self, case: Any) -> requests.Response | None:
        """Send one generated case and check its response; the response, or None when none came."""
        kwargs = case.as_transport_kwargs(base_url=self.base_url)
        operation = label(case.operation)
        headers = {
            str(name): str(value)
            for name, value in (kwargs.get("headers") or {}).items()
            if str(name).lower() not in _GENERATED_NOISE
        }
        if kwargs.get("cookies"):
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in kwargs["cookies"].items())
        if not _sendable(headers):
            self.findings.skipped += 1  # no HTTP client can send it, so no server ever sees it
            return None
        body = {"json": kwargs["json"]} if "json" in kwargs else {"data": kwargs["data"]} if "data" in kwargs else {}
        method, url, params = kwargs["method"], kwargs["url"], kwargs.get("params") or None
        try:
            response = self._send(method, url, params, headers, body)
        except WaitTimedOut:
            self.findings.stopped = f"max_time {self.max_time:g}s (rate limited)"
            return None
        except SeamError as error:
            if not self._time_left():
                return None  # cut short by max_time, not by the system
            self.findings.count(operation)
            curl = self._curl_unsent(method, url, params, headers, body)
            self.findings.add(Problem("response", operation, None, "no HTTP response", error.detail, curl))
            return None
        self.findings.count(operation)
        for name, problem, signature in self._problems(case, response, kwargs, headers):
            problem_curl = self._curl_sent(response)
            self.findings.add(
                Problem(name, operation, response.status_code, problem[0], problem[1], problem_curl), signature
            )
        return response

    def _send(
        self, method: str, url: str, params: Any, headers: dict[str, str], body: dict[str, Any]
    ) -> requests.Response:
        """One request; a 429 with Retry-After is sent again after the wait, within max_time."""

        def attempt() -> requests.Response:
            timeout = max(self._time_left(), MIN_CALL_SECONDS)
            return self.send(method, url, params=params, headers=dict(headers), timeout=timeout, **body)

        response = attempt()
        if response.status_code != 429:
            return response
        wait = _retry_after(response.headers.get("Retry-After"))
        return poll(
            attempt,
            lambda answer: answer.status_code != 429,
            timeout=min(self._time_left(), 6 * wait),
            interval=wait,
        )

    def _problems(
        self, case: Any, response: requests.Response, kwargs: dict[str, Any], headers: dict[str, str]
    ) -> Iterator[tuple[str, tuple[str, str], str]]:
        from schemathesis.core.failures import FailureGroup

        server_error = response.status_code >= 500 and any(name == "not_a_server_error" for name, _ in self.checks)
        for name, check in self.checks:
            if server_error and name == "status_code_conformance":
                continue  # a 5xx is one problem, not also an undocumented status
            try:
                case.validate_response(response, checks=[check], transport_kwargs=kwargs)
            except FailureGroup as group:
                for failure in group.exceptions:
                    detail = _first_paragraph(failure.message) or self._body(response)
                    yield name, (str(failure.title), detail), _signature(response, name)
            except AssertionError as failure:
                yield name, ("check failed", str(failure)), f"{response.status_code}"
        if "correlation_id" in self.own:
            missing = self._correlation_problem(response, headers)
            if missing:
                yield "correlation_id", missing, ""
        if self.error_check is not None and response.status_code >= 400:
            violations = self._error_problem(response)
            if violations:
                yield "error_schema", ("the error body breaks error_schema", violations), str(response.status_code)

    def _correlation_problem(self, response: requests.Response, generated: dict[str, str]) -> tuple[str, str] | None:
        name = self.correlation_header
        sent = response.request.headers.get(name)
        seen = response.headers.get(name)
        if seen is None:
            return f"the response carries no {name}", f"sent {name}: {sent}"
        own = not any(header.lower() == name.lower() for header in generated)
        if own and sent is not None and seen != sent:
            return f"the response carries another {name}", f"sent {sent}, got {seen}"
        return None

    def _error_problem(self, response: requests.Response) -> str:
        try:
            data = response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type")
            return f"the body is not JSON ({kind}): {self._body(response)}"
        assert self.error_check is not None
        return "; ".join(self.error_check(data)[:3])

    def _body(self, response: requests.Response) -> str:
        return f"body: {self.masker.preview(response.text, 200)}" if response.text else "<empty body>"

    def _curl_sent(self, response: requests.Response) -> str:
        request = response.request
        return curl_command(str(request.method), str(request.url), request.headers, request.body, self.masker)

    def _curl_unsent(self, method: str, url: str, params: Any, headers: dict[str, str], body: dict[str, Any]) -> str:
        request = requests.Request(method, url, params=params, headers={**self.session_headers, **headers}, **body)
        prepared = request.prepare()
        return curl_command(method, str(prepared.url), prepared.headers, prepared.body, self.masker)


def _signature(response: requests.Response, check: str) -> str:
    """What makes two failures of a check one problem: the status, and for a 5xx the shape of its body
    (ids, numbers and quoted values left out), so two different crashes of one operation stay two."""
    if check != "not_a_server_error":
        return str(response.status_code)
    shape = _QUOTED.sub("'…'", _VARYING.sub("#", response.text[: SIGNATURE_TEXT * 2]))
    return f"{response.status_code} {shape[:SIGNATURE_TEXT]}"


def _first(cases: Iterator[Any], count: int) -> Iterator[Any]:
    for number, case in enumerate(cases):
        if number >= count:
            return
        yield case


def _sendable(headers: dict[str, str]) -> bool:
    try:
        for item in headers.items():
            check_header_validity(item)
        return all(value.isascii() or value.isprintable() for value in headers.values())
    except (InvalidHeader, ValueError):
        return False


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or 1), 0.1), MAX_RETRY_AFTER)
    except ValueError:
        return 1.0


def _first_paragraph(message: str | None) -> str:
    """Schemathesis's explanation without its schema dumps: the first paragraph, one line."""
    text = (message or "").strip().split("\n\n", 1)[0]
    return " ".join(text.split())
