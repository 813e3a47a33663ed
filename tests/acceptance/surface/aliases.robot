*** Settings ***
Documentation     Connection aliases are matched like Robot Framework's own connection cache, on every seam:
...               case, spaces and underscores are ignored (``Orders API`` is ``orders_api``), and failures
...               list the open aliases as they were written.

Library           OperatingSystem
Library           String
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
    Alias Should Be Listed As Written    HTTP    Orders API    Connect To Api    Call Api    GET    /value
    Disconnect From Api    orders api
    Alias Should Be Closed    HTTP    Orders API    Connect To Api    Call Api    GET    /value

Sql Aliases Ignore Case Spaces And Underscores
    Connect To Sql    sqlite:///${DB_FILE}    alias=Orders DB
    ${rows} =    Query Rows    SELECT 1 AS one    alias=orders_db
    Should Be Equal As Integers    ${rows}[0][one]    1
    Switch Sql    ORDERS_DB
    Alias Should Be Listed As Written    SQL    Orders DB    Connect To Sql    Query Rows    SELECT 1
    Disconnect From Sql    orders db
    Alias Should Be Closed    SQL    Orders DB    Connect To Sql    Query Rows    SELECT 1

Broker Aliases Ignore Case Spaces And Underscores
    Connect To Broker    outbox+sqlite:///${DB_FILE}#outbox    alias=Orders Outbox
    Start Capturing Messages    alias=orders_outbox
    Switch Broker    ORDERS_OUTBOX
    Alias Should Be Listed As Written    Messages    Orders Outbox    Connect To Broker    Start Capturing Messages
    Disconnect From Broker    orders outbox
    Alias Should Be Closed    Messages    Orders Outbox    Connect To Broker    Start Capturing Messages

Ssh Aliases Ignore Case Spaces And Underscores
    [Tags]    ssh
    Require Server    sshd
    ${server} =    Start Test Sshd
    Connect To Ssh    ${server.host}    ${server.port}    ${server.user}    password=${server.password}
    ...    known_hosts=${server.known_hosts}    alias=Ledger Host
    ${result} =    Run Remote Command    echo hi    alias=ledger_host
    Should Be Equal    ${result.stdout}    hi\n
    Switch Ssh    LEDGER_HOST
    Alias Should Be Listed As Written    SSH    Ledger Host    Connect To Ssh    Run Remote Command    echo hi
    Disconnect From Ssh    ledger host
    Alias Should Be Closed    SSH    Ledger Host    Connect To Ssh    Run Remote Command    echo hi
    [Teardown]    Stop Test Sshd


*** Keywords ***
Alias Should Be Listed As Written
    [Documentation]    Using an alias that is not open fails naming the open ones, ``alias`` as it was written.
    ...    (One library instance serves every suite of a run: other suites may leave connections open.)
    [Arguments]    ${seam}    ${alias}    ${opener}    ${keyword}    @{arguments}
    ${error} =    Run Keyword And Expect Error
    ...    ${seam}: no 'billing' connection (open: *); open one with `${opener}`
    ...    ${keyword}    @{arguments}    alias=billing
    ${open} =    Fetch From Right    ${error}    (open:
    Should Contain    ${open}    ${alias}

Alias Should Be Closed
    [Documentation]    Using ``alias`` fails as not open, and the open connections listed no longer include it.
    [Arguments]    ${seam}    ${alias}    ${opener}    ${keyword}    @{arguments}
    ${error} =    Run Keyword And Expect Error
    ...    ${seam}: no '${alias}' connection (open: *); open one with `${opener}`
    ...    ${keyword}    @{arguments}    alias=${alias}
    ${open} =    Fetch From Right    ${error}    (open:
    Should Not Contain    ${open}    ${alias}

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
