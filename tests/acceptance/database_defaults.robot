*** Settings ***
Documentation     The library's import-time timeout is every SQL keyword's default.

Library           Seamline    timeout=1s

Suite Setup       Connect To Sql    sqlite:///${TEMPDIR}/seamline-defaults-${{uuid.uuid4().hex[:8]}}.db
Suite Teardown    Disconnect From All Sql


*** Test Cases ***
Wait Until Row Exists Waits The Library Default
    Execute Sql    CREATE TABLE waits (id INTEGER PRIMARY KEY)
    Run Keyword And Expect Error
    ...    EQUALS:SQL: within 1s no row of waits has id=1, nor any row with one of these values
    ...    Wait Until Row Exists    waits    id=${1}

A Timeout Of Zero Is Refused
    Run Keyword And Expect Error
    ...    EQUALS:SQL: timeout must be more than 0 seconds, got 0s
    ...    Wait Until Row Exists    waits    timeout=0s    id=${1}
