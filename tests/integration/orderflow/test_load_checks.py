"""The checks `make load` runs once its clients are done (resources/load.resource), on a real orderflow:
they pass at rest, and each names what a lost, doubled or oversold order breaks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import ADMIN, CLERK, Deployment
from orderflow_harness import api, ledger_ack, place_order, wait_for_status, wait_until
from robot.api import ExecutionResult
from sqlalchemy import update

from orderflow.db import orders

ROOT = Path(__file__).resolve().parents[3]
SUITE = """
*** Settings ***
Resource    {root}/resources/load.resource
Suite Setup    Connect To Every Seam Of Orderflow
Suite Teardown    Disconnect From Every Seam Of Orderflow

*** Test Cases ***
At Rest
    Orderflow Should Have Lost And Doubled No Order

Undecided
    No Order Should Be Left Undecided

Ledger
    The Ledger Should Hold Every Reserved Order Once

Inventory
    Inventory Should Hold Exactly What The Orders Reserved

Consistency
    The Consistency Report Should Flag Nothing
"""


def run_checks(deployment: Deployment, tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Each check's (status, message) against the deployment as it is now."""
    tmp_path.mkdir()
    (tmp_path / "orderflow.json").write_text(json.dumps(deployment.endpoints), encoding="utf-8")
    suite = tmp_path / "checks.robot"
    suite.write_text(textwrap.dedent(SUITE.format(root=ROOT)), encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path), "--console", "none", "--variablefile",
         str(ROOT / "variables/deployment.py"), "--variable", "AT_REST_TIMEOUT:1s", str(suite)],
        env={**os.environ, "ORDERFLOW_ENDPOINTS": str(tmp_path / "orderflow.json")},
        timeout=120, check=False,
    )  # fmt: skip
    result = ExecutionResult(str(tmp_path / "output.xml"), include_keywords=False)
    return {test.name: (test.status, test.message) for test in result.suite.all_tests}


def test_the_checks_pass_at_rest_and_name_a_lost_doubled_or_oversold_order(deployment: Deployment, tmp_path) -> None:
    with api(deployment.gateway, ADMIN) as admin:
        assert admin.put("/api/inventory/SKU-LOAD", json={"available": 5}).status_code == 201
    with api(deployment.gateway, CLERK) as clerk:
        order = place_order(clerk, "SKU-LOAD", quantity=2)
        wait_for_status(clerk, order["id"], "RESERVED")
    ledger = deployment.ledger_root
    ack = wait_until(lambda: ledger_ack(ledger, order["id"]), what="the ledger's posting")
    at_rest = run_checks(deployment, tmp_path / "at-rest")
    assert {name: status for name, (status, _) in at_rest.items()} == dict.fromkeys(at_rest, "PASS"), at_rest

    # The ledger posts the batch twice, and the order is back to NEW while inventory still holds its units.
    shutil.copy(ledger / "archive" / f"{ack['batch_id']}.dat", ledger / "archive" / "SCOPY.dat")
    with deployment.engine.begin() as conn:
        conn.execute(update(orders).where(orders.c.id == order["id"]).values(status="NEW"))
    broken = run_checks(deployment, tmp_path / "broken")
    assert broken["At Rest"][0] == "FAIL"
    assert broken["Undecided"][0] == "FAIL"
    assert broken["Undecided"][1].endswith("error was: SQL: 1 orders are still NEW: inventory never decided them")
    assert broken["Ledger"][0] == "FAIL"
    assert "reserved orders vs ledger postings" in broken["Ledger"][1]
    assert "duplicated on the right" in broken["Ledger"][1] and order["id"] in broken["Ledger"][1]
    assert broken["Inventory"][0] == "FAIL"
    assert "SKU-LOAD" in broken["Inventory"][1] and "reserved" in broken["Inventory"][1]
    assert broken["Consistency"][0] == "FAIL" and order["id"] in broken["Consistency"][1]
