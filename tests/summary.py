"""Print one closing line for `make test`: pytest junit files and Robot output.xml files together.

Exits non-zero when anything failed, or when a part that should have run wrote no result
(the suites on a server environment count when they ran or when SEAMLINE_REQUIRE asked for them).
"""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

PARTS = {
    "unit": "pytest-unit.xml",
    "integration": "pytest-integration.xml",
    "acceptance": "acceptance/output.xml",
    "suites": "suites/output.xml",
    "load": "load/output.xml",
}


def count_pytest(path: Path) -> tuple[int, int, int]:
    passed = failed = skipped = 0
    for case in ET.parse(path).iter("testcase"):
        outcome = {child.tag for child in case}
        if outcome & {"failure", "error"}:
            failed += 1
        elif "skipped" in outcome:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def count_robot(path: Path) -> tuple[int, int, int]:
    total = ET.parse(path).find("./statistics/total/stat")
    if total is None:
        return 0, 1, 0
    return int(total.get("pass", 0)), int(total.get("fail", 0)), int(total.get("skip", 0))


def main(results: Path) -> int:
    totals = [0, 0, 0]
    missing = []
    parts = dict(PARTS)
    # suites-<env>/ exists for each server environment that ran, or that was required but absent.
    for directory in sorted(results.glob("suites-*/")):
        parts[directory.name] = f"{directory.name}/output.xml"
    for part, name in parts.items():
        path = results / name
        if not path.exists():
            missing.append(part)
            continue
        counts = count_pytest(path) if part in ("unit", "integration") else count_robot(path)
        print(f"  {part:<18} {counts[0]} passed, {counts[1]} failed, {counts[2]} skipped")
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    if missing:
        print(f"  no results from: {', '.join(missing)}")
    print(f"seamline: {totals[0]} passed, {totals[1] + len(missing)} failed, {totals[2]} skipped")
    return 1 if totals[1] or missing else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "results")))
