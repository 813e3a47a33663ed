"""Seamline: Robot Framework keywords for integration testing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robotlibcore import DynamicCore

from .engine.context import SeamContext, directories
from .engine.driver_logs import quiet_driver_loggers
from .engine.errors import SeamError
from .engine.schema.registry import SchemaRegistry
from .keywords.api import ApiKeywords
from .keywords.base import SeamFailure, seconds_of
from .keywords.database import DatabaseKeywords
from .keywords.messaging import MessagingKeywords
from .keywords.reconcile import ReconcileKeywords
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
    Framework's own ``log.html``. ``pip install robotframework-seamline`` needs no optional driver;
    the PostgreSQL, MariaDB and RabbitMQ drivers load on first use, and a missing one fails naming
    the extra to install (``pip install 'robotframework-seamline[postgres,mysql,amqp]'``).
    Keywords are tagged by the seam they cross (``HTTP``, ``SQL``,
    ``Messages``, ``SSH``, ``Records``, ``Contracts``, ``Services``, ``Timeline``, ``Reconcile``): pick a tag in
    the list of keywords to see one seam's keywords together.

    %TOC%

    = Comparing values =

    Every keyword that compares a value a test wrote with a value a system returned (a JSON field,
    a column, a record field, a message field) uses one rule, whatever the seam:

    - numbers compare by decimal value: ``12.5``, ``Decimal('12.50')`` and ``"12.50"`` are equal
      when one side is a number; two texts compare as text (``"007"`` is not ``"7"``);
    - booleans match their Robot and JSON spellings (``True``, ``true``, ``TRUE``) and ``1`` or ``0``,
      so ``paid=true`` finds the ``1`` SQLite or MariaDB return for TRUE;
    - null (``None``) matches ``${None}``, ``None`` and ``null``;
    - timestamps (datetimes or ISO 8601 text) compare as instants, a value without a time zone
      taken as UTC: ``2026-11-24T10:00:00Z`` equals ``2026-11-24T11:00:00+01:00``; values less than
      a millisecond apart are equal (APIs often cut microseconds); dates compare as dates;
    - JSON text equals the dictionary or list it encodes; dictionaries and lists compare item by
      item with this same rule;
    - anything else compares as text.

    | `Response Field Should Be` | ${response} | $.total | 12.50 |
    | `Row Should Exist` | orders | total=12.5 | paid=true |

    = Connections =

    Each seam opens, uses and closes connections with the same four keywords:

    | =Seam= | =Open= | =Close= | =Make current= | =Close all= |
    | HTTP | `Connect To Api` | `Disconnect From Api` | `Switch Api` | `Disconnect From All Apis` |
    | SQL | `Connect To Sql` | `Disconnect From Sql` | `Switch Sql` | `Disconnect From All Sql` |
    | Messages | `Connect To Broker` | `Disconnect From Broker` | `Switch Broker` | `Disconnect From All Brokers` |
    | SSH | `Connect To Ssh` | `Disconnect From Ssh` | `Switch Ssh` | `Disconnect From All Ssh` |

    Opening takes an ``alias`` (``default`` when not given) and makes the new connection the current
    one; every keyword that uses a connection takes ``alias=`` to pick another. Aliases are matched
    like Robot Framework's own connection cache: case, spaces and underscores are ignored, so
    ``Orders API`` and ``orders_api`` name the same connection. Opening an alias that is already
    open replaces (and closes) that connection. Closing an alias that is not open fails, naming the
    open ones: a misspelt alias would otherwise leave the real connection open. Every connection
    still open closes when the library ends.

    | `Connect To Api` | ${ORDERS_URL} | alias=Orders API |
    | `Call Api` | GET | /orders | alias=orders_api |

    = Timeouts =

    Every network operation and every wait has a timeout. Keywords take ``timeout=`` in Robot
    Framework time format (``10s``, ``1 min 30 s``, ``250ms``); every ``timeout`` argument
    defaults to ``None``, which means the library's default, set at import:

    | Library | Seamline | timeout=15s |

    A timeout is a wall-clock deadline, whatever the peer does (freezes, drips, never answers):

    - HTTP: the whole call, connecting, sending and reading the body included;
    - SQL: connecting and every statement; the server ends a slow statement, and when it stops
      answering the statement fails half a second later, its connection discarded (the next one
      reconnects). PostgreSQL's driver takes at least 2 seconds to give up connecting;
    - Messages: every broker call, the cleanup of a capture at the end of a test included;
    - SSH: the command, which then ends with every process it started (see `Legacy systems`).

    A timeout of zero or less is refused. A wait's timeout bounds the whole wait, each attempt
    included. No keyword waits forever, and no suite needs ``Sleep``: use the ``Wait Until ...``
    keywords. `Stop Service` keeps its own ``grace`` (5 seconds unless given): it bounds a
    shutdown, not a wait for the system under test.

    = Failures =

    A failing keyword says, in one message, what crossed which seam and what was expected, with
    what was seen (a response body, the closest rows, the messages that did arrive), masked and
    cut. The message starts with the seam of the keyword (``HTTP:``, ``SQL:``, ``Messages:``,
    ``SSH:``, ``Records:``, ``Contracts:``, ``Services:``, ``Timeline:``, ``Reconcile:``), one prefix per seam.
    Expected failures never show a Python traceback.

    Every assertion keyword takes ``msg=``: given, it replaces the failure message, as ``msg=``
    of BuiltIn's ``Should Be Equal`` does.

    | `Row Should Exist` | orders | id=${id} | status=RESERVED | msg=order ${id} was not reserved |

    = Secrets =

    Passwords, tokens, keys and credential-bearing URLs are accepted as Robot Framework
    ``Secret`` values (``${PASSWORD: Secret}`` or ``%{DB_PASSWORD: Secret}``), unwrapped only
    where the driver needs them. Everything Seamline logs, at every level including TRACE,
    passes a masker that hides those values (and their URL-quoted and basic-auth forms),
    credential headers (Authorization, Cookie, X-Api-Key...), credential fields in JSON
    (password, token, secret, api_key...) and passwords in URLs. A system with credentials under
    other names adds them at import:

    | Library | Seamline | secret_names=X-Custom-Auth,session_ref |

    Names match whole, case, ``-``, ``_`` and spaces ignored. A password stays secret whatever its
    value: when it equals the user name, the user name is masked too; a password of letters only is
    masked where it stands as a word, not inside longer words. Long bodies are cut before they are
    masked, so a large response costs no more to log than a short one.

    Session credentials of an HTTP API are sent only to that API's own scheme, host and port
    (``trusted_hosts=`` of `Connect To Api` names others allowed to receive them): a redirect or a
    ``next`` link to another origin is followed without them, and the log says which were left out.

    = Contracts =

    `Validate Json` lists every violation of a JSON Schema, not the first. A schema is found in
    this order: a file path, a name loaded with `Load Schemas`, a name in the directories given at
    import (``Library    Seamline    schemas=${CURDIR}/schemas``), a schema shipped with Seamline
    (the default message envelope); it can also be given inline, ``true`` and ``false`` included.
    A schema's ``$schema`` picks its draft (04, 06, 07, 2019-09, 2020-12); ``draft=`` covers schemas
    without one (2020-12 by default). Remote references (``$ref`` to http(s) URLs) are fetched
    within the library timeout.
    Formats (``date-time``, ``email``...) are asserted, since a tester checking a contract expects a
    malformed timestamp to fail; ``formats=False`` keeps them annotations as 2020-12 does. A response
    or bytes is parsed as JSON; a Robot string is validated as a string unless ``parse=True``.
    `Response Should Match Openapi` checks a response
    against an OpenAPI document; `Compare Schemas` and `Schema Change Should Be Compatible` tell a
    breaking contract change from a compatible one.

    = The timeline =

    Every keyword that crosses a boundary (an HTTP call, an SQL statement, an SSH command, an
    SFTP transfer, a message) records a span: system, operation, target, start, duration,
    bytes, outcome and correlation id. `Log Timeline` draws the current test's spans as a
    waterfall in the log; `Get Hop Latency` summarises them; `Timeline Should Contain` checks
    that a test crossed a seam. The spans of every test, and the resource usage of services, are
    written to ``seamline-metrics.json`` in the output directory.

    = Databases =

    `Connect To Sql` takes ``sqlite:///path``, ``postgresql://user@host:port/db`` or
    ``mysql://user@host:port/db`` (MariaDB) and talks to the DB-API driver directly, in autocommit:
    a read is one round trip. Options in the URL's query go to the driver (libpq's keywords such as
    ``sslmode``; PyMySQL's such as ``charset``); an unknown one fails listing the supported ones.
    Parameters are always bound, never interpolated, in the style people already write, whatever
    the database: ``?`` or ``%s`` with positional values, ``:name`` or ``%(name)s`` with one
    dictionary of named values (``%%`` is a percent sign in a statement written with ``%s``).
    Rows come back as
    dictionaries of plain Python values, compared by the rule of `Comparing values`.

    = Messages =

    `Connect To Broker` takes ``amqp://user@host:port/vhost`` (RabbitMQ) or
    ``outbox+<sql url>#table`` (a transactional-outbox table read through SQL). A capture
    (`Start Capturing Messages`) counts only messages that arrive after it starts, and lasts
    until the end of the test, or of the suite when started in a setup; AMQP captures use a
    private auto-deleted queue; an exchange that does not exist yet is declared when the capture
    starts (topic and durable unless ``exchange_type=``/``durable=`` say otherwise). ``**match``
    arguments of `Wait For Message` are ``JSONPath=value`` pairs over the envelope, compared by the
    rule of `Comparing values`.

    The envelope is the system's own: `Connect To Broker` names the fields that carry the id, type,
    version, time, correlation id and payload (``id_field=messageId    type_field=eventType``...), and
    `Message Should Match Envelope` checks a message against a JSON Schema (``envelope=``), by
    default the one shipped with Seamline. Dead letters are read from a named source: an AMQP queue
    (``amqp:<queue>``) or an SQL table (``sql:<table>`` or ``<sql url>#<table>``).

    = Legacy systems =

    `Connect To Ssh` verifies the server's host key against ``known_hosts`` (or a pinned
    ``host_key_fingerprint``); an unknown key fails with its fingerprint unless
    ``trust_unknown_host=True``, a changed key always fails. `Run Remote Command` really ends a
    command at its timeout, with every process it started: on a server with a POSIX shell
    (OpenSSH, not Windows) the command runs with a marker in its environment (``SEAMLINE_RUN_ID``)
    that its children inherit, even through ``setsid`` or ``nohup``, and at the timeout every
    process carrying it is stopped (at most 3 seconds more); ``posix_shell=False`` sends commands
    exactly as written and only signals the command's process group. Uploads write a temporary
    name and rename, so a reader never sees half
    a file. Batch files are read and written with YAML layouts (fixed-width or CSV; latin-1, UTF-8
    or EBCDIC cp037/cp500; header, detail and trailer records), found by an explicit path, then in
    the directory of `Set Layout Directory`, then in the directories given at import (no layout
    ships with the library: a layout is the system's own contract). A missing layout fails naming
    every directory searched:

    | Library | Seamline | layouts=${CURDIR}/layouts |

    = Services =

    `Start Service` runs a local process and waits until it is ready (an HTTP answer, an open
    TCP port or a log line), failing with the process's last output when it dies or never
    becomes ready. Suites use it to start the system under test; a service lives until the test
    or suite that started it ends, or until `Stop Service`.

    = Reconciliation =

    `Reconcile` matches the rows of two data sets by key and compares their fields; `Data Should Be
    Consistent` fails on any difference, `Wait Until Consistent` waits until sources agree (and keeps how
    long they took) and `Measure Time To Detect` times how soon a reconciliation sees what an action broke
    (every detection goes to ``seamline-metrics.json``, the run's mean time to detect). A data set is a
    list of dictionaries from any keyword, or a source:

    | =Source= | =Rows= |
    | ``sql:<alias>:<query>`` | a query's rows, streamed (PostgreSQL server-side cursor, MariaDB unbuffered) |
    | ``api:<alias>:<path>`` | every page of a listing, as `Get All Pages` reads it |
    | ``file:<path>[:<layout>]`` | CSV, JSON lines, JSON, or a record layout (fixed-width or CSV YAML) |
    | ``sftp:<alias>:<path>:<layout>`` | the same over SSH; a glob (``/archive/*.dat``) reads every match |
    | ``messages:<alias>:<type>`` | the payloads of the captured messages of that type |

    Keys (``key=order_id,sku``) may be of any type: key values match by one canonical text, so ``5``,
    ``Decimal('5.00')`` and ``"5"`` are one key, and so are two spellings of one instant. Fields compare by
    the rule of `Comparing values`, widened per field by ``tolerance=`` (``amount=0.01``, ``total=1%``;
    seconds for timestamps) and prepared by ``normalise=`` (``trim``, ``case``, ``decimals:2``,
    ``timezone:Europe/Paris`` for times written without a zone); ``rename=total=amount`` reads a field
    under its other name (a v2 payload). ``only=`` keeps a slice of a shared system. Both sides are read
    in step, so two sources in the same order hold a handful of rows in memory, whatever their size.
    The result counts every row once: matched, different (key, field, left, right), missing on either
    side, or a duplicate of its key.

    `Reconcile Tables` compares two tables (or queries) on two SQL connections without reading them:
    each database computes a canonical text of every row, hashes it (MD5, first 15 hex digits) and sums
    the hashes per key segment. Only segments whose checksums differ are cut further (an integer key into
    ranges of equal width, one statement per side per level; other keys at key values of one side's
    order); rows are read only from small differing segments and diffed by the comparison rule.
    The canonical text is what makes PostgreSQL, MariaDB and SQLite hash alike: numbers as plain decimals
    without trailing zeros (``12.5`` for 12.50), booleans ``1``/``0``, timestamps in UTC as
    ``YYYY-MM-DDTHH:MM:SS.mmm`` (milliseconds, cut), dates ``YYYY-MM-DD``, bytes as lower-case hex, NULL
    as ``\\N``, text as stored, values joined with ``|``. SQLite runs in the test's process: its rows are
    hashed there with the same text. Floating-point columns hash by their shortest text, which databases
    may spell differently for extreme values; a segment that hashes differently is still compared row by
    row, so the result stays exact, only slower.

    = Driver logs =

    The drivers' own log records (paramiko, pika, urllib3) reach the log at DEBUG only, without
    tracebacks: Seamline reports what crossed a seam, and fails with its own message.
    """

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    __version__ = __version__

    def __init__(
        self,
        timeout: timedelta | str = "10s",
        body_log_limit: int = 2000,
        schemas: str | list[str] | None = None,
        layouts: str | list[str] | None = None,
        secret_names: str | list[str] = "",
    ):
        """``timeout`` is the default of every keyword's timeout; ``body_log_limit`` cuts logged bodies;
        ``schemas`` is a directory (or a list of them) where schemas are found by name; ``layouts`` is a
        directory (or a list of them) where record layouts given by name are found; ``secret_names``
        (``X-Custom-Auth,session_ref``) are more header and field names whose values are masked."""
        quiet_driver_loggers()
        seconds = seconds_of(timeout)  # Robot converts a given timeout; the documented default is text
        self.ctx = SeamContext(
            timeout=seconds,
            body_log_limit=body_log_limit,
            schemas=SchemaRegistry(directories(schemas), timeout=seconds),
            layout_directories=directories(layouts),
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
            ReconcileKeywords,
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
