"""Batch records: Seamline `Read Records` / `Write Records` vs a hand-written fixed-width slicer.

No Robot Framework library reads fixed-width batch files, so the comparison is with what teams write
today: a Python keyword with hard-coded column slices. Both run through `robot` in the same run, so
both pay Robot's per-keyword cost; reading the bytes alone (OperatingSystem `Get Binary File`) is shown
as the floor. Writes a settlement batch of DETAILS records, runs each keyword ROUNDS times.
"""

from __future__ import annotations

import sys
import tempfile
import textwrap
from pathlib import Path

from common import ROOT, print_table, run_robot, test_seconds, write_results

DETAILS = 1000
ROUNDS = 20

HAND_SLICER = '''
from datetime import datetime
from decimal import Decimal


def read_settlement_batch(path):
    """What a team writes without a layout library: fixed slices, a few conversions, no checks."""
    records = []
    with open(path, encoding="latin-1") as file:
        for line in file:
            line = line.rstrip("\\n")
            kind = line[0]
            if kind == "H":
                records.append({"record_type": "header", "batch_id": line[1:21].rstrip(),
                                "created": datetime.strptime(line[21:29], "%Y%m%d").date(),
                                "source": line[29:39].rstrip()})
            elif kind == "D":
                records.append({"record_type": "detail", "order_id": line[1:37].rstrip(),
                                "customer": line[37:57].rstrip(), "amount": Decimal(int(line[57:69])) / 100,
                                "currency": line[69:72], "settled_on": datetime.strptime(line[72:80], "%Y%m%d").date()})
            else:
                records.append({"record_type": "trailer", "count": int(line[1:9]),
                                "total": Decimal(int(line[9:23])) / 100})
    return records


def write_settlement_batch(path, records):
    lines = []
    for r in records:
        if r["record_type"] == "header":
            lines.append(f"H{r['batch_id']:<20}{r['created']:%Y%m%d}{r['source']:<10}".ljust(80))
        elif r["record_type"] == "detail":
            lines.append(f"D{r['order_id']:<36}{r['customer']:<20}{int(r['amount'] * 100):012d}"
                         f"{r['currency']}{r['settled_on']:%Y%m%d}")
        else:
            lines.append(f"T{r['count']:08d}{int(r['total'] * 100):014d}".ljust(80))
    with open(path, "w", encoding="latin-1", newline="") as file:
        file.write("".join(line + "\\n" for line in lines))
'''

SUITE = """
*** Settings ***
Library    OperatingSystem
Library    Seamline    layouts={layouts}
Library    HandSlicer.py

*** Variables ***
${{BATCH}}    {batch}
${{OUT}}    {out}

*** Test Cases ***
Floor: Get Binary File
    FOR    ${{i}}    IN RANGE    {rounds}
        Get Binary File    ${{BATCH}}
    END

Hand-written slicer: read
    FOR    ${{i}}    IN RANGE    {rounds}
        Read Settlement Batch    ${{BATCH}}
    END

Seamline: Read Records
    FOR    ${{i}}    IN RANGE    {rounds}
        Read Records    ${{BATCH}}    settlement
    END

Seamline: Batch Should Be Valid
    FOR    ${{i}}    IN RANGE    {rounds}
        Batch Should Be Valid    ${{BATCH}}    settlement
    END

Hand-written slicer: write
    ${{records}} =    Read Settlement Batch    ${{BATCH}}
    FOR    ${{i}}    IN RANGE    {rounds}
        Write Settlement Batch    ${{OUT}}    ${{records}}
    END

Seamline: Write Records
    ${{records}} =    Read Records    ${{BATCH}}    settlement
    FOR    ${{i}}    IN RANGE    {rounds}
        Write Records    ${{OUT}}    ${{records}}    settlement
    END
"""


def settlement_batch(details: int) -> str:
    lines = [("H" + "BENCH-1".ljust(20) + "20261124" + "bench".ljust(10)).ljust(80)]
    total = 0
    for number in range(details):
        cents = 100 + number * 7
        total += cents
        customer = f"customer {number % 97}".ljust(20)
        lines.append(f"D{f'ord-{number:08d}':<36}{customer}{cents:012d}EUR20261124")
    lines.append(f"T{details:08d}{total:014d}".ljust(80))
    return "".join(line + "\n" for line in lines)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-records-") as tmp:
        work = Path(tmp)
        batch = work / "batch.dat"
        batch.write_text(settlement_batch(DETAILS), encoding="latin-1")
        (work / "HandSlicer.py").write_text(textwrap.dedent(HAND_SLICER))
        suite = work / "records_bench.robot"
        layouts = ROOT / "resources" / "layouts"
        suite.write_text(SUITE.format(batch=batch, out=work / "out.dat", rounds=ROUNDS, layouts=layouts))
        run_robot("records benchmark", suite, output=work / "output.xml", timeout=600)
        tests = test_seconds(work / "output.xml")
    per_op = {name: seconds / ROUNDS * 1000 for name, seconds in tests.items()}
    floors = {"read": per_op["Hand-written slicer: read"], "write": per_op["Hand-written slicer: write"]}
    rows = []
    for name, ms in per_op.items():
        kind = "write" if "write" in name.lower() else "read"
        rows.append(
            {
                "tool": name,
                "operation": kind,
                "per_op_ms": round(ms, 2),
                "ratio_to_floor": round(ms / floors[kind], 2),
                "records_per_s": round((DETAILS + 2) / ms * 1000),
            }
        )
    notes = (
        f"{DETAILS + 2} fixed-width records (80 characters) per file, {ROUNDS} rounds per keyword, all via robot. "
        "Floor per operation = hand-written slicer (hard-coded slices, no validation). Seamline checks every "
        "field, filler and record length and logs an HTML table of the first records; Batch Should Be Valid "
        "adds the trailer checks. 'Get Binary File' reads the bytes only."
    )
    write_results("records", {"benchmark": "records", "rows": rows, "notes": notes}, indent=1)
    print_table(
        rows,
        [
            ("tool", "tool", "<36"),
            ("per op ms", "per_op_ms", ">10"),
            ("x floor", "ratio_to_floor", ">8"),
            ("records/s", "records_per_s", ">10"),
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
