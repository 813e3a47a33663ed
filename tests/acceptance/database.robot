*** Settings ***
Documentation     Database keywords on SQLite: queries, rows, waits, snapshots, comparison, cleanup and
...               failures. database_servers.robot runs the same journey on PostgreSQL and MariaDB.

Library           Collections
Library           Seamline

Suite Setup       Create People Table
Suite Teardown    Disconnect From All Sql


*** Variables ***
${DB_FILE}    ${TEMPDIR}/seamline-acceptance-${{uuid.uuid4().hex[:8]}}.db
${DB_URL}     sqlite:///${DB_FILE}


*** Test Cases ***
Query Rows Returns Dictionaries With Bound Parameters
    ${rows} =    Query Rows    SELECT id, name, amount FROM people WHERE status = ? ORDER BY id    NEW
    Length Should Be    ${rows}    2
    Should Be Equal    ${rows}[0]    ${{{'id': 1, 'name': 'Ada', 'amount': 12.5}}}

Query Rows Binds A Quote As A Value, Not As SQL
    ${rows} =    Query Rows    SELECT * FROM people WHERE name = ?    x' OR '1'='1
    Should Be Empty    ${rows}

Query Rows Takes The Driver's Placeholders Too
    ${rows} =    Query Rows    SELECT id FROM people WHERE status = %s AND name LIKE 'A%%'    NEW
    Should Be Equal    ${rows}    ${{[{'id': 1}]}}
    VAR    &{named}    name=Bo    status=NEW
    ${rows} =    Query Rows    SELECT id FROM people WHERE name = %(name)s AND status = %(status)s    ${named}
    Should Be Equal    ${rows}    ${{[{'id': 2}]}}
    ${rows} =    Query Rows    SELECT id FROM people WHERE name = :name AND status = :status    ${named}
    Should Be Equal    ${rows}    ${{[{'id': 2}]}}
    ${rows} =    Query Rows    SELECT * FROM people WHERE name = %s    x' OR '1'='1
    Should Be Empty    ${rows}

Execute Sql Returns The Changed Row Count
    ${count} =    Execute Sql    UPDATE people SET note = ? WHERE status = ?    touched    NEW
    Should Be Equal As Integers    ${count}    2

Bad Sql Fails With The Statement
    Run Keyword And Expect Error
    ...    EQUALS:SQL: statement failed on ${DB_URL}: near "SELEC": syntax error\nStatement: SELEC name FROM people
    ...    Query Rows    SELEC name FROM people

Unknown Table Fails Naming It
    VAR    ${expected}
    ...    EQUALS:SQL: statement failed on ${DB_URL}: no such table: nobody
    ...    Statement: SELECT * FROM nobody WHERE id = ?
    ...    Parameters: [1]
    ...    separator=\n
    Run Keyword And Expect Error    ${expected}    Query Rows    SELECT * FROM nobody WHERE id = ?    ${1}
    ${rows} =    Query Rows    SELECT count(*) AS n FROM people
    Should Be Equal    ${rows}[0][n]    ${3}

Unknown Alias Names The Opener Keyword
    Run Keyword And Expect Error
    ...    SQL: no 'reports' connection (open: default); open one with `Connect To Sql`
    ...    Query Rows    SELECT 1    alias=reports

Switch Sql Fails For An Unknown Alias
    Run Keyword And Expect Error
    ...    SQL: no 'reprots' connection (open: default); open one with `Connect To Sql`
    ...    Switch Sql    reprots
    Query Rows    SELECT 1

Switch Sql Matches Aliases Like Robot's Connection Cache
    Connect To Sql    ${DB_URL}    alias=Report Db
    Switch Sql    default
    ${rows} =    Query Rows    SELECT 1 AS one    alias=report_db
    Should Be Equal    ${rows}    ${{[{'one': 1}]}}
    Switch Sql    REPORT DB
    Disconnect From Sql
    Run Keyword And Expect Error
    ...    SQL: no 'reportdb' connection (open: default); open one with `Connect To Sql`
    ...    Query Rows    SELECT 1    alias=reportdb
    [Teardown]    Switch Sql    default

Disconnect From All Sql Closes Every Connection
    Connect To Sql    ${DB_URL}    alias=first
    Connect To Sql    ${DB_URL}    alias=second
    Disconnect From All Sql
    Run Keyword And Expect Error
    ...    SQL: no 'first' connection (open: none); open one with `Connect To Sql`
    ...    Query Rows    SELECT 1    alias=first
    Disconnect From All Sql
    [Teardown]    Connect To Sql    ${DB_URL}    timeout=5s

Disconnect From Sql Fails For An Unknown Alias And Keeps The Connection
    Run Keyword And Expect Error
    ...    SQL: no 'defualt' connection to close (open: default)
    ...    Disconnect From Sql    defualt
    Query Rows    SELECT 1    alias=default

Row Should Exist Returns The Row
    ${row} =    Row Should Exist    people    name=Ada    status=NEW
    Should Be Equal    ${row}[id]    ${1}

Row Should Exist Fails Showing The Closest Rows
    VAR    ${expected}
    ...    SQL: no row of people has name=Ada and status=PAID. Closest rows:
    ...    ${SPACE*2}id=1, name=Ada, status=NEW, amount=12.5, created_at=2024-05-01 10:00:00.123456, note=touched${SPACE*2}(differs: status)
    ...    ${SPACE*2}id=3, name=Cy, status=PAID, amount=7, created_at=2024-05-03 09:30:00, note=None${SPACE*2}(differs: name)
    ...    separator=\n
    Run Keyword And Expect Error    EQUALS:${expected}    Row Should Exist    people    name=Ada    status=PAID

Assertions Take Msg
    Run Keyword And Expect Error    EQUALS:no Zed    Row Should Exist    people    name=Zed    msg=no Zed
    Run Keyword And Expect Error    EQUALS:Cy paid    Row Should Not Exist    people    status=PAID    msg=Cy paid
    Run Keyword And Expect Error    EQUALS:not there in time
    ...    Wait Until Row Exists    people    timeout=200ms    name=Zed    msg=not there in time
    Run Keyword And Expect Error
    ...    EQUALS:terminal
    ...    Wait Until Row Exists
    ...    people
    ...    timeout=5s
    ...    fail_on=status=PAID
    ...    name=Cy
    ...    status=NEW
    ...    msg=terminal
    ${row} =    Row Should Exist    people    id=${1}
    Run Keyword And Expect Error    EQUALS:not Ann    Row Should Match    ${row}    {"name": "Ann"}    msg=not Ann
    ${before} =    Take Table Snapshot    people
    Execute Sql    UPDATE people SET amount = ? WHERE id = ?    99    ${1}
    Run Keyword And Expect Error    EQUALS:people changed
    ...    Table Should Be Unchanged Since    ${before}    msg=people changed
    [Teardown]    Execute Sql    UPDATE people SET amount = ? WHERE id = ?    12.50    ${1}

Row Should Exist Compares Values By Meaning
    ${row} =    Row Should Exist    people    id=1    created_at=2024-05-01T12:00:00.123456+02:00
    Should Be Equal    ${row}[name]    Ada
    VAR    ${expected}
    ...    SQL: expected no row of people with id=1 and created_at=2024-05-01T10:00:00.123456Z, found:
    ...    ${SPACE*2}id=1, name=Ada, status=NEW, amount=12.5, created_at=2024-05-01 10:00:00.123456, note=*
    ...    separator=\n
    Run Keyword And Expect Error    ${expected}
    ...    Row Should Not Exist    people    id=1    created_at=2024-05-01T10:00:00.123456Z

Row Should Exist With No Near Row Says So
    Run Keyword And Expect Error
    ...    SQL: no row of people has name=Zed, nor any row with one of these values
    ...    Row Should Exist    people    name=Zed

An Unknown Column Fails At Once, Also When Waiting
    VAR    ${failed}    EQUALS:SQL: statement failed on ${DB_URL}: no such column: colour
    Run Keyword And Expect Error
    ...    ${failed}\nStatement: SELECT * FROM `people` WHERE `colour` = ? LIMIT 100\nParameters: ['red']
    ...    Row Should Exist
    ...    people
    ...    colour=red
    Run Keyword And Expect Error
    ...    ${failed}\nStatement: SELECT * FROM `people` WHERE `colour` = ? LIMIT 100\nParameters: ['red']
    ...    Wait Until Row Exists
    ...    people
    ...    timeout=5s
    ...    colour=red

Row Should Not Exist Passes And Fails
    Row Should Not Exist    people    name=Ada    status=PAID
    VAR    ${expected}
    ...    SQL: expected no row of people with status=PAID, found:
    ...    ${SPACE*2}id=3, name=Cy, status=PAID, amount=7, created_at=2024-05-03 09:30:00, note=None
    ...    separator=\n
    Run Keyword And Expect Error    EQUALS:${expected}    Row Should Not Exist    people    status=PAID

Wait Until Row Exists Returns A Row That Is There
    ${row} =    Wait Until Row Exists    people    timeout=2s    name=Cy    status=PAID
    Should Be Equal    ${row}[id]    ${3}

Wait Until Row Exists Stops At A Terminal State
    VAR    ${expected}
    ...    SQL: row of people reached a terminal state (status=PAID or status=CANCELLED) after *s while waiting for
    ...    id=3 and status=NEW: id=3, name=Cy, status=PAID*
    ...    separator=${SPACE}
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Row Exists    people    timeout=5s    fail_on=status=PAID|CANCELLED    id=${3}    status=NEW

Wait Until Row Exists Times Out Showing The Closest Row
    VAR    ${expected}
    ...    SQL: within 0.3s no row of people has id=3 and status=NEW. Closest rows:
    ...    ${SPACE*2}id=3, name=Cy, status=PAID, amount=7, created_at=2024-05-03 09:30:00, note=None${SPACE*2}(differs: status)
    ...    ${SPACE*2}id=1, name=Ada, status=NEW, amount=12.5, created_at=2024-05-01 10:00:00.123456, note=touched${SPACE*2}(differs: id)
    ...    ${SPACE*2}id=2, name=Bo, status=NEW, amount=3.25, created_at=2024-05-02 08:00:00, note=touched${SPACE*2}(differs: id)
    ...    separator=\n
    Run Keyword And Expect Error    EQUALS:${expected}
    ...    Wait Until Row Exists    people    timeout=300ms    id=${3}    status=NEW

Table Changes Since A Snapshot Lists Inserted, Updated And Deleted Rows
    ${before} =    Take Table Snapshot    people
    Insert, Update And Delete One Person Each
    ${changes} =    Table Changes Since    ${before}
    Should Be Equal    ${changes}[summary]    1 inserted, 1 updated, 1 deleted
    Should Be Equal    ${changes}[inserted][0][name]    Dee
    Should Be Equal    ${changes}[updated][0][key]    ${{{'id': 2}}}
    Should Be Equal    ${changes}[updated][0][changed]    ${{['amount', 'status']}}
    Should Be Equal    ${changes}[updated][0][changes][status]    ${{{'before': 'NEW', 'after': 'PAID'}}}
    Should Be Equal    ${changes}[deleted][0][id]    ${3}
    [Teardown]    Reset People

Table Should Be Unchanged Since Passes And Fails With The Changes
    ${before} =    Take Table Snapshot    people    key=name,status    status=NEW
    Table Should Be Unchanged Since    ${before}
    Execute Sql    UPDATE people SET amount = ? WHERE id = ?    99    ${1}
    VAR    ${expected}
    ...    SQL: expected people unchanged, but 0 inserted, 1 updated, 0 deleted:
    ...    ${SPACE*2}updated: name=Ada, status=NEW: amount 12.5 -> 99
    ...    separator=\n
    Run Keyword And Expect Error    EQUALS:${expected}    Table Should Be Unchanged Since    ${before}
    [Teardown]    Reset People

Changes In Ignored Columns Do Not Count
    ${before} =    Take Table Snapshot    people
    Execute Sql    UPDATE people SET note = ? WHERE id = ?    bookkeeping    ${3}
    Table Should Be Unchanged Since    ${before}    ignore=note
    ${changes} =    Table Changes Since    ${before}    ignore=note,amount
    Should Be Equal    ${changes}[summary]    0 inserted, 0 updated, 0 deleted
    ${changes} =    Table Changes Since    ${before}
    Should Be Equal    ${changes}[summary]    0 inserted, 1 updated, 0 deleted
    [Teardown]    Reset People

Table Changes Since Needs A Snapshot
    Run Keyword And Expect Error
    ...    SQL: expected a snapshot from `Take Table Snapshot`, got str 'people'
    ...    Table Changes Since    people

Table Changes Since Reads The Snapshot's Own Connection
    Connect To Sql    ${DB_URL}    alias=snapshots
    Switch Sql    default
    ${before} =    Take Table Snapshot    people    alias=snapshots
    Disconnect From Sql    snapshots
    Run Keyword And Expect Error
    ...    SQL: no 'snapshots' connection (open: default); open one with `Connect To Sql`
    ...    Table Changes Since    ${before}

Snapshot With A Key That Is Not Unique Fails
    Run Keyword And Expect Error
    ...    SQL: key (status) is not unique in people: ('NEW',) appears twice; give a unique key
    ...    Take Table Snapshot    people    key=status

Row Should Match Compares Types By Meaning
    ${row} =    Row Should Exist    people    id=${1}
    VAR    &{api}    order_id=1    name=Ada    amount=12.50    created=2024-05-01T12:00:00.123+02:00    links=x
    Row Should Match    ${row}    ${api}    mapping={'order_id': 'id', 'created': 'created_at', 'links': ''}

Row Should Match Fails Listing Each Differing Field
    ${row} =    Row Should Exist    people    id=${1}
    VAR    ${expected}
    ...    SQL: row differs from the expected object in 2 fields:
    ...    ${SPACE*2}name: row has 'Ada', expected 'Ann'
    ...    ${SPACE*2}total: row has 12.5 (column amount), expected '12.49'
    ...    separator=\n
    Run Keyword And Expect Error
    ...    EQUALS:${expected}
    ...    Row Should Match
    ...    ${row}
    ...    {"name": "Ann", "total": "12.49", "status": "NEW"}
    ...    mapping={'total': 'amount'}

Row Should Match Needs A Common Field
    ${row} =    Row Should Exist    people    id=${1}
    VAR    ${expected}
    ...    SQL: no field of the expected object (colour) names a column of the row
    ...    (id, name, status, amount, created_at, note); give a mapping
    ...    separator=${SPACE}
    Run Keyword And Expect Error    EQUALS:${expected}    Row Should Match    ${row}    {"colour": "red"}

Delete Rows On Teardown Registers A Cleanup
    Execute Sql    INSERT INTO people (id, name, status) VALUES (?, ?, ?)    ${20}    Temp    NEW
    Delete Rows On Teardown    people    name=Temp
    Row Should Exist    people    name=Temp

Rows Registered For Deletion Are Gone After The Test
    Row Should Not Exist    people    name=Temp

Delete Rows On Teardown Refuses To Empty A Table
    Run Keyword And Expect Error
    ...    SQL: refusing to delete every row of people: give at least one column=value
    ...    Delete Rows On Teardown    people

A Held Write Lock Times Out And The Connection Stays Usable
    Connect To Sql    ${DB_URL}    alias=locker
    Execute Sql    BEGIN IMMEDIATE    alias=locker
    Connect To Sql    ${DB_URL}    alias=writer    timeout=300ms
    VAR    ${expected}
    ...    EQUALS:SQL: statement did not finish within 0.3s on ${DB_URL}: database is locked
    ...    Statement: UPDATE people SET note = ?
    ...    Parameters: ['x']
    ...    separator=\n
    Run Keyword And Expect Error    ${expected}    Execute Sql    UPDATE people SET note = ?    x    alias=writer
    Execute Sql    ROLLBACK    alias=locker
    ${count} =    Execute Sql    UPDATE people SET note = ? WHERE id = ?    y    ${1}    alias=writer
    Should Be Equal    ${count}    ${1}
    [Teardown]    Close Extra Connections    locker    writer

A Missing Database File Directory Fails Clearly
    Run Keyword And Expect Error
    ...    SQL: cannot connect to sqlite:////nonexistent-dir/x.db: unable to open database file
    ...    Connect To Sql    sqlite:////nonexistent-dir/x.db    alias=missing

A Url With Options Fails Clearly
    Run Keyword And Expect Error
    ...    SQL: sqlite URLs take no options: sqlite:///${DB_FILE}?mode=ro
    ...    Connect To Sql    sqlite:///${DB_FILE}?mode=ro    alias=ro

Snapshots Compare Values By Meaning
    ${before} =    Take Table Snapshot    people
    Execute Sql    UPDATE people SET amount = ? WHERE id = ?    12.50    ${1}
    Table Should Be Unchanged Since    ${before}
    [Teardown]    Reset People

An Unsupported Url Fails Clearly
    Run Keyword And Expect Error
    ...    SQL: unsupported database URL 'oracle://scott:***@db/orcl': expected sqlite:///path, postgresql://user@host:port/db or mysql://user@host:port/db
    ...    Connect To Sql
    ...    oracle://scott:tiger@db/orcl
    ...    alias=oracle

Every Statement Is A Span Of The Timeline
    Query Rows    SELECT 1 AS one
    ${spans} =    Get Timeline    system=sql
    Should Be Equal    ${spans[-1].operation}    query
    Should Be Equal    ${spans[-1].attributes}[statement]    SELECT 1 AS one


*** Keywords ***
Create People Table
    [Documentation]    Connects to a new SQLite file and creates the ``people`` table the tests read.
    Connect To Sql    ${DB_URL}    timeout=5s
    Execute Sql
    ...    CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, status TEXT, amount NUMERIC(12,2), created_at TEXT, note TEXT)
    Reset People

Reset People
    [Documentation]    Puts the three known rows back, whatever a test changed.
    Execute Sql    DELETE FROM people
    Execute Sql
    ...    INSERT INTO people (id, name, status, amount, created_at) VALUES (1, 'Ada', 'NEW', 12.50, '2024-05-01 10:00:00.123456')
    Execute Sql
    ...    INSERT INTO people (id, name, status, amount, created_at) VALUES (2, 'Bo', 'NEW', 3.25, '2024-05-02 08:00:00')
    Execute Sql
    ...    INSERT INTO people (id, name, status, amount, created_at) VALUES (3, 'Cy', 'PAID', 7, '2024-05-03 09:30:00')

Insert, Update And Delete One Person Each
    [Documentation]    Dee (10) is inserted, Bo (2) paid 13.00, Cy (3) deleted.
    Execute Sql    INSERT INTO people (id, name, status, amount) VALUES (?, ?, ?, ?)    ${10}    Dee    NEW    1.50
    Execute Sql    UPDATE people SET status = ?, amount = ? WHERE id = ?    PAID    13.00    ${2}
    Execute Sql    DELETE FROM people WHERE id = ?    ${3}

Close Extra Connections
    [Documentation]    Closes the given connections and makes ``default`` current again.
    [Arguments]    @{aliases}
    FOR    ${alias}    IN    @{aliases}
        Disconnect From Sql    ${alias}
    END
    Switch Sql    default
