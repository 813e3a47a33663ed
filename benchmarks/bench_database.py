"""1000 single-row primary-key queries through Robot Framework, on SQLite and PostgreSQL:

- Seamline `Query Rows` (rows as dicts, a timeline span, one masked log line per query);
- DatabaseLibrary `Query` (what suites use today), parameters bound, results as dicts;
- the raw DB-API driver in a bare Python keyword (the floor: what Robot's per-keyword cost allows).

Each runs in its own `robot` process on the same table; the figure is the test's own elapsed time
(Robot's start-up left out) divided by the query count, the best of a few rounds. Writes
benchmarks/results/database.json and prints a table. Runs alone: .venv/bin/python benchmarks/bench_database.py
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from pathlib import Path

from common import ROOT, print_table, reachable, run_robot, test_seconds, write_results

sys.path.insert(0, str(ROOT / "libraries"))

from Seamline.engine.database.sql import open_database

QUERIES = 1000  # keys 1..1000: one query per row
ROUNDS = 5
ROWS = QUERIES
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

BARE_LIBRARY = '''
import sqlite3


class BareDriver:
    """The floor: the DB-API driver called directly, autocommit, nothing else."""

    ROBOT_LIBRARY_SCOPE = "GLOBAL"

    def connect_bare(self, dialect, target):
        if dialect == "sqlite":
            self.connection = sqlite3.connect(target, isolation_level=None)
        else:
            import psycopg

            self.connection = psycopg.connect(target, autocommit=True)

    def bare_query(self, sql, key):
        cursor = self.connection.cursor()
        cursor.execute(sql, (key,))
        return cursor.fetchall()
'''


def suite(tool: str, dialect: str, url: str, path: str, table: str) -> str:
    placeholder = "?" if dialect == "sqlite" else "%s"
    if tool == "Seamline Query Rows":
        settings = f"Library    Seamline\nSuite Setup    Connect To Sql    {url}"
        call = f"Query Rows    SELECT * FROM {table} WHERE id = ?    ${{key}}"
    elif tool == "DatabaseLibrary Query":
        if dialect == "sqlite":
            connect = f"Connect To Database    sqlite3    database={path}    isolation_level=${{None}}"
        else:
            # DatabaseLibrary's positional arguments name psycopg 3's options wrongly; its custom ones work.
            connect = "Connect To Database    psycopg    dbname=test    user=postgres    host=127.0.0.1    port=${5432}"
        settings = f"Library    DatabaseLibrary\nSuite Setup    {connect}"
        parameters = "${{(${key},)}}"
        call = f"Query    SELECT * FROM {table} WHERE id = {placeholder}    parameters={parameters}    return_dict=True"
    else:
        target = path if dialect == "sqlite" else POSTGRES_URL
        settings = f"Library    BareDriver.py\nSuite Setup    Connect Bare    {dialect}    {target}"
        call = f"Bare Query    SELECT * FROM {table} WHERE id = {placeholder}    ${{key}}"
    lines = [
        "*** Settings ***",
        *settings.splitlines(),
        "",
        "*** Test Cases ***",
        "Primary Key Queries",
        f"    FOR    ${{key}}    IN RANGE    1    {QUERIES + 1}",
        f"        {call}",
        "    END",
    ]
    return "\n".join(lines) + "\n"


def run_tool(workdir: Path, tool: str, dialect: str, url: str, path: str, table: str, round_no: int) -> float:
    name = f"{dialect}-{tool.split()[0].lower()}-{round_no}"
    robot_file = workdir / f"{name}.robot"
    robot_file.write_text(suite(tool, dialect, url, path, table), encoding="utf-8")
    output = workdir / f"{name}.xml"
    run_robot(f"{tool} on {dialect}", robot_file, output=output)
    return test_seconds(output)["Primary Key Queries"]


def main() -> int:
    tools = ["Seamline Query Rows", "DatabaseLibrary Query", "raw driver in a bare keyword"]
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="bench-db-") as tmp:
        workdir = Path(tmp)
        (workdir / "BareDriver.py").write_text(BARE_LIBRARY, encoding="utf-8")
        targets = [("sqlite", f"sqlite:///{workdir}/bench.db", str(workdir / "bench.db"))]
        if reachable(5432):
            targets.append(("postgresql", POSTGRES_URL, ""))
        else:
            notes.append("PostgreSQL not reachable at 127.0.0.1:5432: SQLite only")
        for dialect, url, path in targets:
            table = f"bench_{uuid.uuid4().hex[:8]}"
            db = open_database(url)
            db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name VARCHAR(40), amount NUMERIC(12,2))")
            values = ", ".join(f"({i}, 'customer {i}', {i}.50)" for i in range(1, ROWS + 1))
            db.execute(f"INSERT INTO {table} VALUES {values}")
            # Rounds interleave the tools, so a busy moment of the machine hits them alike; the best round counts.
            seconds: dict[str, list[float]] = {tool: [] for tool in tools}
            try:
                for round_no in range(ROUNDS):
                    for tool in tools:
                        seconds[tool].append(run_tool(workdir, tool, dialect, url, path, table, round_no))
            finally:
                db.execute(f"DROP TABLE {table}")
                db.close()
            best = {tool: min(times) for tool, times in seconds.items()}
            floor = best[tools[-1]]
            for tool in tools:
                per_op = best[tool] / QUERIES * 1000
                rows.append(
                    {
                        "tool": tool,
                        "database": dialect,
                        "per_op_ms": round(per_op, 4),
                        "ratio_to_floor": round(best[tool] / floor, 3),
                        "queries": QUERIES,
                    }
                )
    notes.append(
        f"best of {ROUNDS} robot runs per tool; per_op_ms = the test's elapsed time / {QUERIES} (start-up excluded); "
        "every tool pays Robot's per-keyword cost and the same FOR loop"
    )
    result = {"benchmark": "database", "rows": rows, "notes": notes}
    write_results("database", result)
    print_table(
        rows,
        [
            ("database", "database", "<11"),
            ("tool", "tool", "<32"),
            ("per op ms", "per_op_ms", ">10.4f"),
            ("x floor", "ratio_to_floor", ">8.3f"),
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
