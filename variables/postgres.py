"""orderflow on PostgreSQL: `--variablefile variables/postgres.py`.

orderflow runs in a fresh `orderflow_<random>` database on this server, dropped when it stops, so runs
sharing the server never see each other's rows. The server can be overridden with SEAMLINE_POSTGRES_URL
(as the tests do) and its password given as SEAMLINE_POSTGRES_PASSWORD.
"""

import os

from robot.api.types import Secret

# The server orderflow uses (`--db`); the suites connect to the database orderflow reports as its own.
DB_URL = os.environ.get("SEAMLINE_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
# The suites' password for that database (the local test server trusts local logins: empty).
DB_PASSWORD = Secret(os.environ.get("SEAMLINE_POSTGRES_PASSWORD", ""))
# orderflow runs in a database of its own on that server (`--fresh-db`), dropped when it stops.
FRESH_DB = True
