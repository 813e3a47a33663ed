*** Settings ***
Documentation     A library timeout longer than an old hard-coded default: `No Message Should Arrive` watches for
...               the library's 3 s (it once stopped after a fixed 2 s, which only a longer default can show).

Library           OperatingSystem
Library           Seamline    timeout=3s

Suite Setup       Open An Outbox
Suite Teardown    Close The Outbox

Test Tags         surface


*** Variables ***
${DB_FILE}       ${TEMPDIR}${/}seamline-timeouts-${{uuid.uuid4().hex[:8]}}.db
${OUTBOX_DDL}
...              CREATE TABLE outbox (position INTEGER PRIMARY KEY AUTOINCREMENT,
...              message_id VARCHAR(36) NOT NULL UNIQUE, type VARCHAR(64) NOT NULL, version INTEGER NOT NULL,
...              occurred_at TIMESTAMP NOT NULL, correlation_id VARCHAR(64) NOT NULL, payload TEXT NOT NULL,
...              published_at TIMESTAMP)


*** Test Cases ***
No Message Should Arrive Watches For The Whole Library Timeout
    Start Capturing Messages
    ${started} =    Evaluate    time.monotonic()
    No Message Should Arrive    never.sent
    ${elapsed} =    Evaluate    time.monotonic() - $started
    Should Be True    2.9 <= ${elapsed} < 6    msg=watched for ${elapsed}s, expected the library timeout of 3s


*** Keywords ***
Open An Outbox
    [Documentation]    An SQLite outbox table of its own.
    Connect To Sql    sqlite:///${DB_FILE}    alias=outbox-db
    Execute Sql    ${OUTBOX_DDL}    alias=outbox-db
    Connect To Broker    outbox+sqlite:///${DB_FILE}#outbox

Close The Outbox
    [Documentation]    Closes both connections and removes the database file.
    Disconnect From Broker
    Disconnect From Sql    outbox-db
    Remove File    ${DB_FILE}
