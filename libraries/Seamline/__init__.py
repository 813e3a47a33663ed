"""Seamline: Robot Framework keywords for integration testing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robotlibcore import DynamicCore

from .engine.context import SeamContext
from .engine.driver_logs import quiet_driver_loggers
from .engine.errors import SeamError
from .engine.records.layouts import layout_directories
from .engine.schema.registry import SchemaRegistry
from .keywords.api import ApiKeywords
from .keywords.base import SeamFailure
from .keywords.database import DatabaseKeywords
from .keywords.messaging import MessagingKeywords
from .keywords.records import RecordKeywords
from .keywords.schema import SchemaKeywords
from .keywords.services import ServiceKeywords
from .keywords.ssh import SshKeywords
from .keywords.trace import TraceKeywords
from .listener import SeamListener

__version__ = "0.1.0"


class Seamline(DynamicCore):
    """Seamline checks the seams where systems exchange data: HTTP APIs, SQL databases,
    messages, legacy SSH/SFTP batch interfaces and the processes behind them.

    One library, ``Library    Seamline``, in keyword-driven suites whose output is Robot
    Framework's own ``log.html``.

    = Connections =

    Keywords that open a connection (an HTTP session, a database, an SSH client, a broker)
    take an ``alias``; the last one opened is the current one, and keywords that use a
    connection take ``alias=`` to pick another. Connections close when the library ends.

    = Timeouts =

    Every network operation and every wait has a timeout. Keywords take ``timeout=`` in Robot
    Framework time format (``10s``, ``1 min 30 s``, ``250ms``); the library default is set at
    import: ``Library    Seamline    timeout=15s``. No keyword waits forever, and no suite needs
    ``Sleep``: use the ``Wait Until ...`` keywords.

    = Secrets =

    Passwords, tokens, keys and credential-bearing URLs are accepted as Robot Framework
    ``Secret`` values (``${PASSWORD: Secret}`` or ``%{DB_PASSWORD: Secret}``), unwrapped only
    where the driver needs them. Everything Seamline logs, at every level including TRACE,
    passes a masker that hides those values (and their URL-quoted and basic-auth forms),
    credential headers (Authorization, Cookie, X-Api-Key...), credential fields in JSON
    (password, token, secret, api_key...) and passwords in URLs.

    = The timeline =

    Every keyword that crosses a boundary (an HTTP call, an SQL statement, an SSH command, an
    SFTP transfer, a message) records a span: system, operation, target, start, duration,
    bytes, outcome and correlation id. `Log Timeline` draws the current test's spans as a
    waterfall in the log; `Get Hop Latency` summarises them. The spans of every test, and the
    resource usage of services, are written to ``seamline-metrics.json`` in the output directory.

    = Databases =

    `Connect To Sql` takes ``sqlite:///path``, ``postgresql://user@host:port/db`` or
    ``mysql://user@host:port/db`` (MariaDB) and talks to the DB-API driver directly, in autocommit:
    a read is one round trip. Parameters are always bound, never interpolated: ``?`` with
    positional values or ``:name`` with named ones, whatever the database. Rows come back as
    dictionaries of plain Python values. Comparisons (`Row Should Match`) are type-aware:
    ``12.5``, ``Decimal('12.50')`` and ``"12.50"`` are equal; timestamps compare as instants.

    = Messages =

    `Connect To Broker` takes ``amqp://user@host:port/vhost`` (RabbitMQ) or
    ``outbox+<sql url>#table`` (a transactional-outbox table read through SQL). A capture
    (`Start Capturing Messages`) counts only messages that arrive after it starts, and lasts
    until the end of the test, or of the suite when started in a setup; AMQP captures use a
    private auto-deleted queue. ``**match`` arguments of `Wait For Message` are
    ``JSONPath=value`` pairs over the envelope, compared as strings.

    = Legacy systems =

    `Open Ssh Connection` verifies the server's host key against ``known_hosts`` (or a pinned
    ``host_key_fingerprint``); an unknown key fails with its fingerprint unless
    ``trust_unknown_host=True``, a changed key always fails. `Run Remote Command` really ends a
    command at its timeout. Uploads write a temporary name and rename, so a reader never sees half
    a file. Batch files are read and written with YAML layouts (fixed-width or CSV; latin-1, UTF-8
    or EBCDIC cp037/cp500; header, detail and trailer records), from ``resources/layouts`` or
    `Set Layout Directory`.

    = Services =

    `Start Service` runs a local process and waits until it is ready (an HTTP answer, an open
    TCP port or a log line), failing with the process's last output when it dies or never
    becomes ready. Suites use it to start the system under test.
    """

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    __version__ = __version__

    def __init__(
        self,
        timeout: timedelta = timedelta(seconds=10),
        body_log_limit: int = 2000,
        schemas: str | list[str] | None = None,
        layouts: str | list[str] | None = None,
        secret_names: str | list[str] = "",
    ):
        """``timeout`` is the default of every keyword's timeout; ``body_log_limit`` cuts logged bodies;
        ``schemas`` is a directory (or a list of them) where schemas are found by name; ``layouts`` is a
        directory (or a list of them) where record layouts given by name are found; ``secret_names``
        (``X-Custom-Auth,session_ref``) are more header and field names whose values are masked."""
        schema_dirs = [schemas] if isinstance(schemas, str) else list(schemas or ())
        quiet_driver_loggers()
        self.ctx = SeamContext(
            timeout=timeout.total_seconds(),
            body_log_limit=body_log_limit,
            schemas=SchemaRegistry(schema_dirs, timeout=timeout.total_seconds()),
            layout_directories=layout_directories(layouts),
        )
        self.ctx.masker.add_names(secret_names)
        self.services = ServiceKeywords(self.ctx)
        self.ROBOT_LIBRARY_LISTENER = SeamListener(self.ctx, self.services)
        keyword_classes = (
            ApiKeywords,
            SchemaKeywords,
            DatabaseKeywords,
            SshKeywords,
            RecordKeywords,
            MessagingKeywords,
            TraceKeywords,
        )
        super().__init__([self.services, *(cls(self.ctx) for cls in keyword_classes)])

    def run_keyword(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> Any:
        try:
            return super().run_keyword(name, args, kwargs)
        except (SeamError, AssertionError) as error:
            raise SeamFailure(self.ctx.masker.text(str(error))) from None

    def get_keyword_tags(self, name: str) -> list[str]:
        """A keyword's own tags plus its seam's (`SEAM` of its class), by which libdoc groups keywords."""
        tags = list(super().get_keyword_tags(name))
        seam = getattr(getattr(self.keywords[name], "__self__", None), "SEAM", None)
        return [seam, *tags] if seam and seam not in tags else tags
