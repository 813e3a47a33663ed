*** Settings ***
Documentation     The messaging keywords' common surface, on a SQLite outbox: values compared as every seam
...               compares them, ``msg=`` on assertions, refused timeouts, Switch Broker and Disconnect From
...               All Brokers, and an outbox table whose columns are not orderflow's.

Library           Seamline

Suite Setup       Create Outbox
Suite Teardown    Disconnect From Sql    outbox-db

Test Tags         messaging


*** Variables ***
${DB_URL}        sqlite:///${TEMPDIR}/seamline-messaging-surface-${{uuid.uuid4().hex[:8]}}.db
${OUTBOX_URL}    outbox+${DB_URL}#outbox
${OUTBOX_DDL}
...              CREATE TABLE outbox (position INTEGER PRIMARY KEY AUTOINCREMENT, message_id VARCHAR(36),
...              type VARCHAR(64), version INTEGER, occurred_at TIMESTAMP, correlation_id VARCHAR(64),
...              payload TEXT)


*** Test Cases ***
Criteria Compare Values As Every Seam Does
    Start Capturing Messages
    Publish Message    ${EMPTY}    order.created    ${{{"id": "o-12", "total": 12.5, "express": True, "note": None}}}
    Wait For Message    order.created    payload.total=12.50    payload.express=true    payload.note=null
    ${found} =    Get Captured Messages    order.*    payload.total=12.5    payload.express=${TRUE}
    Length Should Be    ${found}    1
    ${none} =    Get Captured Messages    payload.total=12.51
    Should Be Empty    ${none}
    No Message Should Arrive    order.created    within=100ms    payload.express=false

Assertion Keywords Take Msg
    Start Capturing Messages
    ${sent} =    Publish Message    ${EMPTY}    stock.reserved    ${{{"order_id": "o-13"}}}    correlation_id=cid-13
    Run Keyword And Expect Error    no o-14 message
    ...    Wait For Message    stock.reserved    timeout=100ms    msg=no o-14 message    payload.order_id=o-14
    Run Keyword And Expect Error    o-13 was reserved after all
    ...    No Message Should Arrive    stock.reserved    within=100ms    msg=o-13 was reserved after all
    Run Keyword And Expect Error    the flow broke
    ...    Correlation Id Should Flow    cid-13    order.created    timeout=100ms    msg=the flow broke
    VAR    &{other}    message_id=m-x    type=stock.reserved    correlation_id=cid-other
    Run Keyword And Expect Error    ids differ
    ...    Messages Should Share Correlation Id    ${sent}    ${other}    msg=ids differ
    VAR    &{broken}    message_id=m-1
    Run Keyword And Expect Error    not our envelope
    ...    Message Should Match Envelope    ${broken}    msg=not our envelope

Timeouts Of Zero Are Refused
    Start Capturing Messages
    Run Keyword And Expect Error    Messages: timeout must be more than 0 seconds, got 0s
    ...    Wait For Message    order.created    timeout=0s
    Run Keyword And Expect Error    Messages: within must be more than 0 seconds, got -1s
    ...    No Message Should Arrive    order.created    within=-1s

Switch Broker And Disconnect From All Brokers
    Connect To Broker    ${OUTBOX_URL}    alias=Second Outbox
    Start Capturing Messages
    Switch Broker    outbox
    Publish Message    ${EMPTY}    order.created    ${{{"id": "o-15"}}}
    Switch Broker    second_outbox
    Wait For Message    order.created    payload.id=o-15
    Run Keyword And Expect Error
    ...    Messages: no 'third' connection (open: Second Outbox, outbox); open one with `Connect To Broker`
    ...    Switch Broker
    ...    third
    Disconnect From All Brokers
    Run Keyword And Expect Error    Messages: no open connection (open: none); open one with `Connect To Broker`
    ...    Start Capturing Messages
    [Teardown]    Run Keywords    Disconnect From All Brokers    AND    Connect To Broker    ${OUTBOX_URL}    alias=outbox

An Envelope Schema Known By Name
    Load Schemas    ${CURDIR}/schemas
    VAR    &{event}    messageId=${{str(uuid.uuid4())}}    eventType=order.placed    traceId=t-1    data=${{{}}}
    Message Should Match Envelope    ${event}    envelope=shop-event
    VAR    &{broken}    messageId=${event}[messageId]    eventType=order.placed    traceId=t-1
    VAR    ${expected}    Messages: message does not match:
    ...    - $: 'data' is a required property    separator=\n
    Run Keyword And Expect Error    ${expected}    Message Should Match Envelope    ${broken}    envelope=shop-event
    Run Keyword And Expect Error    Messages: no schema named 'no-such-envelope'*
    ...    Message Should Match Envelope    ${broken}    envelope=no-such-envelope

An Invalid JSONPath Fails Under The Messages Prefix
    Start Capturing Messages
    Run Keyword And Expect Error    Messages: '$[' is not a valid JSONPath:*
    ...    Get Captured Messages    $[=x

The Default Envelope Follows The Connection's Field Names
    Connect To An Events Outbox
    Start Capturing Messages
    ${sent} =    Publish Message    ${EMPTY}    order.created    ${{{"id": "o-16"}}}    correlation_id=cid-16
    Should Be Equal    ${{sorted($sent)}}    ${{["body", "id", "kind", "trace"]}}
    ${event} =    Wait For Message    order.created    body.id=o-16    trace=cid-16
    Message Should Match Envelope    ${event}
    VAR    &{broken}    id=e-1    kind=order.created    body=${{[]}}
    VAR    ${expected}    Messages: order.created e-1 does not match:    - $: 'trace' is a required property
    ...    - $.body: [] is not of type 'object'    separator=\n
    Run Keyword And Expect Error    ${expected}    Message Should Match Envelope    ${broken}    alias=events
    [Teardown]    Run Keywords    Disconnect From Broker    events    AND    Disconnect From Sql    events-db


*** Keywords ***
Create Outbox
    [Documentation]    A private SQLite database with an outbox table as orderflow's.
    Connect To Sql    ${DB_URL}    alias=outbox-db
    Execute Sql    ${OUTBOX_DDL}    alias=outbox-db
    Connect To Broker    ${OUTBOX_URL}    alias=outbox

Connect To An Events Outbox
    [Documentation]    An outbox table that is not orderflow's (its own position column and column names),
    ...    connected as ``events`` in field names that match its columns.
    Connect To Sql    ${DB_URL}    alias=events-db
    Execute Sql
    ...    CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT, kind TEXT, trace TEXT, body TEXT)
    ...    alias=events-db
    Connect To Broker
    ...    outbox+${DB_URL}#events
    ...    alias=events
    ...    position_column=seq
    ...    id_field=id
    ...    type_field=kind
    ...    correlation_field=trace
    ...    payload_field=body
    ...    version_field=${EMPTY}
    ...    time_field=${EMPTY}
