*** Settings ***
Documentation     Secrets canary for the database keywords. tests/integration/test_database_secrets.py runs
...               it at TRACE with fresh secrets and checks that none reaches output.xml, log.html or the
...               console: passwords as ``Secret`` arguments, passwords inside URLs, ``Secret`` query
...               parameters, and failure messages that carry them.

Library           Seamline
Library           Servers

Suite Setup       Create Users With Passwords
Suite Teardown    Drop Users With Passwords

Test Tags         db


*** Variables ***
${DB_PASSWORD: Secret}            %{SEAMLINE_DB_CANARY_PASSWORD=db-canary-pw-5a1c}
${URL_PASSWORD_SECRET: Secret}    %{SEAMLINE_DB_CANARY_URL_PASSWORD=url-canary-pw-9d3e}
${URL_PASSWORD}                   %{SEAMLINE_DB_CANARY_URL_PASSWORD=url-canary-pw-9d3e}
${VALUE: Secret}                  %{SEAMLINE_DB_CANARY_VALUE=value-canary-7f2b}
${SECRET_USER}                    seam_secret_${{uuid.uuid4().hex[:8]}}
${URL_USER}                       seam_url_${{uuid.uuid4().hex[:8]}}
${MARIADB_BASE}                   %{SEAMLINE_MARIADB_URL=mysql://root@127.0.0.1:3306/test}


*** Test Cases ***
MariaDB Password As A Secret Argument
    Connect To Sql
    ...    ${{$MARIADB_BASE.replace('//root@', '//' + $SECRET_USER + '@')}}
    ...    alias=secret
    ...    password=${DB_PASSWORD}
    ${rows} =    Query Rows    SELECT CURRENT_USER() AS me    alias=secret
    Should Start With    ${rows}[0][me]    ${SECRET_USER}

MariaDB Password Inside The URL
    Connect To Sql    ${{$MARIADB_BASE.replace('//root@', '//' + $URL_USER + ':' + $URL_PASSWORD + '@')}}    alias=url
    ${rows} =    Query Rows    SELECT CURRENT_USER() AS me    alias=url
    Should Start With    ${rows}[0][me]    ${URL_USER}
    Log    connected with ${{$MARIADB_BASE.replace('//root@', '//' + $URL_USER + ':' + $URL_PASSWORD + '@')}}

Secret Query Parameters In Rows And Failures
    ${rows} =    Query Rows    SELECT ? AS value    ${VALUE}    alias=secret
    Log    ${rows}
    Run Keyword And Expect Error    REGEXP:(?s)SQL: statement failed on .*\\nParameters: \\['\\*\\*\\*'\\]
    ...    Query Rows    SELECT value FROM no_such_table_canary WHERE value = ?    ${VALUE}    alias=secret

A Wrong Password Fails Without Showing It
    Run Keyword And Expect Error
    ...    SQL: cannot connect to *Access denied for user*
    ...    Connect To Sql
    ...    ${{$MARIADB_BASE.replace('//root@', '//' + $SECRET_USER + '@')}}
    ...    alias=wrong
    ...    password=${VALUE}

PostgreSQL Password In The URL And As A Secret
    ${url} =    Require Server    postgres
    # The test server trusts local logins: the passwords are sent, and must still never be shown.
    Connect To Sql    ${url.replace('//postgres@', '//postgres:${URL_PASSWORD}@')}    alias=pg-url
    Connect To Sql    ${url}    alias=pg-secret    password=${DB_PASSWORD}
    Query Rows    SELECT 1 AS one    alias=pg-secret


*** Keywords ***
Create Users With Passwords
    [Documentation]    Two MariaDB users: one whose password is a Secret, one whose password is in a URL.
    Require Server    mariadb
    Connect To Sql    ${MARIADB_BASE}    alias=root
    Execute Sql    CREATE USER '${SECRET_USER}'@'127.0.0.1' IDENTIFIED BY ?    ${DB_PASSWORD}    alias=root
    Execute Sql    CREATE USER '${URL_USER}'@'127.0.0.1' IDENTIFIED BY ?    ${URL_PASSWORD_SECRET}    alias=root
    Execute Sql    GRANT SELECT ON test.* TO '${SECRET_USER}'@'127.0.0.1'    alias=root
    Execute Sql    GRANT SELECT ON test.* TO '${URL_USER}'@'127.0.0.1'    alias=root

Drop Users With Passwords
    [Documentation]    Removes the users `Create Users With Passwords` made.
    Execute Sql    DROP USER IF EXISTS '${SECRET_USER}'@'127.0.0.1'    alias=root
    Execute Sql    DROP USER IF EXISTS '${URL_USER}'@'127.0.0.1'    alias=root
