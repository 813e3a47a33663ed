"""The history of runs: one SQLite file by default (``results/history.db``), or any SQL URL to share it.

Each run is stored under its run key, so appending the same run again (pabot processes re-merging their
parts, a report run twice) replaces it instead of counting it twice. A test that passed and failed on
the same commit is flaky, whatever each run's own verdict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..database.sql import Database, open_database
from .run import RunMetrics, resource_reading

TABLES = (
    "CREATE TABLE IF NOT EXISTS seamline_runs (run_key VARCHAR(80) PRIMARY KEY, started VARCHAR(40), "
    "ended VARCHAR(40), commit_id VARCHAR(64), log_path VARCHAR(1000), tests INTEGER, passed INTEGER, "
    "flaky INTEGER, failed INTEGER, skipped INTEGER, quarantined INTEGER, first_run_pct REAL, "
    "mean_detect_s REAL, mean_inter_ms REAL, test_seconds REAL)",
    "CREATE TABLE IF NOT EXISTS seamline_tests (run_key VARCHAR(80), name VARCHAR(1000), verdict VARCHAR(10), "
    "first_passed INTEGER, attempts INTEGER, elapsed REAL)",
    "CREATE TABLE IF NOT EXISTS seamline_hops (run_key VARCHAR(80), hop VARCHAR(200), count INTEGER, "
    "mean_ms REAL, p50_ms REAL, p95_ms REAL, p99_ms REAL, max_ms REAL, gap_mean_ms REAL)",
    "CREATE TABLE IF NOT EXISTS seamline_resources (run_key VARCHAR(80), service VARCHAR(200), "
    "test VARCHAR(1000), cpu_seconds REAL, peak_rss_mb REAL, mean_rss_mb REAL, connections INTEGER)",
)
RESOURCE_COLUMNS = ("service", "test", "cpu_seconds", "peak_rss_mb", "mean_rss_mb", "connections")
PER_RUN_TABLES = ("seamline_tests", "seamline_hops", "seamline_resources", "seamline_runs")


def database_url(where: str | Path) -> str:
    """A path (``results/history.db``) or an SQL URL as given."""
    text = str(where)
    return text if "://" in text else f"sqlite:///{Path(text).expanduser()}"


class History:
    """Runs appended to, and read back from, the history database."""

    def __init__(self, where: str | Path, timeout: float = 30.0):
        if "://" not in str(where):
            Path(where).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self.db: Database = open_database(database_url(where), timeout=timeout)
        for statement in TABLES:
            self.db.execute(statement)

    def append(self, metrics: RunMetrics) -> None:
        """The run's rows, in one transaction (a run of thousands of tests is one commit, not thousands)."""
        self.db.execute("BEGIN")
        try:
            self._insert(metrics)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _insert(self, metrics: RunMetrics) -> None:
        key = metrics.run["run_key"]
        for table in PER_RUN_TABLES:
            self.db.execute(f"DELETE FROM {table} WHERE run_key = ?", (key,))
        figures = metrics.to_dict()
        summary, run = figures["summary"], metrics.run
        self.db.execute(
            "INSERT INTO seamline_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                run.get("started"),
                run.get("ended"),
                run.get("commit"),
                run.get("log"),
                summary["tests"],
                summary["passed"],
                summary["flaky"],
                summary["failed"],
                summary["skipped"],
                summary["quarantined"],
                summary["first_run_pass_pct"],
                summary["mean_detect_s"],
                summary["mean_inter_service_ms"],
                summary["test_seconds"],
            ),
        )
        for record in metrics.tests.values():
            passed = record.first_run_passed
            self.db.execute(
                "INSERT INTO seamline_tests VALUES (?, ?, ?, ?, ?, ?)",
                (
                    key,
                    record.name,
                    record.verdict,
                    None if passed is None else int(passed),
                    len(record.attempts),
                    round(record.elapsed, 6),
                ),
            )
        for hop, stats in figures["hops"].items():
            gap = figures["inter_service"].get(hop, {}).get("mean_ms")
            self.db.execute(
                "INSERT INTO seamline_hops VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    hop,
                    stats["count"],
                    stats["mean_ms"],
                    stats["p50_ms"],
                    stats["p95_ms"],
                    stats["p99_ms"],
                    stats["max_ms"],
                    gap,
                ),
            )
        for usage in map(resource_reading, metrics.resources):
            self.db.execute(
                "INSERT INTO seamline_resources VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, *(usage[column] for column in RESOURCE_COLUMNS)),
            )

    def runs(self, limit: int = 200) -> list[dict[str, Any]]:
        """The newest ``limit`` runs, oldest first."""
        rows = self.db.query("SELECT * FROM seamline_runs ORDER BY started DESC", ())[:limit]
        return list(reversed(rows))

    def hops(self, run_keys: list[str]) -> list[dict[str, Any]]:
        return [row for row in self.db.query("SELECT * FROM seamline_hops", ()) if row["run_key"] in set(run_keys)]

    def tests(self, run_key: str) -> list[dict[str, Any]]:
        return self.db.query("SELECT * FROM seamline_tests WHERE run_key = ?", (run_key,))

    def resources(self, run_key: str) -> list[dict[str, Any]]:
        return self.db.query("SELECT * FROM seamline_resources WHERE run_key = ?", (run_key,))

    def flaky_tests(self, run_keys: list[str]) -> list[dict[str, Any]]:
        """Tests that were FLAKY in a run or passed and failed on the same commit, most often first."""
        wanted = set(run_keys)
        rows = self.db.query(
            "SELECT t.run_key, t.name, t.verdict, r.commit_id, r.started FROM seamline_tests t "
            "JOIN seamline_runs r ON r.run_key = t.run_key",
            (),
        )
        by_name: dict[str, dict[str, Any]] = {}
        verdicts_on_commit: dict[tuple[str, str], set[str]] = {}
        for row in sorted((row for row in rows if row["run_key"] in wanted), key=lambda row: row["started"] or ""):
            entry = by_name.setdefault(row["name"], {"name": row["name"], "flaky_runs": 0, "flips": 0, "last": None})
            if row["verdict"] == "FLAKY":
                entry["flaky_runs"] += 1
            if entry["last"] is not None and {entry["last"], row["verdict"]} == {"PASS", "FAIL"}:
                entry["flips"] += 1
            entry["last"] = row["verdict"]
            if row["commit_id"]:
                verdicts_on_commit.setdefault((row["name"], row["commit_id"]), set()).add(row["verdict"])
        for (name, _commit), verdicts in verdicts_on_commit.items():
            if "PASS" in verdicts and ("FAIL" in verdicts or "FLAKY" in verdicts):
                by_name[name]["same_commit"] = True
        flaky = [
            entry for entry in by_name.values() if entry["flaky_runs"] or entry["flips"] or entry.get("same_commit")
        ]
        return sorted(flaky, key=lambda entry: (-(entry["flaky_runs"] + entry["flips"]), entry["name"]))

    def close(self) -> None:
        self.db.close()
