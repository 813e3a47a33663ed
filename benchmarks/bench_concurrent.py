"""Benchmark: `Call Api Concurrently` vs a bare-keyword thread pool of `requests` vs RequestsLibrary in a FOR loop.

One operation (POST /orders, a server that takes 5 ms per request, like a service doing its work) loaded
with N requests through `robot`, in the same run, rounds alternating: Seamline's keyword (threads inside the
engine, a span per request, percentiles), the floor (a Python keyword with concurrent.futures and one
requests.Session, nothing recorded), and what a suite does today without such a keyword (RequestsLibrary
`POST On Session` N times in a FOR loop). Reports requests per second and the ratio to the floor.

    .venv/bin/python benchmarks/bench_concurrent.py [--requests 400] [--concurrency 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from common import passed_tests, print_table, run_robot, write_results

SERVER = """
import json, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = json.dumps({"id": "0b5e4c1a", "status": "NEW", "quantity": 1, "amount": "12.50"}).encode()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def log_message(self, *args):
        pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(0.005)
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""

BARE_LIBRARY = """
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter


class BareLoad:
    ROBOT_LIBRARY_SCOPE = "GLOBAL"

    def __init__(self, concurrency):
        self.concurrency = int(concurrency)
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.mount("http://", HTTPAdapter(pool_maxsize=self.concurrency))

    def raw_load(self, url, count):
        def one(_):
            response = self.session.post(url, json={"sku": "SKU-1", "quantity": 1}, timeout=10)
            response.raise_for_status()
            return response

        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(one, range(int(count))))
"""

SUITES = {
    "Seamline Call Api Concurrently": (
        "Library    Seamline",
        "    Connect To Api    ${URL}",
        "    Call Api Concurrently    POST    /orders    count=${COUNT}    concurrency=${CONCURRENCY}"
        "    json=${ORDER}    expected_status=201",
    ),
    "thread pool of requests (bare keyword)": (
        "Library    BareLoad.py    ${CONCURRENCY}",
        "    No Operation",
        "    Raw Load    ${URL}/orders    ${COUNT}",
    ),
    "RequestsLibrary POST On Session, FOR loop": (
        "Library    RequestsLibrary",
        "    Create Session    s    ${URL}",
        "    FOR    ${i}    IN RANGE    ${COUNT}\n"
        "        POST On Session    s    /orders    json=${ORDER}    expected_status=201\n"
        "    END",
    ),
}
FLOOR = "thread pool of requests (bare keyword)"


def suite_text(library: str, setup: str, load: str) -> str:
    return textwrap.dedent("""\
        *** Settings ***
        {library}
        Suite Setup    Warm Up

        *** Variables ***
        &{{ORDER}}    sku=SKU-1    quantity=${{1}}

        *** Keywords ***
        Warm Up
        {setup}

        *** Test Cases ***
        Load
        {load}
        """).format(library=library, setup=setup, load=load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    seconds: dict[str, list[float]] = {tool: [] for tool in SUITES}
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        with tempfile.TemporaryDirectory(prefix="seamline-bench-concurrent-") as tmp:
            work = Path(tmp)
            (work / "BareLoad.py").write_text(BARE_LIBRARY)
            files = {}
            for index, (tool, parts) in enumerate(SUITES.items()):
                files[tool] = work / f"suite_{index}.robot"
                files[tool].write_text(suite_text(*parts))
            variables = ["--variable", f"URL:{url}", "--variable", f"COUNT:{args.requests}"]
            variables += ["--variable", f"CONCURRENCY:{args.concurrency}", "--loglevel", "INFO"]
            for _ in range(args.rounds):
                for tool, path in files.items():
                    run_robot(tool, path, *variables, output=work / "output.xml", timeout=600)
                    [test] = passed_tests(work / "output.xml")
                    seconds[tool].append(test.elapsed_time.total_seconds())
    finally:
        server.terminate()
        server.wait(timeout=10)
    best = {tool: min(values) for tool, values in seconds.items()}
    rows = [
        {
            "tool": tool,
            "seconds": round(best[tool], 3),
            "requests_per_s": round(args.requests / best[tool], 1),
            "time_ratio_to_floor": round(best[tool] / best[FLOOR], 3),
            "runs_s": [round(value, 3) for value in seconds[tool]],
        }
        for tool in SUITES
    ]
    report = {
        "benchmark": "concurrent",
        "requests": args.requests,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "rows": rows,
        "notes": (
            "One POST operation loaded with `requests` requests against a local server that takes 5 ms per "
            "request (another process), at --loglevel INFO; seconds is the best round's test elapsed time (the "
            "machine is shared). The floor is a bare Python keyword with a ThreadPoolExecutor of `concurrency` "
            "threads on one requests.Session, recording nothing; Call Api Concurrently adds a span, trace "
            "headers and masking per request and the percentiles. RequestsLibrary has no concurrent call: a "
            "suite loops POST On Session, one request after the other."
        ),
    }
    written = write_results("concurrent", report)
    print_table(
        rows,
        [
            ("tool", "tool", "<42"),
            ("seconds", "seconds", ">8.3f"),
            ("req/s", "requests_per_s", ">8.1f"),
            ("ratio", "time_ratio_to_floor", ">6.3f"),
        ],
    )
    print(f"written {written}")


if __name__ == "__main__":
    main()
