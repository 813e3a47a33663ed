*** Settings ***
Documentation    The database keywords on PostgreSQL and MariaDB: the same journey on each, plus the
...              failures only a server shows (timeouts, unknown users, a database that is down).
...              Each test works in its own table and drops it.

Library          Seamline
Library          Servers

Test Template    Data Journey On

Test Tags        db


*** Test Cases ***    SERVER
Journey On PostgreSQL    postgres
Journey On MariaDB    mariadb
A Database That Is Down Fails Clearly
    [Template]    NONE
    ${port} =    Evaluate    (s := socket.socket(), s.bind(('127.0.0.1', 0)), s.getsockname()[1], s.close())[2]
    Run Keyword And Expect Error
    ...    SQL: cannot connect to postgresql://postgres@127.0.0.1:${port}/test: connection failed: *Connection refused*
    ...    Connect To Sql    postgresql://postgres@127.0.0.1:${port}/test    alias=down    timeout=2s
    Run Keyword And Expect Error
    ...    SQL: cannot connect to mysql://root:***@127.0.0.1:${port}/test: (2003) Can't connect to MySQL server on '127.0.0.1' (*)
    ...    Connect To Sql
    ...    mysql://root:not-the-pw@127.0.0.1:${port}/test
    ...    alias=down
    ...    timeout=2s
PostgreSQL Url Options Reach libpq
    [Template]    NONE
    ${postgres} =    Require Server    postgres
    Connect To Sql    ${postgres}?application_name=seamline_acceptance&sslmode=disable    alias=options
    ${rows} =    Query Rows    SELECT current_setting('application_name') AS app
    Should Be Equal    ${rows}[0][app]    seamline_acceptance
    [Teardown]    Disconnect From All Sql
MariaDB Url Options Reach PyMySQL
    [Template]    NONE
    ${mariadb} =    Require Server    mariadb
    Connect To Sql    ${mariadb}?charset=latin1    alias=options
    ${rows} =    Query Rows    SELECT @@character_set_client AS cs
    Should Be Equal    ${rows}[0][cs]    latin1
    [Teardown]    Disconnect From All Sql
An Unknown Url Option Is Refused Listing The Supported Ones
    [Template]    NONE
    ${mariadb} =    Require Server    mariadb
    VAR    ${supported}
    ...    bind_address, charset, collation, connect_timeout, init_command, local_infile, max_allowed_packet,
    ...    program_name, read_timeout, sql_mode, ssl_ca, ssl_cert, ssl_disabled, ssl_key, ssl_verify_cert,
    ...    ssl_verify_identity, unix_socket, write_timeout
    ...    separator=${SPACE}
    Run Keyword And Expect Error
    ...    EQUALS:SQL: unknown option bogus_option in ${mariadb}?bogus_option=1; the mysql driver takes: ${supported}
    ...    Connect To Sql    ${mariadb}?bogus_option=1    alias=bogus
An Unknown PostgreSQL User Fails Clearly
    [Template]    NONE
    ${url} =    Require Server    postgres
    VAR    ${nobody}    ${{$url.replace('//postgres@', '//nobody_seamline@')}}
    Run Keyword And Expect Error
    ...    SQL: cannot connect to ${nobody}: connection failed: *role "nobody_seamline" does not exist
    ...    Connect To Sql    ${nobody}    alias=nobody


*** Keywords ***
Data Journey On
    [Documentation]    Creates a table of its own on ``server``, runs the keywords through it and drops it.
    [Arguments]    ${server}
    ${url} =    Require Server    ${server}
    Connect To Sql    ${url}    alias=${server}    timeout=1s
    VAR    ${table}    items_${{uuid.uuid4().hex[:10]}}
    Execute Sql
    ...    CREATE TABLE ${table} (id INTEGER PRIMARY KEY, name VARCHAR(40), amount NUMERIC(12,2), status VARCHAR(16))
    TRY
        Rows Come Back As Plain Values    ${table}
        Changes, Waits And Matches Work    ${table}
        Failures Are Clear And The Connection Stays Usable    ${table}    ${server}    ${url}
    FINALLY
        Execute Sql    DROP TABLE ${table}
        Disconnect From Sql    ${server}
    END

Rows Come Back As Plain Values
    [Documentation]    A NUMERIC comes back as a Decimal, whatever the driver.
    [Arguments]    ${table}
    Execute Sql    INSERT INTO ${table} VALUES (?, ?, ?, ?)    ${1}    Ada    12.50    NEW
    ${rows} =    Query Rows    SELECT name, amount FROM ${table} WHERE id = ?    ${1}
    Should Be Equal    ${rows}    ${{[{'name': 'Ada', 'amount': decimal.Decimal('12.50')}]}}

Changes, Waits And Matches Work
    [Documentation]    A snapshot sees the update; the wait finds the row; the row matches its JSON.
    [Arguments]    ${table}
    ${before} =    Take Table Snapshot    ${table}
    Execute Sql    UPDATE ${table} SET status = ? WHERE id = ?    CANCELLED    ${1}
    ${changes} =    Table Changes Since    ${before}
    Should Be Equal    ${changes}[updated][0][changed]    ${{['status']}}
    ${row} =    Wait Until Row Exists
    ...    ${table}
    ...    timeout=2s
    ...    fail_on=status=REJECTED
    ...    id=${1}
    ...    status=CANCELLED
    Row Should Match    ${row}    {"id": "1", "name": "Ada", "amount": 12.5, "status": "CANCELLED"}

Failures Are Clear And The Connection Stays Usable
    [Documentation]    A missing row shows the closest; a hanging query stops at the 1s timeout.
    [Arguments]    ${table}    ${server}    ${url}
    Run Keyword And Expect Error
    ...    SQL: no row of ${table} has name=Ada and status=NEW. Closest rows:*(differs: status)
    ...    Row Should Exist
    ...    ${table}
    ...    name=Ada
    ...    status=NEW
    VAR    ${sleep}    ${{'SELECT pg_sleep(3)' if $server == 'postgres' else 'SELECT SLEEP(3)'}}
    Run Keyword And Expect Error    SQL: statement did not finish within 1s on ${url}: *    Query Rows    ${sleep}
    ${rows} =    Query Rows    SELECT count(*) AS n FROM ${table}
    Should Be Equal As Integers    ${rows}[0][n]    1
