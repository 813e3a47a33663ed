"""Reconciliation: `Reconcile Tables` vs reladiff on the same PostgreSQL tables, and the streaming and
in-memory diff (`Reconcile`) vs datacompy (pandas) on the same rows.

Every measurement runs in a child process of its own, so its peak memory (ru_maxrss) is its own: the
child prints its seconds, peak and baseline (after imports) resident memory and what it found. The
data is generated here: PostgreSQL tables of ROWS rows (id, customer, amount, at), one copy equal and
one with 0.1% of the amounts changed, and a CSV file of the same rows. Seamline's engine is called
directly (one keyword call is one engine call; Robot's per-keyword cost is microseconds against seconds).

    python benchmarks/bench_reconcile.py            # 1M rows (SEAMLINE_BENCH_RECONCILE_ROWS=1000000,10000000)

At 10M rows the in-memory cases (lists, datacompy) are left out: only the tables and the streamed diff run.
The streamed and in-memory cases run ROUNDS times (SEAMLINE_BENCH_RECONCILE_ROUNDS, 5), Seamline and
datacompy alternating, each round in fresh processes: their figures are the medians (seconds, and CPU
seconds of the measuring process, which a shared machine disturbs less), and each round's own ratio is
kept. SEAMLINE_BENCH_RECONCILE_CASES (comma-separated case names) runs only those cases; a run of other
sizes or cases writes reconcile-<rows>.json, not reconcile.json.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, print_table, reachable, write_results

sys.path.insert(0, str(ROOT / "libraries"))

PG_URL = os.environ.get("SEAMLINE_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SIZES = [int(size) for size in os.environ.get("SEAMLINE_BENCH_RECONCILE_ROWS", "1000000").split(",")]
CHANGED_EVERY = 1000  # 0.1% of the rows differ in the "diff" tables
COLUMNS = ("customer", "amount", "at")
# Lists and DataFrames hold every row (datacompy took 0.9 GB at 1M rows): above this size only the
# streaming diff runs beside the tables, for its peak memory.
IN_MEMORY_ROWS = 1_000_000
ROUNDS = int(os.environ.get("SEAMLINE_BENCH_RECONCILE_ROUNDS", "5"))
CASES = [case for case in os.environ.get("SEAMLINE_BENCH_RECONCILE_CASES", "").split(",") if case]
PAIRED = (("seamline_stream", "datacompy_stream"), ("seamline_lists", "datacompy_lists"))  # alternate in rounds


def _tables(rows: int) -> dict[str, str]:
    return {"left": f"bench_rc_{rows}_a", "same": f"bench_rc_{rows}_b0", "diff": f"bench_rc_{rows}_b1"}


def generate(rows: int, csv_path: Path) -> None:
    import psycopg

    names = _tables(rows)
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for name in names.values():
            conn.execute(f"DROP TABLE IF EXISTS {name}")
            conn.execute(
                f"CREATE TABLE {name} (id BIGINT PRIMARY KEY, customer VARCHAR(40), amount NUMERIC(12, 2), "
                "at TIMESTAMP)"
            )
            changed = f"+ CASE WHEN g % {CHANGED_EVERY} = 0 THEN 1 ELSE 0 END" if name == names["diff"] else ""
            conn.execute(
                f"INSERT INTO {name} SELECT g, 'customer ' || (g % 997), (g % 100000) / 100.0 {changed}, "
                f"TIMESTAMP '2026-11-01' + g * INTERVAL '1 second' FROM generate_series(1, {rows}) g"
            )
            conn.execute(f"ANALYZE {name}")
        with (
            open(csv_path, "w", encoding="utf-8") as out,
            conn.cursor().copy(
                f"COPY (SELECT id, customer, amount FROM {names['diff']} ORDER BY id) TO STDOUT WITH CSV HEADER"
            ) as copy,
        ):
            for block in copy:
                out.write(bytes(block).decode())


def drop(rows: int) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for name in _tables(rows).values():
            conn.execute(f"DROP TABLE IF EXISTS {name}")


# Children: one measurement each.
def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(case: str, rows: int, right: str, csv_path: str) -> dict[str, Any]:
    names = _tables(rows)
    found: Any
    if case == "seamline_tables":
        from Seamline.engine.database.sql import open_database
        from Seamline.engine.reconcile.options import build_options
        from Seamline.engine.reconcile.tables import Side, reconcile_tables

        left_db, right_db = open_database(PG_URL, timeout=600), open_database(PG_URL, timeout=600)
        baseline, started, cpu = _peak_mb(), time.perf_counter(), time.process_time()
        result, stats = reconcile_tables(
            Side(left_db, names["left"]), Side(right_db, names[right]), build_options("id")
        )
        found = {
            "mismatched_rows": result.mismatched_rows,
            "statements": stats.statements,
            "rows_read": stats.rows_read,
        }
    elif case.startswith("reladiff"):
        import reladiff
        from reladiff import Algorithm

        algorithm = Algorithm.HASHDIFF if case == "reladiff_hashdiff" else Algorithm.JOINDIFF
        first = reladiff.connect_to_table(PG_URL, names["left"], "id")
        second = reladiff.connect_to_table(PG_URL, names[right], "id")
        baseline, started, cpu = _peak_mb(), time.perf_counter(), time.process_time()
        differences = list(reladiff.diff_tables(first, second, extra_columns=COLUMNS, algorithm=algorithm))
        found = {"mismatched_rows": len({row[1][0] for row in differences})}
    elif case == "seamline_stream":
        from Seamline.engine import arrowed
        from Seamline.engine.database.sql import open_database
        from Seamline.engine.reconcile.batches import Blocks
        from Seamline.engine.reconcile.diff import reconcile
        from Seamline.engine.reconcile.options import build_options
        from Seamline.engine.reconcile.sources import local_blocks

        if arrowed.available():  # imported before the clock starts, as pandas and datacompy are
            import pyarrow.compute
            import pyarrow.csv  # noqa: F401
        database = open_database(PG_URL, timeout=600)
        baseline, started, cpu = _peak_mb(), time.perf_counter(), time.process_time()
        sql = f"SELECT id, customer, amount FROM {names['left']}"  # datacompy's query: the diff pairs keys in any order
        result = database.stream(
            sql, (), lambda blocks: reconcile(Blocks(blocks), local_blocks(csv_path, "csv"), build_options("id"))
        )
        found = {"mismatched_rows": result.mismatched_rows}
    elif case == "datacompy_stream":
        import datacompy
        import pandas
        import psycopg

        baseline, started, cpu = _peak_mb(), time.perf_counter(), time.process_time()
        with psycopg.connect(PG_URL) as conn:
            cursor = conn.execute(f"SELECT id, customer, amount FROM {names['left']}")
            left = pandas.DataFrame(cursor.fetchall(), columns=["id", "customer", "amount"])
        left["amount"] = left["amount"].astype(float)
        compare = datacompy.PandasCompare(left, pandas.read_csv(csv_path), join_columns="id")
        found = {"mismatched_rows": len(compare.all_mismatch())}
    else:  # the same rows in memory: lists of dicts (Seamline) or DataFrames built from them (datacompy)
        left_rows = [{"id": i, "customer": f"customer {i % 997}", "amount": (i % 100000) / 100} for i in range(rows)]
        right_rows = [
            dict(row, amount=row["amount"] + (1 if row["id"] % CHANGED_EVERY == 0 else 0)) for row in left_rows
        ]
        if case == "seamline_lists":
            from Seamline.engine.reconcile.diff import reconcile
            from Seamline.engine.reconcile.options import build_options

            baseline, started, cpu = _peak_mb(), time.perf_counter(), time.process_time()
            found = {"mismatched_rows": reconcile(left_rows, right_rows, build_options("id")).mismatched_rows}
        else:
            import datacompy
            import pandas

            baseline, started, cpu = _peak_mb(), time.perf_counter(), time.process_time()
            compare = datacompy.PandasCompare(
                pandas.DataFrame(left_rows), pandas.DataFrame(right_rows), join_columns="id"
            )
            found = {"mismatched_rows": len(compare.all_mismatch())}
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "peak_mb": round(_peak_mb(), 1),
        "baseline_mb": round(baseline, 1),
        **found,
    }


def measure(case: str, rows: int, right: str, csv_path: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", case, str(rows), right, str(csv_path)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=3600, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"{case} failed:\n{run.stderr[-3000:]}")
    return {"case": case, "rows": rows, "differences": "0.1%" if right == "diff" else "0", **json.loads(run.stdout)}


def main() -> int:
    if not reachable(5432):
        print("PostgreSQL is not reachable at 127.0.0.1:5432: nothing to measure")
        return 0
    figures: list[dict[str, Any]] = []
    load = os.getloadavg()
    for rows in SIZES:
        with tempfile.TemporaryDirectory() as directory:
            csv_path = Path(directory) / "rows.csv"
            started = time.perf_counter()
            generate(rows, csv_path)
            print(f"{rows} rows generated in {time.perf_counter() - started:.0f} s", flush=True)
            try:
                for right in ("same", "diff"):
                    for case in ("seamline_tables", "reladiff_hashdiff", "reladiff_joindiff"):
                        if wanted(case):
                            figures.append(measure(case, rows, right, csv_path))
                for pair in PAIRED:
                    cases = [
                        case for case in pair if wanted(case) and (rows <= IN_MEMORY_ROWS or case == "seamline_stream")
                    ]
                    figures += in_rounds(cases, rows, csv_path)
            finally:
                drop(rows)
    for figure in figures:
        figure["rows_per_s"] = round(figure["rows"] / figure["seconds"]) if figure["seconds"] else 0
    ratios = _ratios(figures)
    print_table(
        figures,
        [("case", "case", "<18s"), ("rows", "rows", ">9d"), ("diff", "differences", ">5s"), ("s", "seconds", ">8.2f"),
         ("cpu s", "cpu_seconds", ">6.2f"), ("rows/s", "rows_per_s", ">10d"), ("peak MB", "peak_mb", ">8.0f"),
         ("base MB", "baseline_mb", ">8.0f"), ("mismatched", "mismatched_rows", ">10d")],
    )  # fmt: skip
    for name, ratio in ratios.items():
        print(f"{name}: {ratio}x")
    name = "reconcile" if SIZES == [IN_MEMORY_ROWS] and not CASES else "reconcile-" + "-".join(map(str, SIZES))
    write_results(
        name,
        {"load_average_at_start": load, "load_average_at_end": os.getloadavg(), "figures": figures, "speedups": ratios},
    )
    return 0


def wanted(case: str) -> bool:
    return not CASES or case in CASES


def in_rounds(cases: list[str], rows: int, csv_path: Path) -> list[dict[str, Any]]:
    """Each of `cases` ROUNDS times, alternating: the median round of each (seconds, CPU seconds, peak),
    with every round's seconds, and each round's ratio of the others' seconds to the first case's."""
    runs: dict[str, list[dict[str, Any]]] = {case: [] for case in cases}
    for _ in range(ROUNDS):
        for case in cases:
            runs[case].append(measure(case, rows, "diff", csv_path))
    figures = []
    for case, found in runs.items():
        median = sorted(found, key=lambda run: run["seconds"])[len(found) // 2]
        figure = {**median, "cpu_seconds": statistics.median(run["cpu_seconds"] for run in found)}
        figure["rounds"] = [run["seconds"] for run in found]
        if case != cases[0]:
            pairs = zip(found, runs[cases[0]], strict=True)
            figure["ratio_by_round"] = [round(theirs["seconds"] / ours["seconds"], 2) for theirs, ours in pairs]
        figures.append(figure)
    return figures


def _ratios(figures: list[dict[str, Any]]) -> dict[str, float]:
    by = {(f["case"], f["rows"], f["differences"]): f["seconds"] for f in figures}
    ratios = {}
    for (case, rows, differences), seconds in by.items():
        if case.startswith("reladiff") or case.startswith("datacompy"):
            ours = by.get(
                (
                    "seamline_tables" if case.startswith("reladiff") else case.replace("datacompy", "seamline"),
                    rows,
                    differences,
                )
            )
            if ours:
                ratios[f"{case} / seamline, {rows} rows, {differences} differences"] = round(seconds / ours, 2)
    return ratios


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])))
        sys.exit(0)
    sys.exit(main())
