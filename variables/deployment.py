"""A running orderflow deployment, shared by every process of a run: `--variablefile variables/deployment.py`.

The suites then start nothing: they reach the deployment whose endpoints (the JSON of its
``ORDERFLOW READY`` line: gateway, orders, inventory, reports, ledger, database) are in the file named by
``ORDERFLOW_ENDPOINTS`` — what ``load/run.py`` writes for the journeys under load. The other variables stay
``variables/local.py``'s (the demo credentials); a real deployment passes its own in a second variable file.
"""

import json
import os
from pathlib import Path

_FILE = os.environ.get("ORDERFLOW_ENDPOINTS", "")
if not _FILE:
    raise RuntimeError("set ORDERFLOW_ENDPOINTS to the file holding the deployment's endpoints (JSON)")

ORDERFLOW = json.loads(Path(_FILE).read_text(encoding="utf-8"))
PLATFORM_URL = GATEWAY_URL = ORDERFLOW["gateway"]
# The deployment exports its spans to its own collector, not to a receiver of one of the suites' processes.
TRACES = "off"
