"""User-named secrets: the values of headers and fields named in `secret_names=` appear nowhere a run wrote,
at TRACE, though they were passed as plain text; without the names the same run shows them."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from canary import ROOT, assert_nowhere, run_canary

SUITE = ROOT / "tests" / "acceptance" / "masking_secrets.robot"


def canaries() -> dict[str, str]:
    return {"MASK_CANARY_AUTH": f"auth-{secrets.token_hex(8)}", "MASK_CANARY_REF": f"ref-{secrets.token_hex(8)}"}


def test_named_header_and_field_values_appear_nowhere(tmp_path: Path) -> None:
    run = run_canary(SUITE, canaries(), tmp_path)
    assert '"X-Custom-Auth": "***"' in run.log_strings  # httpbin's echo was logged, masked
    assert '"session_ref": "***"' in run.log_strings
    assert_nowhere(run)


def test_without_the_names_the_same_run_shows_the_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAMLINE_SECRET_NAMES", "")
    values = canaries()
    run = run_canary(SUITE, values, tmp_path)
    assert values["MASK_CANARY_AUTH"] in run.log_strings
    assert values["MASK_CANARY_REF"] in run.log_strings
