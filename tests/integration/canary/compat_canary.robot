*** Settings ***
Documentation     Secrets canary for Seamline beside RequestsLibrary and DatabaseLibrary: their own logging of
...               credential headers, bodies, connection strings and values Seamline knows as secrets is masked.

Library           Collections
Library           RequestsLibrary
Library           DatabaseLibrary
Library           Httpbin
Library           Servers
Library           Seamline

Suite Setup       Start Httpbin And Connect Seamline
Suite Teardown    Run Keywords    Delete All Sessions    AND    Disconnect From All Apis    AND    Stop Httpbin


*** Variables ***
${KNOWN: Secret}        %{CANARY_KNOWN_SECRET}
${DB_SECRET: Secret}    %{CANARY_DB_SECRET}


*** Test Cases ***
RequestsLibrary Credential Headers And Bodies Are Masked
    VAR    &{headers}
    ...    Authorization=Bearer %{CANARY_TOKEN}
    ...    Cookie=session=%{CANARY_COOKIE}
    ...    X-Api-Key=%{CANARY_API_KEY}
    Create Session    bin    ${HTTPBIN}    headers=${headers}
    ${echo} =    GET On Session    bin    /headers    expected_status=200
    Log    ${echo.json()}
    VAR    &{login}    user=bob    password=%{CANARY_PASSWORD}
    ${echo} =    POST On Session    bin    /post    json=${login}    expected_status=200
    Log    ${echo.text}
    POST On Session    bin    /post    data=user=bob&password=%{CANARY_PASSWORD}    expected_status=200
    Timeline Should Contain    http    POST    /post

A Value Seamline Knows As A Secret Is Masked In RequestsLibrary's Log
    ${echo} =    GET On Session    bin    /anything/${KNOWN.value}    expected_status=200
    Log    ${echo.json()}[url]

DatabaseLibrary Connection Passwords Are Masked
    ${url} =    Require Server    postgres
    VAR    ${with_password}    ${{ $url.replace('postgres@', 'postgres:%{CANARY_DB_PASSWORD}@') }}
    Connect To Database Using Custom Connection String    psycopg    ${with_password}    alias=url
    VAR    ${dsn}    host=127.0.0.1 dbname=test user=postgres password=%{CANARY_DB_PASSWORD}
    Connect To Database Using Custom Connection String    psycopg    ${dsn}    alias=dsn
    Connect To Database    psycopg    dbname=test    user=postgres    password=%{CANARY_DB_PASSWORD}
    ...    host=127.0.0.1    alias=params
    Connect To Database    psycopg    db_user=postgres    db_password=${DB_SECRET}    db_host=127.0.0.1
    ...    dbname=test    alias=secret
    ${rows} =    Query    SELECT 1 AS one    alias=params
    Should Be Equal    ${rows}[0][0]    ${1}
    Timeline Should Contain    sql    query    psycopg params
    [Teardown]    Disconnect From All Databases


*** Keywords ***
Start Httpbin And Connect Seamline
    [Documentation]    Seamline learns ${KNOWN} as a secret when it sends it (an API token of its own session).
    ${url} =    Start Httpbin
    VAR    ${HTTPBIN}    ${url}    scope=SUITE    # robocop: off=VAR05
    Connect To Api    ${HTTPBIN}    auth=${KNOWN}
    Call Api    GET    /bearer
