"""The embedded default: `make demo` starts orderflow on this machine with SQLite and the built-in ledger.

Other environments are variable files beside this one (`--variablefile variables/postgres.py`);
a file that sets PLATFORM_URL points the suites at a deployment that is already running.
"""

from robot.api.types import Secret

# Empty: start orderflow locally. A URL: use the gateway of a running deployment (and set ORDERFLOW).
PLATFORM_URL = ""
# The endpoints of a running deployment (gateway, orders, inventory, reports, ledger, database) when
# PLATFORM_URL is set; filled in from `python -m orderflow up` otherwise.
ORDERFLOW: dict = {}

# orderflow's database (empty: a SQLite file in its data directory) and message transport (empty: the SQL outbox).
DB_URL = ""
BROKER_URL = ""
# With a server DB_URL: run orderflow in a throw-away database of its own (`--fresh-db`).
FRESH_DB = False
# The exchange and queue prefix on the broker (variables/rabbitmq.py picks one per run and drops it after).
BROKER_NAMESPACE = "orderflow"
ORDERFLOW_START_TIMEOUT = "60s"

# orderflow's demo credentials. Real deployments pass theirs from the environment, e.g.
# CLERK_KEY = Secret(os.environ["CLERK_KEY"]).
CLERK_KEY = Secret("clerk-key-123")
AUDITOR_KEY = Secret("auditor-key-123")
ADMIN_KEY = Secret("admin-key-123")
LEDGER_USER = "settle"
LEDGER_PASSWORD = Secret("settle-pw-123")
