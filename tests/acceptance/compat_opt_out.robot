*** Settings ***
Documentation     ``instrument=`` picks which of RequestsLibrary and DatabaseLibrary Seamline instruments:
...               here only DatabaseLibrary, so RequestsLibrary's requests go out as RequestsLibrary sends them.

Library           Collections
Library           OperatingSystem
Library           DatabaseLibrary
Library           RequestsLibrary
Library           Httpbin
Library           Seamline    instrument=DatabaseLibrary

Suite Setup       Start Httpbin Session
Suite Teardown    Run Keywords    Delete All Sessions    AND    Stop Httpbin

Test Tags         compat


*** Test Cases ***
A Library Left Out Is Not Instrumented
    ${resp} =    GET On Session    httpbin    /headers    expected_status=200
    Dictionary Should Not Contain Key    ${resp.json()}[headers]    Traceparent
    ${spans} =    Get Timeline    system=http
    Should Be Empty    ${spans}

The Library Named Is
    Connect To Database    sqlite3    database=:memory:    isolation_level=${None}    alias=memory
    Query    SELECT 1    alias=memory
    Timeline Should Contain    sql    query    sqlite3 memory
    [Teardown]    Disconnect From Database    alias=memory

An Unknown Library To Instrument Is Refused At Import
    VAR    ${refused}
    ...    Initializing library 'Seamline' with arguments [ instrument=SeleniumLibrary ] failed: instrument:
    ...    Seamline instruments RequestsLibrary and DatabaseLibrary, not 'SeleniumLibrary' (True for both, False for none)
    ...    separator=${SPACE}
    # STARTS: Robot ends the message of a failed import with a line break.
    Run Keyword And Expect Error    STARTS:${refused}    Import Library    Seamline    instrument=SeleniumLibrary


*** Keywords ***
Start Httpbin Session
    [Documentation]    httpbin in a thread, and a RequestsLibrary session to it.
    ${url} =    Start Httpbin
    Create Session    httpbin    ${url}
