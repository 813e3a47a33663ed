"""The `seamline` command.

    seamline report [OUTPUT_DIR] [--history results/history.db] [--dashboard FILE] [gates]
    seamline merge OUTPUT_DIR_OR_METRICS... --output DIR [--history ...]
    seamline shard --index I --total N [--from results/history.db|output.xml ...] PATHS...
    seamline shard --pabot --total N [--from ...] PATHS... > ordering.txt
    seamline watch [PATHS...] [--interval 5m] [-- ROBOT ARGS]

`report` prints the run's figures, writes the dashboard from the history and exits 1 when a gate
(`--fail-under first_run=95`, `--max-hop-p95 gateway>orders=50ms`, `--max-detect 2s`) breaks, saying which.
`merge` combines the metrics of several runs of the same suites (pabot processes, CI shards, reruns of
failed tests that rebot --merge joins) into one metrics.json: a test that failed and then passed on a
rerun is FLAKY.
`shard` prints the `--test` arguments of one shard (save them and run `robot --argumentfile FILE PATHS`),
balanced by past durations when a history or output.xml is given; with `--pabot`, an ordering file giving
each pabot process whole suites (`pabot --processes N --ordering FILE PATHS`). `watch` re-runs the tests tagged
critical when a file changes, with an alert when one that passed fails (and when it recovers).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from robot.utils import timestr_to_secs

from .engine.metrics.dashboard import per_service, write_dashboard
from .engine.metrics.gates import Gates
from .engine.metrics.history import History
from .engine.metrics.run import RunMetrics, merge, resource_reading
from .engine.metrics.xunit import write_xunit

METRICS_FILE = "metrics.json"


def load(path: Path) -> RunMetrics:
    file = path / METRICS_FILE if path.is_dir() else path
    if not file.exists():
        raise SystemExit(f"seamline: no {file} (run the suites with `--listener Seamline.Metrics` or the library)")
    try:
        return RunMetrics.from_dict(json.loads(file.read_text(encoding="utf-8")))
    except (ValueError, KeyError) as error:
        raise SystemExit(f"seamline: {file} is not a Seamline metrics file: {error}") from None


def print_figures(metrics: RunMetrics) -> None:
    figures = metrics.to_dict()
    summary = figures["summary"]
    print(
        f"{summary['tests']} tests: {summary['passed']} passed, {summary['flaky']} flaky, {summary['failed']} failed "
        f"({summary['quarantined']} quarantined), {summary['skipped']} skipped"
    )
    print(f"first-run pass rate: {_figure(summary['first_run_pass_pct'], ' %')}")
    print(f"mean time to detect an inconsistency: {_figure(summary['mean_detect_s'], ' s')}")
    print(f"mean latency added between services: {_figure(summary['mean_inter_service_ms'], ' ms')}")
    if figures["hops"]:
        print(f"{'hop':<28} {'count':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}")
        for hop, stats in figures["hops"].items():
            print(f"{hop:<28} {stats['count']:>6} {stats['p50_ms']:>9} {stats['p95_ms']:>9} {stats['p99_ms']:>9}")
    for entry in per_service([resource_reading(usage) for usage in metrics.resources]):
        print(
            f"service {entry['service']}: {entry['cpu_seconds']:g} s CPU over {entry['tests']} tests, "
            f"peak RSS {entry['peak_rss_mb']:g} MB, at most {entry['connections']} connections"
        )


def _figure(value: float | None, unit: str) -> str:
    return "n/a" if value is None else f"{value:g}{unit}"


def parse_gates(args: argparse.Namespace) -> Gates:
    first_run = None
    for bound in args.fail_under or []:
        name, _, value = bound.partition("=")
        if name != "first_run":
            raise SystemExit(f"seamline: --fail-under knows first_run=<percent>, got {bound!r}")
        first_run = float(value)
    hops = {}
    for bound in args.max_hop_p95 or []:
        hop, _, limit = bound.rpartition("=")
        if not hop:
            raise SystemExit(f"seamline: --max-hop-p95 expects <hop>=<time>, e.g. gateway>orders=50ms, got {bound!r}")
        hops[hop] = timestr_to_secs(limit)
    detect = timestr_to_secs(args.max_detect) if args.max_detect else None
    return Gates(first_run, hops or None, detect)


def report(args: argparse.Namespace) -> int:
    metrics = load(args.output_dir)
    print_figures(metrics)
    if args.history.upper() != "NONE" and (Path(args.history).exists() or "://" in args.history):
        history = History(args.history)
        dashboard = args.dashboard or args.output_dir / "dashboard.html"
        data = write_dashboard(history, Path(dashboard))
        history.close()
        print(f"dashboard: {dashboard} ({len(data['runs'])} runs)")
    problems = parse_gates(args).broken(metrics)
    for problem in problems:
        print(f"GATE BROKEN: {problem}")
    return 1 if problems else 0


def merge_runs(args: argparse.Namespace) -> int:
    merged = merge(load(path) for path in args.inputs)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / METRICS_FILE).write_text(json.dumps(merged.to_dict(), indent=1, default=str), encoding="utf-8")
    write_xunit(merged, args.output / "seamline-xunit.xml")
    if args.history.upper() != "NONE":
        history = History(args.history)
        history.append(merged)
        history.close()
    print_figures(merged)
    return 1 if merged.failed_run() else 0


def shard(args: argparse.Namespace) -> int:
    from .runs import Selection, pabot_ordering, shard_arguments

    selection = Selection(args.paths, args.name, args.include or (), args.exclude or ())
    if args.pabot:
        ordering, summary = pabot_ordering(selection, args.total, args.sources or [])
        print(ordering)
        print(f"seamline: {summary}", file=sys.stderr)
    elif args.index is None:
        raise SystemExit("seamline: shard needs --index (or --pabot for an ordering file of every process)")
    else:
        print(shard_arguments(selection, args.index, args.total, args.sources or []))
    return 0


def watch(args: argparse.Namespace, robot_args: list[str]) -> int:
    from .runs import Watcher

    interval = timestr_to_secs(args.interval) if args.interval else None
    watcher = Watcher(args.paths, robot_args, args.outputdir, interval, args.history, out=_say)
    return watcher.watch()


def _say(line: str) -> None:
    print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    robot_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(
        prog="seamline", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    report_parser = commands.add_parser("report", help="a run's figures, the dashboard, gates")
    report_parser.add_argument("output_dir", nargs="?", default=Path("results"), type=Path)
    report_parser.add_argument("--history", default="results/history.db", help="history file or SQL URL")
    report_parser.add_argument("--dashboard", type=Path, help="default: OUTPUT_DIR/dashboard.html")
    report_parser.add_argument("--fail-under", action="append", metavar="first_run=PCT")
    report_parser.add_argument("--max-hop-p95", action="append", metavar="HOP=TIME")
    report_parser.add_argument("--max-detect", metavar="TIME")
    merge_parser = commands.add_parser("merge", help="one metrics.json from several runs or processes")
    merge_parser.add_argument("inputs", nargs="+", type=Path)
    merge_parser.add_argument("--output", type=Path, required=True)
    merge_parser.add_argument("--history", default="results/history.db", help="history file, SQL URL or NONE")
    shard_parser = commands.add_parser("shard", help="the robot arguments of one shard of the suites")
    shard_parser.add_argument("paths", nargs="+")
    shard_parser.add_argument("--index", type=int, help="this shard, 1 to --total")
    shard_parser.add_argument("--total", type=int, required=True, help="shards, or pabot processes with --pabot")
    shard_parser.add_argument("--pabot", action="store_true", help="print a pabot --ordering file: whole suites")
    shard_parser.add_argument("--from", dest="sources", action="append", help="history.db, SQL URL or output.xml")
    shard_parser.add_argument("--name", help="the top suite's name, when robot runs with --name")
    shard_parser.add_argument("--include", action="append", metavar="TAG", help="as robot's --include")
    shard_parser.add_argument("--exclude", action="append", metavar="TAG", help="as robot's --exclude")
    watch_parser = commands.add_parser("watch", help="re-run critical tests when files change")
    watch_parser.add_argument("paths", nargs="*", default=["suites"])
    watch_parser.add_argument("--interval", help="also re-run every INTERVAL (e.g. 5m)")
    watch_parser.add_argument("--outputdir", type=Path, default=Path("results/watch"))
    watch_parser.add_argument("--history", default="results/history.db", help="history file, SQL URL or NONE")
    args = parser.parse_args(argv)
    if args.command == "watch":
        return watch(args, robot_args)
    return {"report": report, "merge": merge_runs, "shard": shard}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
