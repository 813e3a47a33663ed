*** Settings ***
Documentation     One comparison rule on every seam: the same value pairs through every keyword that compares
...               a value the test wrote with one a system returned, and the same verdict from each.
...
...               Each row writes the returned value once, as JSON, and hands it back as each system would:
...               a JSON field of an HTTP response, a column of an SQLite row, a field of a CSV batch record and
...               a field of a message payload in an SQLite outbox. A keyword that disagrees is named in the
...               failure with what it said. `Timeline Should Contain` is not in the table: it matches span
...               names and a target substring, not values a system returned.

Library           Collections
Library           OperatingSystem
Library           Seamline
Library           ComparedValues

Suite Setup       Open The Systems That Return Values
Suite Teardown    Close The Systems That Return Values
Test Template     Every Comparing Keyword Should Say

Test Tags         surface


*** Variables ***
${RUN}           seamline-comparing-${{uuid.uuid4().hex[:8]}}
${DIR}           ${TEMPDIR}${/}${RUN}
${DB_URL}        sqlite:///${DIR}${/}values.db
# A wait for a value that is not there ends at once here: the verdict, not the wait, is under test.
${NOT_THERE}     0.3s
${OUTBOX_DDL}
...              CREATE TABLE outbox (position INTEGER PRIMARY KEY AUTOINCREMENT,
...              message_id VARCHAR(36) NOT NULL UNIQUE, type VARCHAR(64) NOT NULL, version INTEGER NOT NULL,
...              occurred_at TIMESTAMP NOT NULL, correlation_id VARCHAR(64) NOT NULL, payload TEXT NOT NULL,
...              published_at TIMESTAMP)


*** Test Cases ***    EXPECTED    RETURNED    VERDICT
Decimal Text Equals A JSON Number    12.50    12.5    equal
Integer Text Equals A JSON Integer    42    42    equal
Another Number Differs    12.51    12.5    differ
Two Texts Compare As Text    007    "7"    differ
Robot True Equals JSON True    true    true    equal
Any Spelling Of True Equals JSON True    TRUE    true    equal
False Differs From JSON True    false    true    differ
Robot None Equals JSON Null    None    null    equal
The JSON Spelling Of Null Equals JSON Null    null    null    equal
A None Value Equals JSON Null    ${None}    null    equal
Text Differs From JSON Null    none at all    null    differ
One Instant In Two Time Zones Is Equal    2026-11-24T10:00:00Z    "2026-11-24T11:00:00+01:00"    equal
Two Instants Differ    2026-11-24T10:00:00Z    "2026-11-24T10:00:00+01:00"    differ
The Same Text Is Equal    abc    "abc"    equal
Different Text Differs    abc    "abd"    differ


*** Keywords ***
Every Comparing Keyword Should Say
    [Documentation]    Hands ``returned`` (JSON text) back through every seam and checks each comparing keyword
    ...    against ``expected``: all must say ``verdict`` (equal: pass; differ: fail with their seam's prefix).
    [Arguments]    ${expected}    ${returned}    ${verdict}
    VAR    ${key}    ${TEST NAME}
    ${value} =    Decode Json    ${returned}
    VAR    &{verdicts}    &{EMPTY}
    Compare Through Http    ${verdicts}    ${expected}    ${returned}
    Compare Through Sql    ${verdicts}    ${key}    ${expected}    ${value}
    Compare Through Records    ${verdicts}    ${key}    ${expected}    ${returned}
    Compare Through Messages    ${verdicts}    ${key}    ${expected}    ${value}
    VAR    &{disagreeing}    &{EMPTY}
    FOR    ${name}    ${said}    IN    &{verdicts}
        IF    $said != $verdict
            Set To Dictionary    ${disagreeing}    ${name}    ${said}
        END
    END
    Should Be Empty    ${disagreeing}
    ...    msg=every keyword should say '${verdict}' for ${expected} against ${returned}; these said: ${disagreeing}

Compare Through Http
    [Documentation]    The value as a JSON field of a response (and of a polled endpoint).
    [Arguments]    ${verdicts}    ${expected}    ${returned}
    VAR    &{query}    json=${returned}
    ${response} =    Call Api    GET    /value    params=${query}    alias=values
    Verdict Of    ${verdicts}    HTTP    Response Field Should Be    ${response}    $.value    ${expected}
    Verdict Of    ${verdicts}    HTTP    Wait Until Api Returns    GET    /value    $.value    ${expected}
    ...    params=${query}    timeout=${NOT_THERE}    alias=values

Compare Through Sql
    [Documentation]    The value in an untyped SQLite column, so the driver returns the JSON value's own type.
    [Arguments]    ${verdicts}    ${key}    ${expected}    ${value}
    Execute Sql    INSERT INTO compared (key, value) VALUES (?, ?)    ${key}    ${value}    alias=values-db
    VAR    &{criteria}    key=${key}    value=${expected}
    Verdict Of    ${verdicts}    SQL    Row Should Exist    compared    alias=values-db    &{criteria}
    Verdict Of    ${verdicts}    SQL    Wait Until Row Exists    compared    timeout=${NOT_THERE}    alias=values-db
    ...    &{criteria}
    ${rows} =    Query Rows    SELECT key, value FROM compared WHERE key = ?    ${key}    alias=values-db
    VAR    &{object}    value=${expected}
    Verdict Of    ${verdicts}    SQL    Row Should Match    ${rows}[0]    ${object}

Compare Through Records
    [Documentation]    The value in a CSV batch record: a number (or null: empty) in a decimal field, else as text.
    [Arguments]    ${verdicts}    ${key}    ${expected}    ${returned}
    ${layout} =    Write Value Layout    ${DIR}
    VAR    ${path}    ${DIR}${/}${key}.csv
    ${field} =    Write Value Csv    ${path}    ${key}    ${returned}
    ${records} =    Read Records    ${path}    ${layout}
    VAR    &{criteria}    key=${key}    ${field}=${expected}
    Verdict Of    ${verdicts}    Records    Records Should Contain    ${records}    value    &{criteria}

Compare Through Messages
    [Documentation]    The value in the payload of a message published to an SQLite outbox.
    [Arguments]    ${verdicts}    ${key}    ${expected}    ${value}
    Start Capturing Messages    alias=values-outbox
    VAR    &{payload}    key=${key}    value=${value}
    Publish Message    ${EMPTY}    compared.value    ${payload}    alias=values-outbox
    Verdict Of    ${verdicts}    Messages    Wait For Message    compared.value    timeout=${NOT_THERE}
    ...    alias=values-outbox    payload.key=${key}    payload.value=${expected}

Verdict Of
    [Documentation]    Runs a comparing keyword and records what it said under its name: ``equal`` (it passed),
    ...    ``differ`` (it failed with its seam's prefix) or the unexpected failure itself.
    [Arguments]    ${verdicts}    ${seam}    ${keyword}    @{arguments}    &{named}
    ${status}    ${message} =    Run Keyword And Ignore Error    ${keyword}    @{arguments}    &{named}
    IF    $status == 'PASS'
        VAR    ${said}    equal
    ELSE IF    $message.startswith($seam + ': ')
        VAR    ${said}    differ
    ELSE
        VAR    ${said}    failed without the '${seam}:' prefix: ${message}
    END
    Set To Dictionary    ${verdicts}    ${keyword}    ${said}

Open The Systems That Return Values
    [Documentation]    A local JSON server, an SQLite database with a value table and an outbox, a layout directory.
    Create Directory    ${DIR}
    ${url} =    Start Value Server
    Connect To Api    ${url}    alias=values
    Connect To Sql    ${DB_URL}    alias=values-db
    Execute Sql    CREATE TABLE compared (key TEXT PRIMARY KEY, value)    alias=values-db
    Execute Sql    ${OUTBOX_DDL}    alias=values-db
    Connect To Broker    outbox+${DB_URL}#outbox    alias=values-outbox

Close The Systems That Return Values
    [Documentation]    Closes the connections, stops the server and removes the files the suite made.
    Disconnect From Broker    values-outbox
    Disconnect From Sql    values-db
    Disconnect From Api    values
    Stop Value Servers
    Remove Directory    ${DIR}    recursive=True
