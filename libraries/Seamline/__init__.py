"""Seamline: Robot Framework keywords for integration testing."""

from __future__ import annotations

import keyword as python_keywords
from datetime import timedelta
from typing import Any

from robotlibcore import DynamicCore

from .compat import CompatListener, instrumented_libraries
from .engine.context import SeamContext, directories
from .engine.driver_logs import quiet_driver_loggers
from .engine.errors import SeamError
from .engine.metrics import collector
from .engine.schema.registry import SchemaRegistry
from .engine.trace.receiver import TraceJoin
from .engine.trace.sources import open_source
from .keywords.api import ApiKeywords
from .keywords.base import SeamFailure, seconds_of
from .keywords.database import DatabaseKeywords
from .keywords.faults import FaultKeywords
from .keywords.hops import HopKeywords
from .keywords.inputs import InputKeywords
from .keywords.messaging import MessagingKeywords
from .keywords.reconcile import ReconcileKeywords
from .keywords.records import RecordKeywords
from .keywords.schema import SchemaKeywords
from .keywords.services import ServiceKeywords
from .keywords.ssh import SshKeywords
from .keywords.trace import TraceKeywords
from .listener import SeamListener
from .metrics import Metrics

__version__ = "0.1.0"


class Seamline(DynamicCore):
    """Seamline checks the seams where systems exchange data: HTTP APIs, SQL databases,
    messages, legacy SSH/SFTP batch interfaces and the processes behind them.

    One library, ``Library    Seamline``, in keyword-driven suites whose output is Robot
    Framework's own ``log.html``. ``pip install robotframework-seamline`` needs no optional driver;
    the PostgreSQL, MariaDB and RabbitMQ drivers load on first use, and a missing one fails naming
    the extra to install (``pip install 'robotframework-seamline[postgres,mysql,amqp]'``).
    Keywords are tagged by the seam they cross (``HTTP``, ``SQL``, ``Messages``, ``SSH``, ``Records``,
    ``Contracts``, ``Services``, ``Faults``, ``Inputs``, ``Timeline``, ``Reconcile``): pick a tag in the
    list of keywords to see one seam's keywords together.

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
    cut. The message starts with the seam of the keyword (``HTTP:``, ``SQL:``, ``Messages:``, ``SSH:``,
    ``Records:``, ``Contracts:``, ``Services:``, ``Faults:``, ``Inputs:``, ``Timeline:``, ``Reconcile:``),
    one prefix per seam.
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
    waterfall in the log; `Get Hop Latencies` summarises them (see `Hops`); `Timeline Should Contain` checks
    that a test crossed a seam. The spans of every test, and the resource usage of services, are
    written to ``seamline-metrics.json`` in the output directory.

    == Traces from inside the systems ==

    A test's own spans show the calls it made; a system that exports OpenTelemetry spans shows what
    happened inside it. Every `Call Api` sends a W3C ``traceparent`` (a new trace, the call's span as
    its root), which an instrumented service continues. A poll's repeated attempts (`Wait Until Api Returns`
    after its first) send theirs unsampled (flags ``00``): a service whose sampler follows its parent (as
    OpenTelemetry's default does) records nothing of each repeat, so a wait costs the system one trace
    however long it polls; each repeat stays on the timeline, a hop to the service that answered the traced
    calls to the same origin. Seamline receives the spans in one of two ways:

    | =Import= | =Spans come from= |
    | ``Library    Seamline    traces=otlp`` | a receiver on a free loopback port (``otlp:127.0.0.1:4318`` picks one) |
    | ``Library    Seamline    traces=jaeger:http://jaeger:16686`` | a Jaeger query API, fetched by trace id |

    `Start Trace Receiver` starts the receiver without the import argument and returns its endpoint,
    to give to the systems as ``OTEL_EXPORTER_OTLP_ENDPOINT`` (they export to ``<endpoint>/v1/traces``,
    protobuf or JSON, gzip or not). The receiver keeps the newest 5000 traces and drops the oldest beyond
    that. Decoding needs ``pip install 'robotframework-seamline[traces]'``.

    Spans join the test by trace id, under the call that caused them: each received span carries the
    ``service.name`` that exported it, its ``kind`` (server, client, producer, consumer, internal), its
    ``parent_id`` and its seam (``http``, ``sql`` from ``db.system``, ``amqp`` or ``messaging`` from
    ``messaging.system``, ``sftp``/``ssh``, else ``internal``), with the OpenTelemetry attributes
    (``peer.service`` names a peer that exports no spans of its own). Exporters send spans in batches,
    after the work is done, so a test that checks them first calls `Wait For Trace`: it returns when the
    test's traces are complete, that is when at least one span arrived, every span's parent is known
    (a received span or one of the test's calls), every service named in ``services=`` sent a span, and
    no new span arrived for ``quiet`` (300 ms unless given: longer than the exporters' batch delay). At
    the end of every test, whatever has arrived joins it without waiting, so ``seamline-metrics.json``
    and the waterfall hold it. With Jaeger, spans join when `Wait For Trace` fetches them.

    | `Call Api` | POST | /api/orders | json=${order} |
    | `Wait For Trace` | services=gateway,orders,inventory | timeout=5s |
    | `Timeline Should Contain` | sql | insert | orders |

    == Where the time goes ==

    With the spans of a trace nested by parent, a journey's time splits three ways:

    - a span's duration: how long it lasted (the gateway's server span, an SQL statement);
    - its self time: its duration minus the part its children overlap, the time the service spent on
      its own work (asynchronous children, such as a message consumed later, overlap nothing);
    - the gap between a client span and the server span it caused: the client waited while the
      server did not yet work, which is network and queueing, the latency inter-service
      communication adds.

    Where a system exports no traces, its ``Server-Timing`` header and the test's client span still
    split a call's time into inside the service (``server_timing`` of the span's attributes) and
    between (the rest of the client span).

    = Hops =

    A hop is one crossing from a service to a peer, named ``<service>><peer>``: ``test>gateway`` for the
    test's own call, ``gateway>orders``, ``orders>sql``, ``inventory>amqp``. The peer is the service of
    the span that answered (received from the system), else the span's ``peer.service``, else its
    system. Per hop, `Get Hop Latencies` gives the count, mean, p50, p95, p99 and max duration, the
    self time (mean and median) and the gap (as in Where the time goes, above). A hop lasts from the caller's
    start to the end of the caller or of the callee, whichever is later; its self time is that minus
    the hops it caused, so it holds the callee's own work and the time between the two, and along a
    sequential journey the hops' self times add up to the journey. A message's gap runs from the end
    of the publish to the consumer's start. Percentiles are nearest-rank: p95 of 20 calls is the 19th
    fastest, always a duration that was measured. The bottleneck is the hop with the most self time;
    every latency failure names it with its share of the time spent in hops. `Hops Should Follow`
    checks the causal order (a caller before what it caused), not wall-clock guesses.

    | `Hop Latency Should Be Below` | gateway>orders | 50ms | percentile=95 |
    | `Trace Should Contain` | service=inventory | kind=server | duration<200ms |

    At the end of every test that has spans, its waterfall is logged: one row per span, nested
    by parent, coloured by seam, self time solid and waiting on children pale, failures marked and
    the bottleneck highlighted; hover a row for its details. ``Library    Seamline    waterfall=False``
    turns it off, ``waterfall=failures`` keeps it for failed tests.

    = Run metrics =

    A run's figures are written to ``metrics.json`` in the output directory by the metrics listener,
    which the library registers for the suites that import it; ``robot --listener Seamline.Metrics``
    covers every suite of the run and takes options
    (``--listener Seamline.Metrics:retry=1:retry_on=timeout:history=results/history.db``):

    - tests by verdict: PASS, FLAKY (failed, then passed on a retry), FAIL or SKIP; the first-run pass
      rate counts a FLAKY test as a first-run failure;
    - per hop latency (count, mean, p50, p95, p99, max) and the latency added between services, from
      every test's timeline; detection times of reconciliation; suite and test durations; the commit;
    - resources per test for each process of a service started with `Start Service` (CPU seconds, peak
      and mean resident memory, open connections; children are named by their role, not summed), and
      for services Seamline did not start, their Prometheus endpoint named in
      ``${SEAMLINE_PROMETHEUS}`` (``name=url,...``).

    Retries: ``retry=N`` or a test's ``retry:N`` tag runs a failed test again right after it; with
    ``retry_on=`` only failures whose message matches are retried. Every attempt keeps its own status
    and time: in Robot's log a retried attempt is a SKIP saying why, and ``seamline-xunit.xml`` marks
    the test with Surefire's ``flakyFailure``. A ``quarantine:<date>`` tag (or a ``quarantine=`` file of
    ``<date> <test full name>`` lines) keeps a failing test from failing the run until that date; it is
    still counted and reported. ``history=`` appends the run to a SQLite file or SQL database, where a
    test that passed and failed on one commit is flagged flaky. Under pabot, each process writes its
    part and the parts merge into one ``metrics.json``; ``seamline merge`` joins reruns and shards.
    ``seamline report`` prints the figures, writes ``dashboard.html`` and fails when a gate breaks
    (``--fail-under first_run=95 --max-hop-p95 gateway>orders=50ms --max-detect 2s``).

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
    in step, a batch of each at a time, so two sources in the same order hold about a batch of rows in
    memory, whatever their size (and 8 bytes for each key that paired).
    The result counts every row once: matched, different (key, field, left, right), missing on either
    side, or a duplicate of its key.

    `Reconcile Tables` compares two tables (or queries) on two SQL connections without reading them:
    each database computes a canonical text of every row, hashes it (MD5, first 15 hex digits; two
    PostgreSQL sides use PostgreSQL's own ``hashtextextended``, three times cheaper, or, when their
    columns have the same types, ``hash_record_extended`` of the rows themselves, without any text) and
    sums the hashes per key segment. Only segments whose checksums differ are cut further (an integer key into
    ranges of equal width, one statement per side per level; other keys at key values of one side's
    order); rows are read only from small differing segments and diffed by the comparison rule.
    The canonical text is what makes PostgreSQL, MariaDB and SQLite hash alike: numbers as plain decimals
    without trailing zeros (``12.5`` for 12.50), booleans ``1``/``0``, timestamps in UTC as
    ``YYYY-MM-DDTHH:MM:SS.mmm`` (milliseconds, cut), dates ``YYYY-MM-DD``, bytes as lower-case hex, NULL
    as ``\\N``, text as stored, values joined with ``|``. SQLite runs in the test's process: its rows are
    hashed there with the same text. Floating-point columns hash by their shortest text, which databases
    may spell differently for extreme values; a segment that hashes differently is still compared row by
    row, so the result stays exact, only slower.

    = Beside RequestsLibrary and DatabaseLibrary =

    Suites written with RequestsLibrary (robotframework-requests 0.9) or DatabaseLibrary
    (robotframework-databaselibrary 2.x) gain Seamline's timeline and masking by importing Seamline
    next to them, their keywords unchanged:

    | Library | RequestsLibrary |
    | Library | DatabaseLibrary |
    | Library | Seamline |

    - every request of a RequestsLibrary session (``Create Session``, then ``GET On Session``...)
      sends ``X-Correlation-Id`` and a W3C ``traceparent`` (unless the test gives its own) and is an
      ``http`` span like those of `Call Api`: method, URL, status, duration, bytes, correlation and
      trace ids, ``Server-Timing``. A redirect is a span of its own. The sessionless keywords (``GET``,
      ``POST``...) are spans too, but send no trace headers: requests makes their session inside the call;
    - every DatabaseLibrary statement (``Query``, ``Execute Sql String``, ``Check Row Count``, ``Check If
      Exists In Database``...) is an ``sql`` span: statement, rows read or changed, duration and alias;
      its target is the driver module and the alias (``sqlite3 default``);
    - their spans are in `Log Timeline`, `Get Timeline` and ``seamline-metrics.json``;
    - their log messages pass Seamline's masker at every level (see `Secrets`): headers such as
      ``Authorization``, credential fields of bodies, passwords of connection strings.

    Nothing changes in what their keywords do or return. Seamline never imports either library: only
    one the suite imports is instrumented. ``instrument`` at import picks them: ``False`` for none, or
    one name.

    | Library | Seamline | instrument=False |
    | Library | Seamline | instrument=RequestsLibrary |

    = Faults =

    A fault proxy sits on one link between two parts of a system: `Start Fault Proxy` listens on a
    local address and forwards every connection to the ``upstream`` address, and the test points the
    client (a service's configured upstream) at the proxy. It runs inside the test process: nothing
    to install, no root, no kernel module. Faults then shape what crosses the link, per direction
    (``downstream``: server to client, the default; ``upstream``: client to server; ``both``):
    `Add Latency`, `Limit Bandwidth`, `Slice Data`, `Drop Data`, `Hang Connections`,
    `Close After Bytes`, `Cut Connections` / `Restore Connections`, `Reset Connections`, and for HTTP
    links `Fail Http Requests` (the proxy answers matching requests itself) and `Delay Http Requests`.

    | ${address} = | `Start Fault Proxy` | inventory | upstream=127.0.0.1:8002 |
    | `Add Latency` | inventory | 300ms | direction=both | for=10s |

    Scoping: a fault lasts until `Remove Faults`, until its ``for`` time is over (``for=5s``: a
    time-boxed fault removes itself), or until the end of the test that added it (a suite setup: the
    suite), whichever comes first; one left at the end is removed and the log says so. A proxy
    started in a test stops at its end. Each fault's addition and removal is logged, and at the end
    of every test the log lists the faults still on, so a failure can be read against them.

    Randomness (``jitter``, `Drop Data`, ``toxicity``: the share of connections a fault affects) comes
    from ``seed``: the same seed over the same traffic meets the same faults. Without ``seed`` one is
    drawn and logged, so a run can be repeated. Faults never block the keywords: adding, removing or
    stopping returns at once, even while connections are frozen mid-transfer. `Get Proxy Stats`
    counts connections, bytes each way and faults applied, and every connection through a proxy is a
    span on the timeline (system ``proxy``, operation the proxy's name) of the test it ended in.

    = Unexpected inputs =

    `Api Should Handle Unexpected Inputs` checks an API's error handling with inputs generated from its
    OpenAPI document by Schemathesis (the ``inputs`` extra: ``pip install 'robotframework-seamline[inputs]'``).
    Each operation gets the document's boundary cases first (values at and past every limit, missing
    required parts, undeclared methods), then random valid and schema-violating inputs, at most
    ``examples`` requests in all, within ``max_time``. They are sent through the HTTP session, so
    they carry its credentials, correlation id and trace headers, are masked in the log and are
    spans on the timeline. The checks: no 5xx and no request left without an answer, invalid inputs
    refused with a 4xx, every status, header, content type and body as documented, undeclared methods
    answered 405 with ``Allow``, the correlation id on every response and, with ``error_schema=``,
    every error body in the system's error envelope. The seed is logged; a failure lists each
    distinct problem once (by check, operation and status), with a curl line that sends its first
    request again (secrets masked) and the seed that sends the same requests again.

    | `Api Should Handle Unexpected Inputs` | operation=POST /api/orders | seed=1234 | error_schema=error.v1 |

    The other seams get the same from their contracts: `Generate Invalid Messages` and
    `Publish Unexpected Messages` make messages that break a JSON Schema (one property wrong, one
    missing, one unknown, or the wrong type altogether), to check that a consumer dead-letters them and
    keeps consuming; `Generate Corrupt Batch` writes a batch file that breaks a record layout in one
    named way (``short_line``, ``bad_trailer``, ``bad_encoding``, ``bad_number``, ``duplicate_key``),
    to check that a legacy system rejects it. Each logs its seed, and the same seed gives the same inputs.

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
        instrument: bool | str | list[str] = True,
        waterfall: bool | str = True,
        traces: str | None = None,
    ):
        """``timeout`` is the default of every keyword's timeout; ``body_log_limit`` cuts logged bodies;
        ``schemas`` is a directory (or a list of them) where schemas are found by name; ``layouts`` is a
        directory (or a list of them) where record layouts given by name are found; ``secret_names``
        (``X-Custom-Auth,session_ref``) are more header and field names whose values are masked;
        ``instrument`` names the libraries whose calls join the timeline (see `Beside RequestsLibrary and
        DatabaseLibrary`): ``True`` for both, ``False`` for none, or ``RequestsLibrary`` or ``DatabaseLibrary``;
        ``traces`` receives the spans the systems under test export: ``otlp`` (an OTLP/HTTP receiver on a free loopback
        port; `Start Trace Receiver` returns its endpoint), ``otlp:127.0.0.1:4318`` or ``jaeger:<query URL>``;
        ``waterfall`` draws each test's waterfall when it ends: ``True``, ``False`` or ``failures``."""
        quiet_driver_loggers()
        seconds = seconds_of(timeout)  # Robot converts a given timeout; the documented default is text
        self.ctx = SeamContext(
            timeout=seconds,
            body_log_limit=body_log_limit,
            schemas=SchemaRegistry(directories(schemas), timeout=seconds),
            layout_directories=directories(layouts),
        )
        self.ctx.masker.add_names(secret_names)
        if traces:
            self.ctx.traces = TraceJoin(open_source(traces))
        self.services = ServiceKeywords(self.ctx)
        collector.register(self.ctx)
        self.faults = FaultKeywords(self.ctx)
        listeners: list[Any] = [
            SeamListener(self.ctx, self.services, self.faults, waterfall),
            Metrics(registered_by_library=True),
        ]
        instrumented = instrumented_libraries(instrument)
        if instrumented:
            listeners.append(CompatListener(self.ctx, instrumented))
        self.ROBOT_LIBRARY_LISTENER = listeners
        keyword_classes = (
            ApiKeywords,
            SchemaKeywords,
            DatabaseKeywords,
            SshKeywords,
            RecordKeywords,
            MessagingKeywords,
            TraceKeywords,
            InputKeywords,
            HopKeywords,
            ReconcileKeywords,
        )
        super().__init__([self.services, self.faults, *(cls(self.ctx) for cls in keyword_classes)])
        _name_reserved_word_arguments(self.keywords_spec)

    def run_keyword(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> Any:
        if kwargs:
            kwargs = {f"{key}_" if python_keywords.iskeyword(key) else key: value for key, value in kwargs.items()}
        try:
            return super().run_keyword(name, args, kwargs)
        except (SeamError, AssertionError) as error:
            raise SeamFailure(self.ctx.masker.text(str(error))) from None

    def get_keyword_tags(self, name: str) -> list[str]:
        """A keyword's own tags plus its seam's (`SEAM` of its class), by which libdoc groups keywords."""
        tags = list(super().get_keyword_tags(name))
        seam = getattr(getattr(self.keywords[name], "__self__", None), "SEAM", None)
        return [seam, *tags] if seam and seam not in tags else tags


def _name_reserved_word_arguments(specs: dict[str, Any]) -> None:
    """Show Python's ``for_`` as ``for=``: an argument named after a reserved word loses its trailing ``_``."""

    def robot_name(name: str) -> str:
        return name[:-1] if name.endswith("_") and python_keywords.iskeyword(name[:-1]) else name

    for spec in specs.values():
        spec.argument_specification = [
            (robot_name(arg[0]), *arg[1:]) if isinstance(arg, tuple) else robot_name(arg)
            for arg in spec.argument_specification
        ]
        spec.argument_types = {robot_name(name): kind for name, kind in spec.argument_types.items()}
