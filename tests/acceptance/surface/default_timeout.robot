*** Settings ***
Documentation     The library's import-time timeout is every waiting keyword's default: with ``timeout=1s``,
...               a wait that cannot succeed fails after about 1 s (not the 5 s, 10 s or 30 s once hard-coded),
...               with its seam's message. Each check allows 1 s to 4 s: a deadline, not a benchmark.

Library           OperatingSystem
Library           Seamline    timeout=1s
Library           ComparedValues
Library           Servers
Library           SshServer

Suite Setup       Open The Systems To Wait On
Suite Teardown    Close The Systems To Wait On

Test Tags         surface


*** Variables ***
${RUN}                 seamline-timeouts-${{uuid.uuid4().hex[:8]}}
${DIR}                 ${TEMPDIR}${/}${RUN}
${DB_URL}              sqlite:///${DIR}${/}waits.db
${LIBRARY_TIMEOUT}     1
${MARGIN}              3
${OUTBOX_DDL}
...                    CREATE TABLE outbox (position INTEGER PRIMARY KEY AUTOINCREMENT,
...                    message_id VARCHAR(36) NOT NULL UNIQUE, type VARCHAR(64) NOT NULL, version INTEGER NOT NULL,
...                    occurred_at TIMESTAMP NOT NULL, correlation_id VARCHAR(64) NOT NULL, payload TEXT NOT NULL,
...                    published_at TIMESTAMP)
${DEAD_LETTERS_DDL}
...                    CREATE TABLE dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, message_id VARCHAR(64),
...                    consumer VARCHAR(64) NOT NULL, type VARCHAR(64), envelope TEXT NOT NULL, error TEXT NOT NULL,
...                    attempts INTEGER NOT NULL, failed_at TIMESTAMP NOT NULL)


*** Test Cases ***
Wait Until Api Returns Gives Up At The Library Timeout
    VAR    &{query}    json="NEW"
    Should Fail At The Library Timeout
    ...    HTTP: GET http://127.0.0.1:*/value: '$.value' did not become 'SHIPPED' within 1s (* attempts); *
    ...    Wait Until Api Returns    GET    /value    $.value    SHIPPED    params=${query}    alias=waits

Wait Until Row Exists Gives Up At The Library Timeout
    Should Fail At The Library Timeout
    ...    EQUALS:SQL: within 1s no row of waited has id\=never, nor any row with one of these values
    ...    Wait Until Row Exists    waited    alias=waits-db    id=never

Wait For Message Gives Up At The Library Timeout
    Start Capturing Messages    alias=waits-outbox
    Should Fail At The Library Timeout
    ...    EQUALS:Messages: expected a message with type\=never.sent from outbox within 1s; no message arrived
    ...    Wait For Message    never.sent    alias=waits-outbox

No Message Should Arrive Watches For The Library Timeout
    Start Capturing Messages    alias=waits-outbox
    ${elapsed} =    Seconds Taken By    No Message Should Arrive    never.sent    alias=waits-outbox
    Should End At The Library Timeout    ${elapsed}

Wait For Dead Letter Gives Up At The Library Timeout
    Should Fail At The Library Timeout
    ...    EQUALS:Messages: expected a dead letter with message_id\=never within 1s; there are none
    ...    Wait For Dead Letter    ${DB_URL}#dead_letters    message_id=never

Start Service Gives Up On Readiness At The Library Timeout
    Should Fail At The Library Timeout
    ...    EQUALS:Services: 'sleeper' not ready (log line /ready/) within 1s; stopped it. Last output:\n(no output)
    ...    Start Service    sleeper    python -c "import time; time.sleep(60)"    ready=log:ready

Wait Until Remote File Exists Gives Up At The Library Timeout
    [Tags]    ssh
    Require Server    sshd
    ${server} =    Start Test Sshd
    Connect To Ssh    ${server.host}    ${server.port}    ${server.user}    password=${server.password}
    ...    known_hosts=${server.known_hosts}    alias=waits-ssh
    VAR    ${target}    ${server.user}@${server.host}:${server.port}
    Should Fail At The Library Timeout
    ...    EQUALS:SSH: no remote file matching '${server.work_dir}/never.ack' appeared on ${target} within 1s
    ...    Wait Until Remote File Exists    ${server.work_dir}/never.ack    alias=waits-ssh
    [Teardown]    Run Keywords    Disconnect From All Ssh    AND    Stop Test Sshd


*** Keywords ***
Should Fail At The Library Timeout
    [Documentation]    Runs a wait that cannot succeed: it must fail with ``error`` after about the library timeout.
    [Arguments]    ${error}    ${keyword}    @{arguments}    &{named}
    ${started} =    Evaluate    time.monotonic()
    Run Keyword And Expect Error    ${error}    ${keyword}    @{arguments}    &{named}
    ${elapsed} =    Evaluate    time.monotonic() - $started
    Should End At The Library Timeout    ${elapsed}

Seconds Taken By
    [Documentation]    Runs a keyword that must pass; returns how long it took.
    [Arguments]    ${keyword}    @{arguments}    &{named}
    ${started} =    Evaluate    time.monotonic()
    Run Keyword    ${keyword}    @{arguments}    &{named}
    ${elapsed} =    Evaluate    time.monotonic() - $started
    RETURN    ${elapsed}

Should End At The Library Timeout
    [Documentation]    ``elapsed`` is the library timeout, give or take: no earlier, and well before any old default.
    [Arguments]    ${elapsed}
    Should Be True    ${LIBRARY_TIMEOUT} * 0.95 <= ${elapsed} < ${LIBRARY_TIMEOUT} + ${MARGIN}
    ...    msg=took ${elapsed}s, expected the library timeout of ${LIBRARY_TIMEOUT}s (+ up to ${MARGIN}s)

Open The Systems To Wait On
    [Documentation]    A local JSON server, an SQLite database with a table, an outbox and dead letters.
    Create Directory    ${DIR}
    ${url} =    Start Value Server
    Connect To Api    ${url}    alias=waits
    Connect To Sql    ${DB_URL}    alias=waits-db
    Execute Sql    CREATE TABLE waited (id TEXT PRIMARY KEY)    alias=waits-db
    Execute Sql    ${OUTBOX_DDL}    alias=waits-db
    Execute Sql    ${DEAD_LETTERS_DDL}    alias=waits-db
    Connect To Broker    outbox+${DB_URL}#outbox    alias=waits-outbox

Close The Systems To Wait On
    [Documentation]    Closes the connections, stops the server and removes the files the suite made.
    Disconnect From Broker    waits-outbox
    Disconnect From Sql    waits-db
    Disconnect From Api    waits
    Stop Value Servers
    Remove Directory    ${DIR}    recursive=True
