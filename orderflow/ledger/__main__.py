"""``python -m orderflow.ledger``: run the ledger's SSH/SFTP server until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from orderflow.ledger.batch import ENCODINGS
from orderflow.ledger.commands import Ledger
from orderflow.ledger.root import LedgerRoot
from orderflow.ledger.server import (
    Credentials,
    LedgerServer,
    load_or_create_host_key,
    read_authorized_keys,
)
from orderflow.ledger.store import PostingStore

DEFAULT_PASSWORD = "settle-pw-123"


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m orderflow.ledger", description=__doc__)
    parser.add_argument("--root", type=Path, required=True, help="ledger directory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--user", default="settle")
    parser.add_argument(
        "--password",
        default=os.environ.get("ORDERFLOW_LEDGER_PASSWORD", DEFAULT_PASSWORD),
        help="default: $ORDERFLOW_LEDGER_PASSWORD, else %(default)s",
    )
    parser.add_argument("--authorized-keys", type=Path, help="OpenSSH authorized_keys file")
    parser.add_argument("--host-key", type=Path, help="default: ROOT/host_key, created if absent")
    parser.add_argument("--encoding", choices=ENCODINGS, default="latin-1", help="of batch files")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s ledger %(levelname)s %(message)s")
    logging.getLogger("paramiko").setLevel(logging.WARNING)
    root = LedgerRoot(arguments.root)
    ledger = Ledger(root, PostingStore(root.directory / "ledger.db"), arguments.encoding)
    authorized_keys = read_authorized_keys(arguments.authorized_keys) if arguments.authorized_keys else ()
    credentials = Credentials(arguments.user, arguments.password, authorized_keys)
    host_key = load_or_create_host_key(arguments.host_key or root.directory / "host_key")
    server = LedgerServer(ledger, credentials, host_key, arguments.host, arguments.port)

    def stop(signum: int, frame: FrameType | None) -> None:
        server.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.address
    ready = {
        "service": "ledger",
        "host": host,
        "port": port,
        "host_key_fingerprint": host_key.fingerprint,
    }
    print(f"READY {json.dumps(ready)}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
