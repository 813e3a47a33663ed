"""The wheel alone: built from this tree, installed into a fresh venv with no extras, used on a system
that is not orderflow (a plain file server, a hand-made SQLite file, a layout directory of the user's).

This proves what a user's `pip install robotframework-seamline` gets: the library's own dependencies and
nothing of orderflow's, the package data it reads at run time, and one-line failures naming the extra
to install when an optional driver is missing. It builds and installs for real (pip's cache keeps it to
about a minute), so it runs once per `make test`, as part of the integration tests.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "libraries" / "Seamline"
# Only orderflow needs these (or an optional extra does): none may come with the library itself.
NOT_DEPENDENCIES = ("starlette", "uvicorn", "httpx", "sqlalchemy", "pika", "psycopg", "pymysql")
# What a build must not see of a working tree: stale build output would end up in the wheel.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "results", "*.egg-info", "__pycache__", ".*_cache", "docs"
)

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]


def run(command: list[str | Path], cwd: Path) -> str:
    """Runs `command` with an environment that cannot reach this tree's sources; returns its output."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(map(str, command))} exited {result.returncode}:\n{output}"
    return output


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built with pip (what `pip install .` builds) from a clean copy of this tree."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", work, source], cwd=work)
    (built,) = work.glob("robotframework_seamline-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed, no extras; returns its python."""
    home = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", home / "venv"], cwd=home)
    python = home / "venv" / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", wheel], cwd=home)
    return python


def test_the_wheel_carries_the_library_and_its_package_data_but_no_tests(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"Seamline", "orderflow", "robotframework_seamline-0.1.0.dist-info"}
    data_files = [
        path.relative_to(PACKAGE.parent).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix in (".json", ".yaml")
    ]
    assert data_files, "the library ships no package data (schemas/*.json, layouts/*.yaml)"
    assert sorted(set(data_files) - set(names)) == []
    assert "Seamline/schemas/envelope.v1.json" in names


def test_a_plain_install_pulls_no_server_framework_and_no_optional_driver(venv: Path) -> None:
    installed = run([venv, "-m", "pip", "list", "--format=freeze"], cwd=venv.parent)
    names = {line.split("==")[0].lower() for line in installed.splitlines() if "==" in line}
    assert sorted(names & set(NOT_DEPENDENCIES)) == []
    assert {"robotframework", "robotframework-seamline", "requests", "paramiko"} <= names


def test_the_seamline_command_is_installed(venv: Path) -> None:
    assert "seamline report" in run([venv.parent / "seamline", "--help"], cwd=venv.parent)


SUITE = """\
*** Settings ***
Documentation       Seamline from its wheel, with no extras, on systems that are not orderflow.
Library             Seamline    timeout=15s
Suite Teardown      Stop All Services


*** Test Cases ***
The Library Is The Installed One
    ${location} =    Evaluate    Seamline.__file__    modules=Seamline
    Should Start With    ${location}    ${SITE_PACKAGES}

HTTP Against A Plain File Server
    ${server} =    Start Service    files    python -m http.server 0 --bind 127.0.0.1 --directory ${ROOT}/site
    ...    ready=log:Serving HTTP on \\\\S+ port (\\\\d+)
    Connect To Api    http://127.0.0.1:${server.ready_value}    alias=files
    ${response} =    Call Api    GET    /orders/1.json
    Response Field Should Be    ${response}    $.status    SHIPPED
    Call Api    GET    /orders/2.json    expected_status=404
    [Teardown]    Disconnect From Api    files

A Hand-Made SQLite File
    Connect To Sql    sqlite:///${ROOT}/shop.db    alias=shop
    Row Should Exist    customers    id=1    name=Ada
    ${rows} =    Query Rows    SELECT name FROM customers WHERE id = ?    2
    Should Be Equal    ${rows}[0][name]    Grace
    [Teardown]    Disconnect From Sql    shop

Records In A Layout Of The User's Own
    Set Layout Directory    ${ROOT}/layouts
    VAR    &{ada}    record_type=detail    payer=Ada    amount=12.50
    VAR    &{grace}    record_type=detail    payer=Grace    amount=7.05
    VAR    &{trailer}    record_type=trailer    count=2
    VAR    @{batch}    ${ada}    ${grace}    ${trailer}
    Write Records    ${ROOT}/payments.dat    ${batch}    payments
    ${records} =    Batch Should Be Valid    ${ROOT}/payments.dat    payments
    Records Should Contain    ${records}    detail    payer=Grace    amount=7.05
    [Teardown]    Set Layout Directory    ${None}

A Missing Driver Names The Extra To Install
    [Template]    Missing Driver Should Name Its Extra
    Connect To Broker    amqp://guest:guest@127.0.0.1:5672/%2F    amqp
    Connect To Sql    postgresql://postgres@127.0.0.1:5432/test    postgres
    Connect To Sql    mysql://root@127.0.0.1:3306/test    mysql


*** Keywords ***
Missing Driver Should Name Its Extra
    [Arguments]    ${keyword}    ${url}    ${extra}
    ${status}    ${message} =    Run Keyword And Ignore Error    ${keyword}    ${url}
    Should Be Equal    ${status}    FAIL    msg=${keyword} passed without its driver
    Should End With    ${message}    pip install 'robotframework-seamline[${extra}]'
    Should Not Contain    ${message}    \\n    msg=not one line: ${message}
"""

PAYMENTS_LAYOUT = """\
name: payments
description: A payment batch of the user's own, fixed width
format: fixed
encoding: utf-8
newline: "\\n"
record_length: 20
record_type: {start: 1, length: 1}
batch: {last: trailer}
records:
  detail:
    code: D
    fields:
      - {name: payer, start: 2, length: 10, type: str}
      - {name: amount, start: 12, length: 9, type: decimal, format: cents}
  trailer:
    code: T
    fields:
      - {name: count, start: 2, length: 4, type: int}
    checks:
      - {field: count, count_of: detail}
"""


def make_user_systems(root: Path) -> None:
    """What the suite tests: a file server's documents, a SQLite file and a layout directory."""
    (root / "site" / "orders").mkdir(parents=True)
    (root / "site" / "orders" / "1.json").write_text('{"id": 1, "status": "SHIPPED"}')
    with sqlite3.connect(root / "shop.db") as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        db.executemany("INSERT INTO customers VALUES (?, ?)", [(1, "Ada"), (2, "Grace")])
    (root / "layouts").mkdir()
    (root / "layouts" / "payments.yaml").write_text(PAYMENTS_LAYOUT)


def test_an_http_sqlite_and_records_suite_runs_on_the_installed_wheel(venv: Path, tmp_path: Path) -> None:
    make_user_systems(tmp_path)
    (tmp_path / "installed.robot").write_text(SUITE)
    site_packages = run([venv, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=tmp_path)
    output = run(
        [
            venv,
            "-m",
            "robot",
            "--outputdir",
            tmp_path / "results",
            "--variable",
            f"ROOT:{tmp_path}",
            "--variable",
            f"SITE_PACKAGES:{site_packages.strip()}",
            tmp_path / "installed.robot",
        ],
        cwd=tmp_path,
    )
    assert "5 tests, 5 passed, 0 failed" in output, output
