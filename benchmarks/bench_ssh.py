"""SSH and SFTP through Robot Framework, against a real OpenSSH sshd (tests/sshd.py, needs root):

- Seamline `Run Remote Command`, `Connect To Ssh`, `Upload File` / `Download File`;
- SSHLibrary `Execute Command`, `Open Connection` + `Login`, `Put File` / `Get File` (what suites use today);
- raw paramiko (SSHClient, exec_command, sftp.put/get) in a bare Python keyword (the reference floor).

Measured: 100 `echo hi` commands on one connection, connect+login (5 times), a 10 MB SFTP upload and
download (3 times each). Each tool runs in its own `robot` process against the same sshd; a figure is a
test's own elapsed time (Robot's start-up left out) divided by its operations, the best of two rounds.
Writes benchmarks/results/ssh.json and prints a table. Runs alone: .venv/bin/python benchmarks/bench_ssh.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from common import ROOT, print_table, run_robot, test_seconds, write_results

sys.path.insert(0, str(ROOT / "tests"))

from sshd import RunningSshd, start_sshd

COMMANDS = 100
LOGINS = 5
TRANSFERS = 3
FILE_SIZE = 10 * 1024 * 1024
ROUNDS = 2
TOOLS = ("Seamline", "SSHLibrary", "raw paramiko in a bare keyword")
OPERATIONS = {  # test name -> (operation label, how many per test)
    "Echo": ("command `echo hi`", COMMANDS),
    "Login": ("connect + login", LOGINS),
    "Put": ("SFTP put 10 MB", TRANSFERS),
    "Get": ("SFTP get 10 MB", TRANSFERS),
}

BARE_LIBRARY = '''
import paramiko


class RawParamiko:
    """The floor: paramiko's SSHClient and SFTPClient called directly."""

    ROBOT_LIBRARY_SCOPE = "GLOBAL"

    def raw_connect(self, host, port, user, password):
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        client.connect(host, int(port), user, password, timeout=10, look_for_keys=False, allow_agent=False)
        return client

    def raw_open(self, host, port, user, password):
        self.client = self.raw_connect(host, port, user, password)
        self.sftp = self.client.open_sftp()

    def raw_close(self, client):
        client.close()

    def raw_run(self, command):
        _, stdout, stderr = self.client.exec_command(command, timeout=30)
        output = stdout.read()
        stderr.read()
        stdout.channel.recv_exit_status()
        return output.decode()

    def raw_put(self, local, remote):
        self.sftp.put(local, remote)

    def raw_get(self, remote, local):
        self.sftp.get(remote, local)
'''


def suite(tool: str, remote: str, local: str, copy: str) -> str:
    connect_args = "${HOST}    ${PORT}    ${USER}"
    if tool == "Seamline":
        settings = [
            "Library    Seamline",
            f"Suite Setup    Connect To Ssh    {connect_args}    password=${{PASSWORD}}    known_hosts=${{KNOWN}}",
        ]
        login = [
            f"Connect To Ssh    {connect_args}    password=${{PASSWORD}}    known_hosts=${{KNOWN}}    alias=login",
            "Disconnect From Ssh    login",
        ]
        echo, put = "Run Remote Command    echo hi", f"Upload File    {local}    {remote}"
        get = f"Download File    {remote}    {copy}"
    elif tool == "SSHLibrary":
        settings = [
            "Library    SSHLibrary    timeout=30s",
            "Suite Setup    Run Keywords    Open Connection    ${HOST}    port=${PORT}    AND"
            "    Login    ${USER}    ${PASSWORD}",
        ]
        login = [
            "Open Connection    ${HOST}    port=${PORT}    alias=login",
            "Login    ${USER}    ${PASSWORD}",
            "Close Connection",
            "Switch Connection    1",
        ]
        echo, put = "Execute Command    echo hi", f"Put File    {local}    {remote}"
        get = f"Get File    {remote}    {copy}"
    else:
        settings = ["Library    RawParamiko.py", f"Suite Setup    Raw Open    {connect_args}    ${{PASSWORD}}"]
        login = [f"${{client}} =    Raw Connect    {connect_args}    ${{PASSWORD}}", "Raw Close    ${client}"]
        echo, put, get = "Raw Run    echo hi", f"Raw Put    {local}    {remote}", f"Raw Get    {remote}    {copy}"
    lines = ["*** Settings ***", *settings, "", "*** Test Cases ***"]
    for name, body, count in (("Echo", [echo], COMMANDS), ("Login", login, LOGINS)):
        lines += [name, f"    FOR    ${{i}}    IN RANGE    {count}", *(f"        {step}" for step in body), "    END"]
    for name, step in (("Put", put), ("Get", get)):
        lines += [name, f"    FOR    ${{i}}    IN RANGE    {TRANSFERS}", f"        {step}", "    END"]
    return "\n".join(lines) + "\n"


def run_tool(workdir: Path, server: RunningSshd, tool: str, round_no: int) -> dict[str, float]:
    name = f"{tool.split()[0].lower()}-{round_no}"
    robot_file = workdir / f"{name}.robot"
    remote = f"{server.work_dir}/{name}.bin"
    robot_file.write_text(suite(tool, remote, str(workdir / "payload.bin"), str(workdir / f"{name}.copy")))
    output = workdir / f"{name}.xml"
    variables = {
        "HOST": server.host,
        "PORT": str(server.port),
        "USER": server.user,
        "PASSWORD": server.password,
        "KNOWN": str(server.known_hosts),
    }
    options = [option for key, value in variables.items() for option in ("--variable", f"{key}:{value}")]
    run_robot(tool, robot_file, *options, output=output)
    return test_seconds(output)


def main() -> int:
    if os.geteuid() != 0:
        print("bench_ssh needs root: it starts OpenSSH sshd and its test user (tests/sshd.py)")
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-ssh-") as tmp, start_sshd() as server:
        workdir = Path(tmp)
        (workdir / "RawParamiko.py").write_text(BARE_LIBRARY, encoding="utf-8")
        (workdir / "payload.bin").write_bytes(os.urandom(FILE_SIZE))
        best: dict[str, dict[str, float]] = {}
        for tool in TOOLS:
            rounds = [run_tool(workdir, server, tool, round_no) for round_no in range(ROUNDS)]
            best[tool] = {test: min(times[test] for times in rounds) for test in OPERATIONS}
    rows = []
    floor = best[TOOLS[-1]]
    for test, (operation, count) in OPERATIONS.items():
        for tool in TOOLS:
            rows.append(
                {
                    "tool": tool,
                    "operation": operation,
                    "per_op_ms": round(best[tool][test] / count * 1000, 3),
                    "ratio_to_floor": round(best[tool][test] / floor[test], 3),
                    "ratio_to_sshlibrary": round(best[tool][test] / best["SSHLibrary"][test], 3),
                    "operations": count,
                }
            )
    notes = [
        f"best of {ROUNDS} robot runs per tool against one OpenSSH sshd on 127.0.0.1 (password login, ed25519 host "
        "key); per_op_ms = the test's elapsed time / its operations (Robot start-up excluded); every tool pays "
        "Robot's per-keyword cost and the same FOR loop; the floor is raw paramiko (SSHClient, no TCP_NODELAY)",
        "Seamline verifies the host key against known_hosts; SSHLibrary and raw paramiko auto-add it",
    ]
    result = {"benchmark": "ssh", "rows": rows, "notes": notes}
    write_results("ssh", result)
    print_table(
        rows,
        [
            ("operation", "operation", "<20"),
            ("tool", "tool", "<32"),
            ("per op ms", "per_op_ms", ">10.3f"),
            ("x floor", "ratio_to_floor", ">8.3f"),
            ("x SSHLibrary", "ratio_to_sshlibrary", ">13.3f"),
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
