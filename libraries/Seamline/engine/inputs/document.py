"""The OpenAPI document as Schemathesis sees it, and the choices of a sweep: operations, checks, modes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import SeamError
from . import EXTRA

SEAM = "Inputs"
# Schemathesis's checks that judge one response without sending requests of their own.
SCHEMATHESIS_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
)
OWN_CHECKS = ("correlation_id", "error_schema")
ALL_CHECKS = (*SCHEMATHESIS_CHECKS, *OWN_CHECKS)


def schemathesis_module() -> Any:
    """Schemathesis, loaded on first use; missing, one line naming the extra."""
    try:
        import schemathesis
    except ImportError:
        raise SeamError(SEAM, f"Schemathesis is not installed: pip install '{EXTRA}'") from None
    return schemathesis


def load_document(document: dict[str, Any], authenticated: bool = False) -> Any:
    """A Schemathesis schema of an OpenAPI document (a dictionary already read).

    `authenticated`: the sender adds credentials to every request, so the document's security requirements
    are left out; Schemathesis would otherwise generate (and leave out) those headers itself.
    """
    schemathesis = schemathesis_module()
    if authenticated:
        document = without_security(document)
    try:
        return schemathesis.openapi.from_dict(document)
    except Exception as error:  # Schemathesis has several loader errors; all mean the same to a tester
        raise SeamError(SEAM, f"the document is not an OpenAPI document Schemathesis can use: {error}") from None


def without_security(document: dict[str, Any]) -> dict[str, Any]:
    """The document without security requirements (top level and per operation)."""
    paths = {
        path: {
            key: ({k: v for k, v in item.items() if k != "security"} if isinstance(item, dict) else item)
            for key, item in operations.items()
        }
        if isinstance(operations, dict)
        else operations
        for path, operations in (document.get("paths") or {}).items()
    }
    return {**{key: value for key, value in document.items() if key != "security"}, "paths": paths}


def select_operations(schema: Any, wanted: str | Sequence[str]) -> list[Any]:
    """The operations named (``POST /api/orders``, several, or ``all``), in the document's order."""
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation is None:
            continue
        operations.append(operation)
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    names = [part.strip() for name in names for part in str(name).split(",") if part.strip()]
    if not names or any(name.lower() == "all" for name in names):
        return operations
    by_label = {label(operation): operation for operation in operations}
    chosen, unknown = [], []
    for name in names:
        method, _, path = name.partition(" ")
        wanted_label = f"{method.upper()} {path.strip()}"
        (chosen.append(by_label[wanted_label]) if wanted_label in by_label else unknown.append(name))
    if unknown:
        raise SeamError(
            SEAM, f"operation(s) {', '.join(unknown)} not in the document; it has: {', '.join(by_label) or 'none'}"
        )
    return chosen


def parse_checks(checks: str | Sequence[str]) -> tuple[str, ...]:
    """Check names (``all``, or some of `ALL_CHECKS`); an unknown one fails listing them."""
    names = [checks] if isinstance(checks, str) else list(checks)
    names = [part.strip().lower() for name in names for part in str(name).split(",") if part.strip()]
    if not names or "all" in names:
        return ALL_CHECKS
    unknown = [name for name in names if name not in ALL_CHECKS]
    if unknown:
        raise SeamError(SEAM, f"unknown check(s) {', '.join(unknown)}; use all or some of: {', '.join(ALL_CHECKS)}")
    return tuple(dict.fromkeys(names))


def generation_modes(mode: str) -> tuple[str, ...]:
    """Schemathesis's generation modes for ``all``, ``valid`` (positive) or ``invalid`` (negative) inputs."""
    modes = {"all": ("positive", "negative"), "valid": ("positive",), "invalid": ("negative",)}
    chosen = modes.get(str(mode).strip().lower())
    if chosen is None:
        raise SeamError(SEAM, f"mode must be all, valid or invalid, got '{mode}'")
    return chosen


def label(operation: Any) -> str:
    """`POST /api/orders`: how an operation is named in arguments and reports."""
    return f"{operation.method.upper()} {operation.path}"
