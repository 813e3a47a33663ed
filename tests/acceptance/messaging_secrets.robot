*** Settings ***
Documentation     Secrets canary for the messaging keywords: a broker password, a password inside a broker
...               URL and a secret inside a message payload never reach the log, at any level.
...               tests/integration/test_messaging_secrets.py runs this suite at TRACE with canary values
...               and searches output.xml, log.html and the console for them.

Library           Seamline
Library           Servers

Suite Setup       Create Outbox
Suite Teardown    Disconnect From Sql    canary-db

Test Tags         messaging    secrets


*** Variables ***
${PASSWORD: Secret}    %{MSG_CANARY_PASSWORD=messaging-canary-password}
${URL: Secret}         amqp://guest:%{MSG_CANARY_URL_PASSWORD=messaging-canary-url-password}@127.0.0.1:5672/%2F
${TOKEN: Secret}       %{MSG_CANARY_TOKEN=messaging-canary-token}
${DB_URL}              sqlite:///${TEMPDIR}/seamline-messaging-canary-${{uuid.uuid4().hex[:8]}}.db


*** Test Cases ***
A Wrong Broker Password Is Not Shown
    [Tags]    rabbitmq
    ${url} =    Require Server    rabbitmq
    Run Keyword And Expect Error    Messages: amqp://*refused the login of user '*': wrong user name or password
    ...    Connect To Broker    ${url}    alias=canary    password=${PASSWORD}

A Password Inside A Broker Url Is Not Shown
    [Tags]    rabbitmq
    Require Server    rabbitmq
    Run Keyword And Expect Error    Messages: amqp://127.0.0.1:5672/%2F refused the login of user '*'*
    ...    Connect To Broker    ${URL}    alias=canary

A Secret In A Payload Is Sent But Not Logged
    Start Capturing Messages    alias=outbox
    VAR    &{payload}    note=${TOKEN}    api_key=${TOKEN}
    Publish Message    ${EMPTY}    canary.sent    ${payload}    alias=outbox
    ${message} =    Wait For Message    canary.sent    alias=outbox
    Log    ${message}
    Run Keyword And Expect Error    Messages: expected a message with type=canary.missing*
    ...    Wait For Message    canary.missing    timeout=100ms    alias=outbox
    ${rows} =    Query Rows    SELECT payload FROM outbox    alias=canary-db
    Should Contain    ${rows}[0][payload]    "note":    msg=the payload did not reach the outbox


*** Keywords ***
Create Outbox
    [Documentation]    A private SQLite outbox table, as orderflow's.
    Connect To Sql    ${DB_URL}    alias=canary-db
    VAR    ${ddl}    CREATE TABLE outbox (position INTEGER PRIMARY KEY AUTOINCREMENT, message_id VARCHAR(36),
    ...    type VARCHAR(64), version INTEGER, occurred_at TIMESTAMP, correlation_id VARCHAR(64), payload TEXT,
    ...    published_at TIMESTAMP)    separator=${SPACE}
    Execute Sql    ${ddl}    alias=canary-db
    Connect To Broker    outbox+${DB_URL}#outbox    alias=outbox
