"""Shared pytest fixtures: real servers, skipped when absent unless SEAMLINE_REQUIRE names them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from servers import absence_reason, required, server_url


def need_server(name: str) -> None:
    """Skip (or fail, when SEAMLINE_REQUIRE names it) unless server `name` can be used."""
    reason = absence_reason(name)
    if reason is None:
        return
    if required(name):
        pytest.fail(f"{reason}, and SEAMLINE_REQUIRE requires it")
    pytest.skip(reason)


@pytest.fixture
def postgres_url() -> str:
    need_server("postgres")
    return server_url("postgres")


@pytest.fixture
def mariadb_url() -> str:
    need_server("mariadb")
    return server_url("mariadb")


@pytest.fixture
def rabbitmq_url() -> str:
    need_server("rabbitmq")
    return server_url("rabbitmq")


@pytest.fixture
def sshd_available() -> None:
    need_server("sshd")


@pytest.fixture
def chromium_available() -> None:
    need_server("chromium")
