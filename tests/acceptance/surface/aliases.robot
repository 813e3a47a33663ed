*** Settings ***
Documentation     Connection aliases are matched like Robot Framework's own connection cache, on every seam:
...               case, spaces and underscores are ignored (``Orders API`` is ``orders_api``), and failures
...               list the open aliases as they were written.

Library           OperatingSystem
Library           Seamline
Library           ComparedValues
Library           Servers
Library           SshServer

Suite Setup       Prepare The Systems
Suite Teardown    Clean Up The Systems

Test Tags         surface


*** Variables ***
${DB_FILE}       ${TEMPDIR}${/}seamline-aliases-${{uuid.uuid4().hex[:8]}}.db
${OUTBOX_DDL}
...              CREATE TABLE outbox (position INTEGER PRIMARY KEY AUTOINCREMENT,
...              message_id VARCHAR(36) NOT NULL UNIQUE, type VARCHAR(64) NOT NULL, version INTEGER NOT NULL,
...              occurred_at TIMESTAMP NOT NULL, correlation_id VARCHAR(64) NOT NULL, payload TEXT NOT NULL,
...              published_at TIMESTAMP)


*** Test Cases ***
Api Aliases Ignore Case Spaces And Underscores
    Connect To Api    ${VALUE_SERVER}    alias=Orders API
    VAR    &{query}    json="ok"
    ${response} =    Call Api    GET    /value    params=${query}    alias=orders_api
    Response Field Should Be    ${response}    $.value    ok
    Switch Api    ORDERS_API
    Run Keyword And Expect Error
    ...    EQUALS:HTTP: no 'billing' connection (open: Orders API); open one with `Connect To Api`
    ...    Call Api
    ...    GET
    ...    /value
    ...    alias=billing
    Disconnect From Api    orders api
    Run Keyword And Expect Error
    ...    EQUALS:HTTP: no 'Orders API' connection (open: none); open one with `Connect To Api`
    ...    Call Api
    ...    GET
    ...    /value
    ...    alias=Orders API

Sql Aliases Ignore Case Spaces And Underscores
    Connect To Sql    sqlite:///${DB_FILE}    alias=Orders DB
    ${rows} =    Query Rows    SELECT 1 AS one    alias=orders_db
    Should Be Equal As Integers    ${rows}[0][one]    1
    Switch Sql    ORDERS_DB
    Run Keyword And Expect Error
    ...    EQUALS:SQL: no 'billing' connection (open: Orders DB); open one with `Connect To Sql`
    ...    Query Rows
    ...    SELECT 1
    ...    alias=billing
    Disconnect From Sql    orders db
    Run Keyword And Expect Error    EQUALS:SQL: no 'Orders DB' connection (open: none); open one with `Connect To Sql`
    ...    Query Rows    SELECT 1    alias=Orders DB

Broker Aliases Ignore Case Spaces And Underscores
    Connect To Broker    outbox+sqlite:///${DB_FILE}#outbox    alias=Orders Outbox
    Start Capturing Messages    alias=orders_outbox
    Switch Broker    ORDERS_OUTBOX
    Run Keyword And Expect Error
    ...    EQUALS:Messages: no 'billing' connection (open: Orders Outbox); open one with `Connect To Broker`
    ...    Start Capturing Messages    alias=billing
    Disconnect From Broker    orders outbox
    Run Keyword And Expect Error
    ...    EQUALS:Messages: no 'Orders Outbox' connection (open: none); open one with `Connect To Broker`
    ...    Start Capturing Messages    alias=Orders Outbox

Ssh Aliases Ignore Case Spaces And Underscores
    [Tags]    ssh
    Require Server    sshd
    ${server} =    Start Test Sshd
    Connect To Ssh    ${server.host}    ${server.port}    ${server.user}    password=${server.password}
    ...    known_hosts=${server.known_hosts}    alias=Ledger Host
    ${result} =    Run Remote Command    echo hi    alias=ledger_host
    Should Be Equal    ${result.stdout}    hi\n
    Switch Ssh    LEDGER_HOST
    Run Keyword And Expect Error
    ...    EQUALS:SSH: no 'billing' connection (open: Ledger Host); open one with `Connect To Ssh`
    ...    Run Remote Command
    ...    echo hi
    ...    alias=billing
    Disconnect From Ssh    ledger host
    Run Keyword And Expect Error
    ...    EQUALS:SSH: no 'Ledger Host' connection (open: none); open one with `Connect To Ssh`
    ...    Run Remote Command
    ...    echo hi
    ...    alias=Ledger Host
    [Teardown]    Stop Test Sshd


*** Keywords ***
Prepare The Systems
    [Documentation]    A local JSON server and an SQLite database with an outbox table.
    ${url} =    Start Value Server
    VAR    ${VALUE_SERVER}    ${url}    scope=SUITE    # robocop: off=VAR05
    Connect To Sql    sqlite:///${DB_FILE}    alias=setup
    Execute Sql    ${OUTBOX_DDL}    alias=setup
    Disconnect From Sql    setup

Clean Up The Systems
    [Documentation]    Stops the server and removes the database file.
    Stop Value Servers
    Remove File    ${DB_FILE}
