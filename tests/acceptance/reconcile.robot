*** Settings ***
Documentation     Reconciliation keywords on sources that are not orderflow: a hand-made SQLite file, CSV, JSON
...               lines and JSON files, a paged test API, an SQLite outbox's captured messages, and files read over
...               SFTP from OpenSSH's sshd. Every failure is checked for its exact message.

Library           Collections
Library           OperatingSystem
Library           ApiTestServers
Library           Servers
Library           SshServer
Library           Seamline    layouts=${LAYOUTS}

Suite Setup       Prepare Sources
Suite Teardown    Clean Up Sources

Test Tags         reconcile


*** Variables ***
${LAYOUTS}     ${CURDIR}${/}..${/}..${/}resources${/}layouts
${DIR}         ${TEMPDIR}${/}seamline-reconcile-${{uuid.uuid4().hex[:8]}}
${DB_URL}      sqlite:///${DIR}/shop.db
${ORDERS}      sql:shop:SELECT id, customer, amount FROM orders ORDER BY id
${AGREEING}    ${{[{"id": 1, "customer": "Ada", "amount": "12.50"}, {"id": 2, "customer": "Bo", "amount": "7"}]}}


*** Test Cases ***
Rows From SQL And A List Agree By The One Comparison Rule
    ${result} =    Reconcile    ${ORDERS}    ${AGREEING}    key=id
    Should Be True    ${result}[consistent]
    Should Be Equal As Integers    ${result}[matched]    2
    Should Be Equal    ${result}[fields]    ${{["customer", "amount"]}}

Reconcile Reports Each Kind Of Difference With Its Key
    VAR    @{right}
    ...    ${{{"id": 1, "customer": "Ada", "amount": "12.60"}}}
    ...    ${{{"id": 3, "customer": "Cy", "amount": 1}}}
    ...    ${{{"id": 3, "customer": "Cy", "amount": 1}}}
    ${result} =    Reconcile    ${ORDERS}    ${right}    key=id    name=orders vs export
    Should Be Equal
    ...    ${result}[mismatches]
    ...    ${{[{"key": {"id": 1}, "field": "amount", "left": 12.5, "right": "12.60"}]}}
    Should Be Equal    ${result}[missing_right]    ${{[{"id": 2}]}}
    Should Be Equal    ${result}[missing_left]    ${{[{"id": 3}]}}
    Should Be Equal    ${result}[duplicates_right]    ${{[{"id": 3}]}}
    VAR    ${summary}    orders vs export: 2 left rows, 3 right rows by id: 0 matched, 1 with different fields,
    ...    1 missing on the right, 1 missing on the left, 1 duplicated on the right
    Should Be Equal    ${result}[summary]    ${summary}

Data Should Be Consistent Fails With Counts And Samples
    VAR    @{right}
    ...    ${{{"id": 1, "customer": "Ada", "amount": "12.50"}}}
    ...    ${{{"id": 2, "customer": "Bob", "amount": 7}}}
    VAR    ${expected}
    ...    EQUALS:Reconcile: orders: 2 left rows, 2 right rows by id: 1 matched, 1 with different${SPACE}
    ...    fields\ndifferent: id=2 customer: Bo != Bob
    ...    separator=
    Run Keyword And Expect Error    ${expected}
    ...    Data Should Be Consistent
    ...    ${ORDERS}
    ...    ${right}
    ...    key=id
    ...    name=orders
    Run Keyword And Expect Error    customers differ
    ...    Data Should Be Consistent    ${ORDERS}    ${right}    msg=customers differ
    Data Should Be Consistent    ${ORDERS}    ${right}    ignore=customer

Tolerances Normalisers And Renames Apply Per Field
    VAR    @{v2}
    ...    ${{{"id": 1, "customer": " ADA ", "total": "12.505"}}}
    ...    ${{{"id": 2, "customer": "bo", "total": 7.004}}}
    Data Should Be Consistent    ${ORDERS}    ${v2}    rename=total=amount    tolerance=amount=0.01
    ...    normalise=customer=trim|case
    VAR    ${expected}
    ...    EQUALS:Reconcile: reconciliation: 2 left rows, 2 right rows by id: 0 matched, 2 with different${SPACE}
    ...    fields\ndifferent: id=1 amount: 12.5 != (no such field); id=2 amount: 7 != (no such field)
    ...    separator=
    Run Keyword And Expect Error    ${expected}
    ...    Data Should Be Consistent
    ...    ${ORDERS}
    ...    ${v2}
    ...    fields=amount

Files In CSV, JSON Lines, JSON And A Record Layout Are Sources
    Data Should Be Consistent    ${ORDERS}    file:${DIR}/orders.csv
    Data Should Be Consistent    ${ORDERS}    file:${DIR}/orders.jsonl
    Data Should Be Consistent    ${ORDERS}    file:${DIR}/orders.json
    Data Should Be Consistent    ${ORDERS}    file:${DIR}/orders.txt:csv
    Data Should Be Consistent    file:${DIR}/batch.dat:settlement    ${ORDERS}    key=order_id    rename=id=order_id
    ...    fields=customer,amount

Composite Keys Of Mixed Types Match
    VAR    @{left}    ${{{"sku": "A", "day": "2026-11-24", "n": 1}}}    ${{{"sku": "A", "day": "2026-11-25", "n": 2}}}
    VAR    @{right}    ${{{"sku": "A", "day": datetime.date(2026, 11, 25), "n": "2"}}}
    ...    ${{{"sku": "A", "day": datetime.date(2026, 11, 24), "n": 1.0}}}
    Data Should Be Consistent    ${left}    ${right}    key=sku,day

Every Page Of An Api Listing Is A Source
    ${url} =    Start Json Test Server
    Connect To Api    ${url}    alias=listing
    ${rows} =    Evaluate    [{"id": n} for n in range(1, 8)]
    Data Should Be Consistent    api:listing:/pages    ${rows}
    VAR    ${expected}
    ...    EQUALS:Reconcile: reconciliation: 7 left rows, 6 right rows by id: 6 matched, 1 missing on the${SPACE}
    ...    right\nmissing on the right: id=7
    ...    separator=
    Run Keyword And Expect Error    ${expected}
    ...    Data Should Be Consistent
    ...    api:listing:/pages
    ...    ${rows}[:6]
    [Teardown]    Disconnect From Api    listing

Captured Messages Are A Source Of Their Payloads
    Connect To Broker    outbox+${DB_URL}#outbox    alias=outbox
    Start Capturing Messages    alias=outbox
    Publish Message
    ...    ${EMPTY}
    ...    order.created
    ...    ${{{"id": 1, "customer": "Ada", "amount": "12.50"}}}
    ...    alias=outbox
    Publish Message    ${EMPTY}    order.created    ${{{"id": 2, "customer": "Bo", "amount": 7}}}    alias=outbox
    Wait For Message    order.created    payload.id=2    alias=outbox
    Data Should Be Consistent    ${ORDERS}    messages:outbox:order.created
    [Teardown]    Disconnect From Broker    outbox

Files Over Sftp Are A Source, A Glob Reads Every Match
    ${server} =    Start Test Sshd
    Connect To Ssh    ${server.host}    ${server.port}    ${server.user}    password=${server.password}
    ...    known_hosts=${server.known_hosts}    alias=sshd
    Copy File    ${DIR}/orders.csv    ${server.work_dir}/part-1.csv
    Data Should Be Consistent    ${ORDERS}    sftp:sshd:${server.work_dir}/part-*.csv:csv
    Copy File    ${DIR}/orders.csv    ${server.work_dir}/part-2.csv
    VAR    ${expected}
    ...    EQUALS:Reconcile: reconciliation: 2 left rows, 4 right rows by id: 2 matched, 2 duplicated on the${SPACE}
    ...    right\nduplicated on the right: id=1; id=2
    ...    separator=
    Run Keyword And Expect Error    ${expected}
    ...    Data Should Be Consistent
    ...    ${ORDERS}
    ...    sftp:sshd:${server.work_dir}/part-*.csv:csv
    [Teardown]    Run Keywords    Disconnect From Ssh    sshd    AND    Stop Test Sshd

Wait Until Consistent Waits For The Sources To Agree
    Execute Sql    DELETE FROM late    alias=shop
    Execute Sql    INSERT INTO late SELECT * FROM orders WHERE id = 1    alias=shop
    VAR    ${expected}
    ...    EQUALS:Reconcile: not consistent within 0.3s: reconciliation: 2 left rows, 1 right rows by id: 1${SPACE}
    ...    matched, 1 missing on the right\nmissing on the right: id=2
    ...    separator=
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Consistent
    ...    ${ORDERS}
    ...    sql::SELECT * FROM late
    ...    timeout=0.3s
    ...    interval=100ms
    Execute Sql    INSERT INTO late SELECT * FROM orders WHERE id = 2    alias=shop
    ${result} =    Wait Until Consistent    ${ORDERS}    sql::SELECT * FROM late    timeout=5s
    Should Be True    0 <= ${result}[seconds] < 5

Measure Time To Detect Returns How Long A Difference Took To Show
    Execute Sql    DELETE FROM late    alias=shop
    Execute Sql    INSERT INTO late SELECT * FROM orders    alias=shop
    VAR    @{action}    UPDATE late SET amount = 99 WHERE id = 2    alias=shop
    ${seconds} =    Measure Time To Detect    Execute Sql    ${ORDERS}    sql::SELECT * FROM late
    ...    action_args=${action}    name=late copy    timeout=5s
    Should Be True    0 <= ${seconds} < 5
    VAR    ${expected}
    ...    EQUALS:Reconcile: the sources disagree before No Operation, nothing to detect: reconciliation: 2 left${SPACE}
    ...    rows, 2 right rows by id: 1 matched, 1 with different fields\ndifferent: id=2 amount: 7 != 99
    ...    separator=
    Run Keyword And Expect Error    ${expected}
    ...    Measure Time To Detect
    ...    No Operation
    ...    ${ORDERS}
    ...    sql::SELECT * FROM late
    Execute Sql    UPDATE late SET amount = 7 WHERE id = 2    alias=shop
    Run Keyword And Expect Error
    ...    Reconcile: nothing changes: no difference found within 0.3s after No Operation
    ...    Measure Time To Detect    No Operation    ${ORDERS}    sql::SELECT * FROM late    name=nothing changes
    ...    timeout=0.3s

Reconcile Tables Compares Checksums And Reads Only Differing Segments
    Execute Sql    DELETE FROM late    alias=shop
    Execute Sql    INSERT INTO late SELECT * FROM orders    alias=shop
    ${same} =    Reconcile Tables    shop    orders    shop    late
    Should Be True    ${same}[consistent]
    Should Be Equal As Integers    ${same}[rows_read]    0
    Execute Sql    UPDATE late SET customer = 'Ann' WHERE id = 1    alias=shop
    ${result} =    Reconcile Tables    shop    orders    shop    SELECT id, customer FROM late    columns=customer
    Should Be Equal
    ...    ${result}[mismatches]
    ...    ${{[{"key": {"id": 1}, "field": "customer", "left": "Ada", "right": "Ann"}]}}
    Should Be Equal
    ...    ${result}[summary]
    ...    orders vs SELECT id, customer FROM late: 2 left rows, 2 right rows by id: 1 matched, 1 with different fields
    Run Keyword And Expect Error    EQUALS:Reconcile: orders has no column price on sqlite:///${DIR}/shop.db
    ...    Reconcile Tables    shop    orders    shop    late    columns=price

Bad Sources Fail Clearly
    Run Keyword And Expect Error
    ...    Reconcile: 'ftp:x' is no source: give rows, or sql:, api:, file:, sftp: or messages:
    ...    Reconcile    ftp:x    ${AGREEING}
    VAR    ${expected}
    ...    EQUALS:Reconcile: source 'sftp:ledger:/a.dat' should be sftp:<alias>:<path>:<layout> (csv, jsonl,${SPACE}
    ...    json or a layout)
    ...    separator=
    Run Keyword And Expect Error    ${expected}
    ...    Reconcile    sftp:ledger:/a.dat    ${AGREEING}
    VAR    ${expected}
    ...    EQUALS:Reconcile: cannot tell the format of ${DIR}/orders.txt: add :csv, :jsonl, :json or a record${SPACE}
    ...    layout (file:${DIR}/orders.txt:csv)
    ...    separator=
    Run Keyword And Expect Error    ${expected}
    ...    Reconcile
    ...    file:${DIR}/orders.txt
    ...    ${AGREEING}

Bad Arguments Fail Clearly
    Run Keyword And Expect Error
    ...    Reconcile: a row has no key field 'order_id' (its fields: id, customer, amount)
    ...    Reconcile    ${ORDERS}    ${AGREEING}    key=order_id
    VAR    ${expected}
    ...    EQUALS:Reconcile: normaliser 'upper' of customer is not one of: trim, case, decimals:<places>,${SPACE}
    ...    timezone:<zone> (Europe/Paris, UTC, +02:00)
    ...    separator=
    Run Keyword And Expect Error    ${expected}
    ...    Reconcile
    ...    ${ORDERS}
    ...    ${AGREEING}
    ...    normalise=customer=upper
    Run Keyword And Expect Error
    ...    EQUALS:Reconcile: a data set is a list of dictionaries or a source spec, got [1, 2]
    ...    Reconcile    ${ORDERS}    ${{[1, 2]}}


*** Keywords ***
Prepare Sources
    [Documentation]    A SQLite shop with two orders, and the same orders in files of every format.
    Create Directory    ${DIR}
    Connect To Sql    ${DB_URL}    alias=shop
    Execute Sql    CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, amount NUMERIC(12, 2))
    Execute Sql    CREATE TABLE late (id INTEGER PRIMARY KEY, customer TEXT, amount NUMERIC(12, 2))
    Execute Sql    INSERT INTO orders VALUES (1, 'Ada', 12.50), (2, 'Bo', 7.00)
    VAR    ${outbox}    CREATE TABLE outbox (position INTEGER PRIMARY KEY AUTOINCREMENT,
    ...    message_id VARCHAR(36) NOT NULL UNIQUE, type VARCHAR(64) NOT NULL, version INTEGER NOT NULL,
    ...    occurred_at TIMESTAMP NOT NULL, correlation_id VARCHAR(64) NOT NULL, payload TEXT NOT NULL,
    ...    published_at TIMESTAMP)
    Execute Sql    ${outbox}
    Write Orders In Every Format

Write Orders In Every Format
    [Documentation]    The shop's orders as CSV, JSON lines, JSON and a settlement batch.
    Create File    ${DIR}/orders.csv    id,customer,amount\n1,Ada,12.50\n2,Bo,7.00\n
    Create File    ${DIR}/orders.txt    id,customer,amount\n2,Bo,7\n1,Ada,12.5\n
    Create File
    ...    ${DIR}/orders.jsonl
    ...    {"id": 2, "customer": "Bo", "amount": 7}\n{"id": 1, "customer": "Ada", "amount": 12.5}\n
    Create File
    ...    ${DIR}/orders.json
    ...    [{"id": "1", "customer": "Ada", "amount": "12.50"}, {"id": "2", "customer": "Bo", "amount": 7}]
    VAR    &{header}    record_type=header    batch_id=B1    created=2026-11-24    source=shop
    VAR    &{first}    record_type=detail    order_id=1    customer=Ada    amount=12.50    currency=EUR
    ...    settled_on=2026-11-24
    VAR    &{second}    record_type=detail    order_id=2    customer=Bo    amount=7.00    currency=EUR
    ...    settled_on=2026-11-24
    VAR    &{trailer}    record_type=trailer    count=2    total=19.50
    VAR    @{records}    ${header}    ${first}    ${second}    ${trailer}
    Write Records    ${DIR}/batch.dat    ${records}    settlement

Clean Up Sources
    [Documentation]    Closes the database and removes the files.
    Disconnect From All Sql
    Remove Directory    ${DIR}    recursive=True
