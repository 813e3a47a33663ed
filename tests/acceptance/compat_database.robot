*** Settings ***
Documentation     DatabaseLibrary's keywords written as its documentation writes them, with Seamline imported
...               beside it: every statement is an sql span of the timeline (statement, rows, alias).
...               Run with ``--variable SEAMLINE:BuiltIn`` the same tests pass without Seamline (the span
...               checks are then left out). SQLite always; PostgreSQL when it is reachable.

Library           OperatingSystem
Library           DatabaseLibrary
Library           Servers
Library           ${SEAMLINE}

Suite Setup       Connect To A Fresh SQLite File
Suite Teardown    Disconnect From All Databases

Test Tags         db    compat


*** Variables ***
${SEAMLINE}    Seamline
${DB_FILE}     ${TEMPDIR}${/}seamline_compat.db


*** Test Cases ***
Query Is A Span With Its Rows
    ${results} =    Query    SELECT name, stock FROM fruit ORDER BY name
    Length Should Be    ${results}    2
    Should Be Equal    ${results}[0][0]    apple
    IF    ${TRACED}
        ${span} =    Timeline Should Contain    sql    query    sqlite3
        Should Be Equal    ${span.attributes}[statement]    SELECT name, stock FROM fruit ORDER BY name
        Should Be Equal    ${span.attributes}[rows]    ${2}
        Should Be Equal    ${span.attributes}[alias]    default
        Should Be True    ${span.duration} > 0
    END

Check Row Count Is A Span
    Check Row Count    SELECT * FROM fruit WHERE stock > 5    ==    1
    Table Must Exist    fruit
    IF    ${TRACED}
        ${span} =    Timeline Should Contain    sql    query    sqlite3
        Should Be Equal    ${span.attributes}[rows]    ${1}
    END

The Keywords Of DatabaseLibrary 1 Are Spans Too
    [Documentation]    Deprecated in DatabaseLibrary 2 (it warns), still in many suites.
    Row Count Is Equal To X    SELECT * FROM fruit    2
    Check If Exists In Database    SELECT name FROM fruit WHERE name = 'apple'
    IF    ${TRACED}
        ${spans} =    Get Timeline    system=sql    operation=query
        Length Should Be    ${spans}    2
        Should Be Equal    ${spans[0].attributes}[rows]    ${2}
    END

Execute Sql String Is A Span With The Rows It Changed
    Execute Sql String    UPDATE fruit SET stock = stock + 1 WHERE name = 'pear'
    Check Query Result    SELECT stock FROM fruit WHERE name = 'pear'    ==    ${4}
    IF    ${TRACED}
        ${spans} =    Get Timeline    system=sql
        Should Be Equal    ${spans[0].operation}    execute
        Should Be Equal    ${spans[0].attributes}[rows]    ${1}
        Should Be Equal    ${spans[1].operation}    query
        Should Be Equal    ${spans[1].attributes}[rows]    ${1}
        Log Timeline    Execute Sql String, then Check Query Result
    END

A Failing Statement Is A Failed Span And DatabaseLibrary Still Fails
    Run Keyword And Expect Error    OperationalError: no such table: vegetables
    ...    Query    SELECT * FROM vegetables
    IF    ${TRACED}
        ${span} =    Timeline Should Contain    sql    execute    sqlite3
        Should Be Equal    ${span.outcome}    error: OperationalError
        Should Be Equal    ${span.attributes}[statement]    SELECT * FROM vegetables
    END

Parameters Are Bound As DatabaseLibrary Binds Them
    VAR    @{parameters}    apple
    ${results} =    Query    SELECT stock FROM fruit WHERE name = ?    parameters=${parameters}
    Should Be Equal    ${results}[0][0]    ${7}
    IF    ${TRACED}
        ${span} =    Timeline Should Contain    sql    query    sqlite3
        Should Be Equal    ${span.attributes}[statement]    SELECT stock FROM fruit WHERE name = ?
    END

A Second Alias Is Its Own Target
    Connect To Database    sqlite3    database=${DB_FILE}    isolation_level=${None}    alias=reports
    ${results} =    Query    SELECT COUNT(*) FROM fruit    alias=reports
    Should Be Equal    ${results}[0][0]    ${2}
    IF    ${TRACED}
        ${span} =    Timeline Should Contain    sql    query    sqlite3 reports
        Should Be Equal    ${span.attributes}[alias]    reports
    END
    [Teardown]    Disconnect From Database    alias=reports

The Same On PostgreSQL
    ${url} =    Require Server    postgres
    Connect To Database Using Custom Connection String    psycopg    ${url}    alias=pg
    Execute Sql String    CREATE TABLE IF NOT EXISTS seamline_compat_fruit (name TEXT, stock INT)    alias=pg
    Execute Sql String    INSERT INTO seamline_compat_fruit VALUES ('apple', 7), ('pear', 3)    alias=pg
    Check Row Count    SELECT * FROM seamline_compat_fruit    ==    2    alias=pg
    Check Query Result    SELECT name FROM seamline_compat_fruit WHERE stock = 3    ==    pear    alias=pg
    IF    ${TRACED}    The PostgreSQL Statements Should Be Spans
    [Teardown]    Drop The PostgreSQL Table


*** Keywords ***
Connect To A Fresh SQLite File
    [Documentation]    The connection DatabaseLibrary's documentation shows for SQLite, to a table of two rows.
    Remove File    ${DB_FILE}
    VAR    ${TRACED}    ${{ $SEAMLINE == 'Seamline' }}    scope=SUITE    # robocop: off=VAR05
    Connect To Database    sqlite3    database=${DB_FILE}    isolation_level=${None}
    Execute Sql String    CREATE TABLE fruit (name TEXT, stock INTEGER)
    Execute Sql String    INSERT INTO fruit VALUES ('apple', 7), ('pear', 3)

The PostgreSQL Statements Should Be Spans
    [Documentation]    The insert changed two rows; the count read two.
    ${changes} =    Get Timeline    system=sql    operation=execute
    Should Be Equal    ${changes[1].target}    psycopg pg
    Should Be Equal    ${changes[1].attributes}[rows]    ${2}
    ${reads} =    Get Timeline    system=sql    operation=query
    Should Be Equal    ${reads[0].attributes}[rows]    ${2}

Drop The PostgreSQL Table
    [Documentation]    Leaves the shared test database as it was.
    Run Keyword And Ignore Error    Execute Sql String    DROP TABLE IF EXISTS seamline_compat_fruit    alias=pg
    Run Keyword And Ignore Error    Disconnect From Database    alias=pg
