*** Settings ***
Documentation     Messaging keywords on a SQLite outbox table (always) and on RabbitMQ (when reachable;
...               required on CI): capture, wait, publish, envelopes, correlation, dead letters, failures.

Library           Seamline
Library           Servers
Library           PlainPikaPublisher    %{SEAMLINE_RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672/%2F}

Suite Setup       Create Outbox
Suite Teardown    Disconnect From Sql    outbox-db

Test Tags         messaging


*** Variables ***
${DB_FILE}             ${TEMPDIR}/seamline-messaging-${{uuid.uuid4().hex[:8]}}.db
${DB_URL}              sqlite:///${DB_FILE}
${OUTBOX_URL}          outbox+${DB_URL}#outbox
# Unique routing keys on RabbitMQ's built-in topic exchange keep this run apart from others
# (letters only: the shipped envelope schema wants lower-case words as message types).
${RUN}                 ${{''.join(random.choices(string.ascii_lowercase, k=10))}}
&{ORDER}               id=o-1    sku=SKU-APPLE    quantity=${2}
${OUTBOX_DDL}
...                    CREATE TABLE outbox (position INTEGER PRIMARY KEY AUTOINCREMENT,
...                    message_id VARCHAR(36) NOT NULL UNIQUE, type VARCHAR(64) NOT NULL, version INTEGER NOT NULL,
...                    occurred_at TIMESTAMP NOT NULL, correlation_id VARCHAR(64) NOT NULL, payload TEXT NOT NULL,
...                    published_at TIMESTAMP)
${DEAD_LETTERS_DDL}
...                    CREATE TABLE dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, message_id VARCHAR(64),
...                    consumer VARCHAR(64) NOT NULL, type VARCHAR(64), envelope TEXT NOT NULL, error TEXT NOT NULL,
...                    attempts INTEGER NOT NULL, failed_at TIMESTAMP NOT NULL)
&{ORDER_SCHEMA}        type=object    required=${{["id", "sku", "quantity"]}}
...                    properties=${{{"quantity": {"type": "integer", "minimum": 1}}}}


*** Test Cases ***
Wait For Message Returns The Envelope From The Outbox
    Start Capturing Messages
    ${sent} =    Publish Message    ${EMPTY}    order.created    ${ORDER}    correlation_id=cid-1
    ${msg} =    Wait For Message    order.created    payload.id=o-1    correlation_id=cid-1
    Should Be Equal    ${msg}[payload]    ${ORDER}
    Should Be Equal    ${msg}[message_id]    ${sent}[message_id]
    Message Should Match Envelope    ${msg}    schema=${ORDER_SCHEMA}    version=1

Only Messages After The Capture Started Count
    Publish Message    ${EMPTY}    order.created    ${{{"id": "early"}}}
    Start Capturing Messages    binding=order.*
    Publish Message    ${EMPTY}    stock.reserved    ${{{"order_id": "late"}}}
    Publish Message    ${EMPTY}    order.created    ${{{"id": "late"}}}
    Wait For Message    order.created    payload.id=late
    ${seen} =    Get Captured Messages
    Length Should Be    ${seen}    1
    No Message Should Arrive    order.created    within=200ms    payload.id=early

Stop Capturing Messages Returns What Was Captured
    Start Capturing Messages
    Publish Message    ${EMPTY}    order.created    ${ORDER}
    Wait For Message    order.created
    ${captured} =    Stop Capturing Messages
    Length Should Be    ${captured}    1
    Run Keyword And Expect Error
    ...    Messages: no capture started on outbox+sqlite:///*#outbox; start one with `Start Capturing Messages`
    ...    Get Captured Messages

Stop Capturing Messages Fails Without A Capture
    Run Keyword And Expect Error
    ...    Messages: no capture started on outbox+sqlite:///*#outbox; start one with `Start Capturing Messages`
    ...    Stop Capturing Messages

Wait For Message Fails Listing What Arrived
    Start Capturing Messages
    Publish Message    ${EMPTY}    order.created    ${{{"id": "o-7"}}}    correlation_id=cid-7
    VAR    ${expected}
    ...    Messages: expected a message with type=order.created, payload.id=o-8 from outbox within 0.3s; 1 message(s) arrived:
    ...    ${SPACE*2}1. order.created message_id=* correlation_id=cid-7 {"id": "o-7"}
    ...    separator=\n
    Run Keyword And Expect Error    ${expected}    Wait For Message    order.created    timeout=300ms    payload.id=o-8

A Message That Never Arrives Fails Saying None Did
    Start Capturing Messages
    Run Keyword And Expect Error
    ...    Messages: expected a message with type=stock.rejected from outbox within 0.2s; no message arrived
    ...    Wait For Message    stock.rejected    timeout=200ms

A Malformed Payload Is Captured And Reported
    Start Capturing Messages
    ${sent} =    Publish Message    ${EMPTY}    order.created    {not json
    ${msg} =    Wait For Message    order.created    malformed=True
    Should Be Equal    ${msg}[body]    {not json
    Should Be Equal    ${msg}[message_id]    ${sent}[message_id]
    Run Keyword And Expect Error
    ...    Messages: order.created ${sent}[message_id] does not match:*- the body is not a JSON envelope: '{not json'
    ...    Message Should Match Envelope    ${msg}

No Message Should Arrive Fails On A Match
    Start Capturing Messages
    Publish Message    ${EMPTY}    stock.reserved    ${{{"order_id": "o-3"}}}    correlation_id=cid-3
    VAR    ${expected}
    ...    Messages: expected no message with type=stock.reserved, payload.order_id=o-3 from outbox within 1s, but 1 arrived:
    ...    ${SPACE*2}1. stock.reserved message_id=* correlation_id=cid-3 {"order_id": "o-3"}
    ...    separator=\n
    Run Keyword And Expect Error    ${expected}
    ...    No Message Should Arrive    stock.reserved    within=1s    payload.order_id=o-3

Message Should Match Envelope Lists Every Problem
    VAR    &{broken}    message_id=m-1    type=order.created    version=${2}    occurred_at=yesterday
    ...    payload=${{{"id": "o-1", "sku": "SKU-APPLE", "quantity": 0}}}
    VAR    ${expected}    Messages: order.created m-1 does not match:    - $: 'correlation_id' is a required property
    ...    - $.occurred_at: 'yesterday' is not a 'date-time'    - 'version' should be 1, got 2
    ...    separator=\n
    Run Keyword And Expect Error    ${expected}    Message Should Match Envelope    ${broken}    version=1

Message Should Match Envelope Checks The Payload Schema
    ${sent} =    Publish Message    ${EMPTY}    order.created    ${{{"id": "o-1", "sku": "S", "quantity": 0}}}
    Run Keyword And Expect Error
    ...    Messages: order.created ${sent}[message_id] does not match:*- payload $.quantity: 0 is less than the minimum of 1
    ...    Message Should Match Envelope
    ...    ${sent}
    ...    schema=${ORDER_SCHEMA}

Messages Should Share Correlation Id
    Start Capturing Messages
    Publish Message    ${EMPTY}    order.created    ${ORDER}    correlation_id=cid-9
    Publish Message    ${EMPTY}    stock.reserved    ${{{"order_id": "o-1"}}}    correlation_id=cid-9
    ${created} =    Wait For Message    order.created    correlation_id=cid-9
    ${reserved} =    Wait For Message    stock.reserved    correlation_id=cid-9
    ${cid} =    Messages Should Share Correlation Id    ${created}    ${reserved}
    Should Be Equal    ${cid}    cid-9

Messages Should Share Correlation Id Fails Listing Each Id
    ${created} =    Publish Message    ${EMPTY}    order.created    ${ORDER}    correlation_id=cid-9
    ${rejected} =    Publish Message    ${EMPTY}    stock.rejected    ${{{"order_id": "o-1"}}}    correlation_id=other
    VAR    ${expected}    Messages: expected 2 messages to share one correlation id:
    ...    ${SPACE*2}order.created *: correlation_id='cid-9'    ${SPACE*2}stock.rejected *: correlation_id='other'
    ...    separator=\n
    Run Keyword And Expect Error    ${expected}    Messages Should Share Correlation Id    ${created}    ${rejected}

Correlation Id Should Flow Through Every Hop
    Start Capturing Messages
    Publish Message    ${EMPTY}    order.created    ${ORDER}    correlation_id=cid-flow
    Publish Message    ${EMPTY}    stock.reserved    ${{{"order_id": "o-1"}}}    correlation_id=cid-flow
    ${hops} =    Correlation Id Should Flow    cid-flow    order.created    stock.*
    Length Should Be    ${hops}    2

Correlation Id Should Flow Fails Naming The Broken Hop
    Start Capturing Messages
    Publish Message    ${EMPTY}    order.created    ${ORDER}    correlation_id=cid-a
    Publish Message    ${EMPTY}    stock.reserved    ${{{"order_id": "o-1"}}}    correlation_id=cid-b
    VAR    ${expected}    Messages: correlation id cid-a did not reach every hop within 0.3s; missing:
    ...    ${SPACE*2}stock.*: arrived with correlation ids cid-b    2 message(s) arrived:*    separator=\n
    Run Keyword And Expect Error    ${expected}
    ...    Correlation Id Should Flow    cid-a    order.created    stock.*    timeout=300ms

Dead Letters Are Read And Filtered
    Dead Letters Should Be Empty    sql:dead_letters    consumer=inventory
    Dead Letter Exists    m-dead    message is not JSON
    ${letters} =    Get Dead Letters    ${DB_URL}#dead_letters    consumer=inventory
    Length Should Be    ${letters}    1
    Should Be Equal    ${letters}[0][error]    message is not JSON
    Should Be Equal    ${letters}[0][envelope]    {not json
    ${letter} =    Wait For Dead Letter    sql:dead_letters    message_id=m-dead    timeout=1s
    Should Be Equal    ${letter}[id]    ${letters}[0][id]
    [Teardown]    Execute Sql    DELETE FROM dead_letters    alias=outbox-db

Dead Letters Have Their JSON Text Parsed And Compare Values As Every Seam Does
    Dead Letter Exists    m-json    handler failed    envelope={"payload": {"id": "o-5"}}    attempts=${3}
    ${parsed} =    Get Dead Letters    sql:dead_letters    envelope.payload.id=o-5    attempts=3.0
    Length Should Be    ${parsed}    1
    Should Be Equal    ${parsed}[0][envelope][payload]    ${{{"id": "o-5"}}}
    [Teardown]    Execute Sql    DELETE FROM dead_letters    alias=outbox-db

Dead Letter Failures List What Is There
    Dead Letter Exists    m-dead    message is not JSON
    VAR    ${letter}    ${SPACE*2}1. id=* message_id=m-dead consumer=inventory type=order.created envelope={not json
    ...    error=message is not JSON attempts=1 failed_at=2026-01-02 03:04:05    separator=${SPACE}
    VAR    ${expected}    Messages: expected no dead letter, found 1:    ${letter}    separator=\n
    Run Keyword And Expect Error    ${expected}    Dead Letters Should Be Empty    sql:dead_letters
    VAR    ${expected}    Messages: expected a dead letter with message_id=m-other within 0.2s; found only:
    ...    ${SPACE*2}1. id=* message_id=m-dead*    separator=\n
    Run Keyword And Expect Error    ${expected}
    ...    Wait For Dead Letter    sql:dead_letters    message_id=m-other    timeout=200ms
    Run Keyword And Expect Error    the outbox kept a dead letter
    ...    Dead Letters Should Be Empty    sql:dead_letters    msg=the outbox kept a dead letter
    Run Keyword And Expect Error    nothing for m-other
    ...    Wait For Dead Letter    sql:dead_letters    timeout=100ms    msg=nothing for m-other    message_id=m-other
    [Teardown]    Execute Sql    DELETE FROM dead_letters    alias=outbox-db

A Dead Letter Source Must Say Where
    Run Keyword And Expect Error
    ...    Messages: dead letters come from amqp:<queue>, sql:<table> or <sql url>#<table>, got 'dead_letters'
    ...    Get Dead Letters    dead_letters
    Run Keyword And Expect Error
    ...    Messages: cannot read dead letters from 'no_such_table' at outbox+sqlite:///*: *no such table: no_such_table*
    ...    Get Dead Letters
    ...    sql:no_such_table
    Run Keyword And Expect Error
    ...    Messages: outbox+sqlite:///*#outbox is not a RabbitMQ connection: 'amqp:orders.dead' names a queue
    ...    Get Dead Letters    amqp:orders.dead

Dead Letters In A Table Need An Outbox Connection Or A URL
    [Tags]    rabbitmq
    Connect To Rabbit
    Run Keyword And Expect Error
    ...    Messages: amqp://* is not an outbox: give the table as <sql url>#dead_letters
    ...    Get Dead Letters    sql:dead_letters    alias=rabbit
    [Teardown]    Disconnect From Broker    rabbit

Unknown Broker Alias Names The Opener Keyword
    Run Keyword And Expect Error
    ...    Messages: no 'nowhere' connection (open: outbox); open one with `Connect To Broker`
    ...    Start Capturing Messages    alias=nowhere

Disconnect From Broker Fails For An Unknown Alias And Keeps The Connection
    Run Keyword And Expect Error
    ...    Messages: no 'outbx' connection to close (open: outbox)
    ...    Disconnect From Broker    outbx
    Start Capturing Messages    alias=outbox

A Missing Outbox Table Fails At Connect
    Run Keyword And Expect Error
    ...    Messages: cannot read outbox table 'no_such_table' at outbox+sqlite:///*: *no such table: no_such_table*
    ...    Connect To Broker    outbox+${DB_URL}#no_such_table    alias=broken

A URL Of Another Kind Is Refused
    Run Keyword And Expect Error
    ...    Messages: 'http://127.0.0.1:1/' is neither amqp://... nor outbox+<database url>#<table>
    ...    Connect To Broker    http://127.0.0.1:1/    alias=broken

RabbitMQ Capture Sees Published Envelopes And Malformed Bodies
    [Tags]    rabbitmq
    Connect To Rabbit
    Start Capturing Messages    amq.topic    binding=${RUN}.#
    ${sent} =    Publish Message    amq.topic    ${RUN}.order.created    ${ORDER}    correlation_id=cid-r
    Publish Message    amq.topic    ${RUN}.order.created    this is not json
    ${msg} =    Wait For Message    ${RUN}.order.*    payload.id=o-1
    Should Be Equal    ${msg}    ${sent}
    Message Should Match Envelope    ${msg}    schema=${ORDER_SCHEMA}
    ${bad} =    Wait For Message    malformed=True
    Should Be Equal    ${bad}[body]    this is not json
    No Message Should Arrive    ${RUN}.stock.*    within=200ms
    [Teardown]    Disconnect From Broker    rabbit

RabbitMQ Wait For Message Fails Listing What Arrived
    [Tags]    rabbitmq
    Connect To Rabbit
    Start Capturing Messages    amq.topic    binding=${RUN}.#
    Publish Message    amq.topic    ${RUN}.order.created    ${ORDER}    correlation_id=cid-x
    VAR    ${expected}
    ...    Messages: expected a message with type=${RUN}.stock.reserved from amq.topic within 0.5s; 1 message(s) arrived:
    ...    ${SPACE*2}1. ${RUN}.order.created message_id=* correlation_id=cid-x {"id": "o-1", "sku": "SKU-APPLE", "quantity": 2}
    ...    separator=\n
    Run Keyword And Expect Error    ${expected}    Wait For Message    ${RUN}.stock.reserved    timeout=500ms
    [Teardown]    Disconnect From Broker    rabbit

RabbitMQ Capture Declares An Exchange That Does Not Exist Yet
    [Tags]    rabbitmq
    Connect To Rabbit
    Start Capturing Messages    ${RUN}-fresh
    Publish Message    ${RUN}-fresh    order.created    ${ORDER}    correlation_id=cid-fresh
    Wait For Message    order.created    correlation_id=cid-fresh
    Run Keyword And Expect Error
    ...    Messages: publishing to exchange '${RUN}-missing' (routing key 'order.created') on amqp://* failed: NOT_FOUND - no exchange '${RUN}-missing' in vhost '/'
    ...    Publish Message
    ...    ${RUN}-missing
    ...    order.created
    ...    ${ORDER}
    [Teardown]    Run Keywords    Disconnect From Broker    rabbit    AND    Remove Exchange And Queues    ${RUN}-fresh

RabbitMQ A Message Nobody Receives Fails
    [Tags]    rabbitmq
    Connect To Rabbit
    Run Keyword And Expect Error
    ...    Messages: no queue receives ${RUN}.nobody published to exchange 'amq.topic' (routing key '${RUN}.nobody') on amqp://*: nobody is bound to it
    ...    Publish Message
    ...    amq.topic
    ...    ${RUN}.nobody
    ...    ${ORDER}
    [Teardown]    Disconnect From Broker    rabbit

RabbitMQ Wrong Credentials Fail Without Showing The Password
    [Tags]    rabbitmq
    ${url} =    Require Server    rabbitmq
    VAR    ${wrong}    ${{robot.api.types.Secret("not-the-password-42")}}
    Run Keyword And Expect Error
    ...    Messages: amqp://*refused the login of user '*': wrong user name or password
    ...    Connect To Broker    ${url}    alias=rabbit    password=${wrong}

RabbitMQ Down Fails At Once
    [Tags]    rabbitmq
    ${port} =    Evaluate    (s := socket.socket(), s.bind(("127.0.0.1", 0)), s.getsockname()[1], s.close())[2]
    ...    modules=socket
    Run Keyword And Expect Error
    ...    Messages: cannot connect to amqp://127.0.0.1:${port}/%2F within 2s: *Connection refused (is the broker running?)
    ...    Connect To Broker
    ...    amqp://guest@127.0.0.1:${port}/%2F
    ...    alias=down
    ...    timeout=2s


*** Keywords ***
Create Outbox
    [Documentation]    A private SQLite database with orderflow's outbox and dead_letters tables.
    Connect To Sql    ${DB_URL}    alias=outbox-db
    Execute Sql    ${OUTBOX_DDL}    alias=outbox-db
    Execute Sql    ${DEAD_LETTERS_DDL}    alias=outbox-db
    Connect To Broker    ${OUTBOX_URL}    alias=outbox

Dead Letter Exists
    [Documentation]    A dead letter as orderflow's consumers write one.
    [Arguments]    ${message_id}    ${error}    ${envelope}={not json    ${attempts}=${1}
    VAR    ${insert}    INSERT INTO dead_letters (message_id, consumer, type, envelope, error, attempts, failed_at)
    ...    VALUES (?, 'inventory', 'order.created', ?, ?, ?, '2026-01-02 03:04:05')    separator=${SPACE}
    Execute Sql    ${insert}    ${message_id}    ${envelope}    ${error}    ${attempts}    alias=outbox-db

Connect To Rabbit
    [Documentation]    Connects to the test RabbitMQ as ``rabbit`` (skips, or fails on CI, when it is absent).
    ${url} =    Require Server    rabbitmq
    Connect To Broker    ${url}    alias=rabbit
