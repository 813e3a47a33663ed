"""``python -m orderflow up [--help]``: start the whole reference platform (see orderflow.up).

Single services run as ``python -m orderflow.<service>``: orders, inventory, bus, reports,
gateway, ledger; each takes ``--help``.
"""

from __future__ import annotations

import sys

from orderflow import up

USAGE = __doc__ or ""


def main(argv: list[str]) -> int:
    if argv[:1] == ["up"]:
        return up.main(argv[1:])
    print(USAGE, file=sys.stderr if argv else sys.stdout)
    return 0 if not argv or argv[0] in ("-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
