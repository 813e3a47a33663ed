"""Acceptance-test helper: plain TCP peers for the fault proxy (an echo server and a client that measures)."""

from __future__ import annotations

import socket
import threading
import time


class FaultPeers:
    """An echo server in a thread, and client keywords that say what a connection through a proxy saw."""

    ROBOT_LIBRARY_SCOPE = "SUITE"

    def __init__(self) -> None:
        self._listeners: list[socket.socket] = []

    def start_echo_server(self) -> str:
        """Starts a TCP echo server on 127.0.0.1; returns its ``host:port``."""
        listener = socket.create_server(("127.0.0.1", 0))
        self._listeners.append(listener)
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        host, port = listener.getsockname()
        return f"{host}:{port}"

    def stop_echo_servers(self) -> None:
        for listener in self._listeners:
            listener.close()
        self._listeners.clear()

    def exchange(self, address: str, data: str = "ping", timeout: float = 2.0) -> str:
        """Connects, sends ``data``, returns what came back before the peer closed or ``timeout`` passed
        (``data`` length at most), or the name of the error: ``refused``, ``reset``, ``closed``, ``timeout``."""
        host, port = address.rsplit(":", 1)
        try:
            with socket.create_connection((host, int(port)), timeout=timeout) as sock:
                sock.sendall(data.encode())
                received = b""
                while len(received) < len(data):
                    chunk = sock.recv(65536)
                    if not chunk:
                        return received.decode() or "closed"
                    received += chunk
                return received.decode()
        except ConnectionRefusedError:
            return "refused"
        except ConnectionResetError:
            return "reset"
        except TimeoutError:
            return "timeout"

    def round_trip_seconds(self, address: str, data: str = "ping") -> float:
        """How long ``data`` takes to come back through ``address``."""
        started = time.monotonic()
        echoed = self.exchange(address, data, timeout=10)
        if echoed != data:
            raise AssertionError(f"expected '{data}' back, got '{echoed}'")
        return time.monotonic() - started

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:
                pass
