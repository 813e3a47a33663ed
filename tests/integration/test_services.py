"""Start Service against real processes: ready by HTTP, TCP and log line; early exit; never ready."""

import socket
import subprocess
import sys
import time

import psutil
import pytest
from hostile import SilentServer

from Seamline.engine.errors import SeamError
from Seamline.engine.services.process import Readiness, ServiceManager
from Seamline.engine.services.sampling import network_connections

HTTP_SERVER = [sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def manager():
    services = ServiceManager()
    yield services
    services.stop_all(grace=1)


def http_server(port: int) -> list[str]:
    return [part.format(port=port) for part in HTTP_SERVER]


def test_ready_by_http(manager):
    port = free_port()
    service = manager.start("web", http_server(port), f"http://127.0.0.1:{port}/", timeout=15)
    assert service.running
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_ready_by_tcp(manager):
    port = free_port()
    service = manager.start("web", http_server(port), f"tcp://127.0.0.1:{port}", timeout=15)
    assert service.running


def test_ready_by_log_line_gives_the_regex_group(manager):
    service = manager.start(
        "web",
        [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1"],
        r"log:Serving HTTP on \S+ port (\d+)",
        timeout=15,
    )
    port = int(service.ready_value)
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    assert service.find("Serving HTTP") is not None


def test_python_means_the_running_interpreter_and_env_reaches_the_process(manager):
    code = "import os; print('token-is', os.environ['SEAM_TEST']); import time; time.sleep(30)"
    service = manager.start("env", f'python -c "{code}"', "log:token-is (\\w+)", timeout=15, env={"SEAM_TEST": "abc"})
    assert service.command[0] == sys.executable
    assert service.ready_value == "abc"


def test_a_process_that_exits_early_fails_at_once_with_its_output(manager):
    started = time.monotonic()
    with pytest.raises(SeamError) as error:
        manager.start(
            "broken", [sys.executable, "-c", "print('config missing'); raise SystemExit(3)"], "tcp://127.0.0.1:1", 20
        )
    message = str(error.value)
    assert message.startswith("Services: 'broken' exited with code 3 before it was ready (127.0.0.1:1)")
    assert "config missing" in message
    assert time.monotonic() - started < 20  # it did not wait for the timeout


def test_a_process_that_never_becomes_ready_is_stopped_at_the_timeout(manager):
    with pytest.raises(SeamError) as error:
        manager.start(
            "sleeper",
            [sys.executable, "-c", "print('starting'); import time; time.sleep(60)"],
            "log:never printed",
            timeout=0.5,
        )
    assert "Services: 'sleeper' not ready (log line /never printed/) within 0.5s; stopped it" in str(error.value)
    assert "starting" in str(error.value)
    assert not manager.services["sleeper"].running


def test_stop_terminates_the_whole_process_tree(manager):
    code = (
        "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        " print('up', flush=True); time.sleep(60)"
    )
    service = manager.start("tree", [sys.executable, "-c", code], "log:up", timeout=15)
    children = psutil.Process(service.pid).children(recursive=True)
    assert children
    manager.stop("tree", grace=2)
    _gone, alive = psutil.wait_procs(children, timeout=5)
    assert not alive


def test_stop_kills_a_process_that_ignores_sigterm(manager):
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
    service = manager.start("stubborn", [sys.executable, "-c", code], "log:up", timeout=15)
    assert manager.stop("stubborn", grace=0.3) == -9
    assert not service.running


def test_resource_usage_of_a_running_service(manager):
    port = free_port()
    manager.start("web", http_server(port), f"tcp://127.0.0.1:{port}", timeout=15)
    usage = manager.usage("web")
    assert usage.cpu_seconds > 0
    assert usage.peak_rss_bytes >= usage.rss_bytes > 1_000_000
    assert usage.processes == 1
    assert usage.open_connections >= 1  # the listening socket


def test_a_command_that_does_not_exist(manager):
    with pytest.raises(
        SeamError, match="Services: 'nope': cannot start 'no-such-binary-xyz': No such file or directory"
    ):
        manager.start("nope", "no-such-binary-xyz", "tcp://127.0.0.1:1", 5)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("ftp://x", "must start with http://, https://, tcp:// or log:"),
        ("tcp://nohost", "must look like tcp://host:port"),
        ("log:(unclosed", "is not a valid regular expression"),
    ],
)
def test_bad_readiness_specs(spec, message):
    with pytest.raises(SeamError, match=message.replace("(", r"\(")):
        Readiness.parse(spec)


def test_the_output_in_a_failure_is_cut(manager):
    code = "print('x' * 10000); raise SystemExit(1)"
    with pytest.raises(SeamError) as error:
        manager.start("loud", [sys.executable, "-c", code], "log:never", timeout=15)
    assert str(error.value).endswith("x" * 20 + "… [8000 more characters]")
    assert len(str(error.value)) < 2200


def test_readiness_against_a_peer_that_never_answers_ends_at_the_timeout(manager):
    # Each HTTP probe gets only the time the wait has left, so a silent peer cannot stretch the wait.
    with SilentServer() as silent:
        started = time.monotonic()
        with pytest.raises(SeamError, match=r"'quiet' not ready \(http://127\.0\.0\.1:\d+/\) within 1\.2s"):
            manager.start("quiet", [sys.executable, "-c", "import time; time.sleep(60)"], f"{silent.url}/", 1.2)
        assert time.monotonic() - started < 1.2 + 0.5


def test_network_connections_count_a_process_s_tcp_sockets_but_not_its_unix_or_netlink_sockets():
    code = (
        "import socket, time\n"
        "server = socket.socket(); server.bind(('127.0.0.1', 0)); server.listen()\n"
        "client = socket.create_connection(server.getsockname()); accepted, _ = server.accept()\n"
        "pair = socket.socketpair()\n"  # Unix sockets: asyncio's self-pipe is one
        "netlink = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW); netlink.bind((0, 0))\n"  # listed once bound
        "print('up', flush=True); time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "up"
        watched = psutil.Process(process.pid)
        assert network_connections([watched]) == {process.pid: 3}  # listening, connected, accepted
        assert network_connections([watched])[process.pid] == len(watched.net_connections(kind="inet"))
    finally:
        process.kill()
        process.wait()
