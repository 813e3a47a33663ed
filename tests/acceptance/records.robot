*** Settings ***
Documentation     Batch record keywords on local files: each passing, and failing with its exact message.

Library           Collections
Library           OperatingSystem
Library           String
Library           Seamline    layouts=${LAYOUTS}

Suite Setup       Create Directory    ${DIR}
Suite Teardown    Remove Directory    ${DIR}    recursive=True


*** Variables ***
${LAYOUTS}    ${CURDIR}${/}..${/}..${/}resources${/}layouts
${DIR}        ${TEMPDIR}${/}seamline-records-${{uuid.uuid4().hex}}
${BATCH}      ${DIR}${/}B-1.dat
${SUM}        detail.amount is 13.25
${CSV}        order_id,customer,sku,quantity,unit_price,currency,created,cancelled_on\nord-1,"A, Ltd",SKU-APPLE,2,12.50,EUR,2026-11-24,\n


*** Test Cases ***
Read Records Returns Typed Values
    Write Settlement Batch
    ${read} =    Read Records    ${BATCH}    settlement
    Length Should Be    ${read}    4
    Should Be Equal    ${read}[1][record_type]    detail
    Should Be Equal    ${read}[1][amount]    ${{decimal.Decimal("12.50")}}
    Should Be Equal    ${read}[1][settled_on]    ${{datetime.date(2026, 11, 24)}}
    Should Be Equal    ${read}[3][count]    ${2}

Write Records Of What Read Records Returned Gives The Same Bytes
    Write Settlement Batch
    ${read} =    Read Records    ${BATCH}    settlement
    Write Records    ${DIR}${/}copy.dat    ${read}    settlement
    ${original} =    Get Binary File    ${BATCH}
    ${copy} =    Get Binary File    ${DIR}${/}copy.dat
    Should Be Equal    ${copy}    ${original}

EBCDIC Records Have No Newlines And Read Back
    ${records} =    Settlement Records
    Write Records    ${DIR}${/}B-1.ebc    ${records}    settlement-ebcdic
    ${data} =    Get Binary File    ${DIR}${/}B-1.ebc
    Length Should Be    ${data}    320
    Should Be Equal    ${data}[0]    ${0xC8}    EBCDIC 'H'
    ${read} =    Read Records    ${DIR}${/}B-1.ebc    settlement-ebcdic
    Should Be Equal    ${read}[2][customer]    Bob

Read Records Fails On A Field That Does Not Fit
    Write Settlement Batch
    Replace In Batch    000000001250    0000000ABC50
    Run Keyword And Expect Error
    ...    EQUALS:Records: ${BATCH} line 2, field 'amount' (columns 58-69): expected digits, got '0000000ABC50'
    ...    Read Records    ${BATCH}    settlement

Read Records Fails On A Line Of The Wrong Length
    Write Settlement Batch
    Replace In Batch    orderflow    orderflow${SPACE}
    Run Keyword And Expect Error
    ...    EQUALS:Records: ${BATCH} line 1: expected 80 characters for a header record, got 81
    ...    Read Records    ${BATCH}    settlement

Read Records Fails On An Unknown Record Type
    Write Settlement Batch
    Replace In Batch    Dord-2    Xord-2
    VAR    ${known}    'H' (header), 'D' (detail), 'T' (trailer)
    Run Keyword And Expect Error
    ...    EQUALS:Records: ${BATCH} line 3 (columns 1-1): unknown record type 'X', read as latin-1; layout settlement knows ${known}
    ...    Read Records
    ...    ${BATCH}
    ...    settlement

Read Records Fails When The File Does Not Match The Layout
    Write Settlement Batch
    VAR    ${columns}    order_id,customer,sku,quantity,unit_price,currency,created,cancelled_on
    Run Keyword And Expect Error
    ...    STARTS:Records: ${BATCH} line 1: expected the header ${columns}, got H
    ...    Read Records    ${BATCH}    orders-csv
    VAR    ${detail}    (layout settlement-ebcdic has no newlines; the last record has 4 characters)
    Run Keyword And Expect Error
    ...    EQUALS:Records: ${BATCH}: 324 characters is not a whole number of 80-character records ${detail}
    ...    Read Records    ${BATCH}    settlement-ebcdic

Read Records Fails For A Missing File Or Layout
    Run Keyword And Expect Error
    ...    EQUALS:Records: cannot read ${DIR}${/}missing.dat: No such file or directory
    ...    Read Records    ${DIR}${/}missing.dat    settlement
    VAR    ${known}    orders-csv, settlement, settlement-ebcdic
    Run Keyword And Expect Error
    ...    EQUALS:Records: no layout 'setlement' in ${LAYOUTS} (layouts there: ${known})
    ...    Read Records    ${BATCH}    setlement

Read Records Remote Needs An Ssh Connection
    Run Keyword And Expect Error
    ...    GLOB:Records: no 'ledger-x' connection (open: *); open one with `Connect To Ssh`
    ...    Read Records    /inbox/B-1.dat    settlement    remote=True    alias=ledger-x

Read Records Reads CSV With A Header Row
    Create File    ${DIR}${/}orders.csv    ${CSV}
    ${orders} =    Read Records    ${DIR}${/}orders.csv    orders-csv
    Should Be Equal    ${orders}[0][customer]    A, Ltd
    Should Be Equal    ${orders}[0][quantity]    ${2}
    Should Be Equal    ${orders}[0][cancelled_on]    ${None}

Write Records Fails On A Value That Does Not Fit Its Field
    ${records} =    Settlement Records
    Set To Dictionary    ${records}[1]    amount=1.234
    Run Keyword And Expect Error
    ...    EQUALS:Records: ${BATCH} record 2, field 'amount' (columns 58-69): 1.234 has more than 2 decimals
    ...    Write Records    ${BATCH}    ${records}    settlement
    Set To Dictionary    ${records}[1]    amount=1.23    colour=red
    VAR    ${fields}    order_id, customer, amount, currency, settled_on
    Run Keyword And Expect Error
    ...    EQUALS:Records: ${BATCH} record 2: a detail record has no field 'colour' (it has ${fields})
    ...    Write Records    ${BATCH}    ${records}    settlement

Batch Should Be Valid Checks The Trailer
    Write Settlement Batch
    ${records} =    Batch Should Be Valid    ${BATCH}    settlement
    Should Be Equal    ${records}[-1][total]    ${{decimal.Decimal("13.25")}}

Batch Should Be Valid Fails On A Wrong Total
    Write Settlement Batch
    Replace In Batch    00000000001325    00000000001326
    Run Keyword And Expect Error
    ...    EQUALS:Records: ${BATCH} line 4, field 'total' (columns 10-23): the trailer says 13.26, but the sum of ${SUM}
    ...    Batch Should Be Valid
    ...    ${BATCH}
    ...    settlement

Batch Should Be Valid Fails Without A Trailer
    ${records} =    Settlement Records
    Remove From List    ${records}    -1
    Write Records    ${BATCH}    ${records}    settlement
    VAR    ${seen}    got a detail record (line 3); is the trailer record missing?
    Run Keyword And Expect Error
    ...    EQUALS:Records: ${BATCH}: expected the last record to be a trailer record, ${seen}
    ...    Batch Should Be Valid    ${BATCH}    settlement

Records Should Contain Finds A Detail By Its Fields
    Write Settlement Batch
    ${records} =    Read Records    ${BATCH}    settlement
    ${detail} =    Records Should Contain    ${records}    detail    order_id=ord-2    amount=0.750
    Should Be Equal    ${detail}[customer]    Bob

Records Should Contain Fails Listing What Is There
    ${records} =    Settlement Records
    Run Keyword And Expect Error
    ...    EQUALS:Records: no detail record with order_id=ord-9 among 2 detail records (order_id: ord-1, ord-2)
    ...    Records Should Contain    ${records}    detail    order_id=ord-9

Records Should Contain Compares Values By Meaning
    Create File    ${DIR}${/}orders.csv    ${CSV}
    ${orders} =    Read Records    ${DIR}${/}orders.csv    orders-csv
    Records Should Contain    ${orders}    order    quantity=002    unit_price=12.5    created=2026-11-24
    Records Should Contain    ${orders}    order    cancelled_on=${EMPTY}
    Records Should Contain    ${orders}    order    cancelled_on=None
    Run Keyword And Expect Error
    ...    EQUALS:Records: no order record with sku=007 among 1 order records (sku: SKU-APPLE)
    ...    Records Should Contain    ${orders}    order    sku=007

Records Should Contain Takes Msg
    ${records} =    Settlement Records
    Run Keyword And Expect Error    EQUALS:Order ord-9 was never settled
    ...    Records Should Contain    ${records}    detail    order_id=ord-9    msg=Order ord-9 was never settled

Batch Should Be Valid Takes Msg
    Write Settlement Batch
    Replace In Batch    00000000001325    00000000001326
    Run Keyword And Expect Error    EQUALS:The ledger total is off
    ...    Batch Should Be Valid    ${BATCH}    settlement    msg=The ledger total is off

Set Layout Directory Makes Names Find Its Layouts
    Create Directory    ${DIR}${/}layouts
    Create File
    ...    ${DIR}${/}layouts${/}codes.yaml
    ...    name: codes\nformat: csv\ndelimiter: ";"\nrecords:\n${SPACE*2}code:\n${SPACE*4}fields: [{name: id, type: int}, {name: label}]\n
    Create File    ${DIR}${/}codes.csv    1;one\n2;two\n
    ${previous} =    Set Layout Directory    ${DIR}${/}layouts
    TRY
        ${codes} =    Read Records    ${DIR}${/}codes.csv    codes
    FINALLY
        Set Layout Directory    ${previous}
    END
    Should Be Equal    ${codes}[1][label]    two
    ${by_path} =    Read Records    ${DIR}${/}codes.csv    ${DIR}${/}layouts${/}codes.yaml
    Should Be Equal    ${by_path}    ${codes}

Set Layout Directory Fails For A Missing Directory
    Run Keyword And Expect Error
    ...    EQUALS:Records: layout directory ${DIR}${/}nope does not exist
    ...    Set Layout Directory    ${DIR}${/}nope

A Broken Layout Fails Naming The Mistake
    Create File
    ...    ${DIR}${/}broken.yaml
    ...    name: broken\nformat: fixed\nrecords:\n${SPACE*2}d:\n${SPACE*4}fields: [{name: id, start: 1, length: 4, type: float}]\n
    Run Keyword And Expect Error
    ...    STARTS:Records: layout ${DIR}${/}broken.yaml: records.d.fields[0].type: 'float' is not one of
    ...    Read Records    ${BATCH}    ${DIR}${/}broken.yaml

A Binary File As Layout Fails Readably
    Create Binary File    ${DIR}${/}picture.yaml    \x89PNG\r\n\x1a\n\x00\x00
    Run Keyword And Expect Error
    ...    EQUALS:Records: layout ${DIR}${/}picture.yaml: is a binary file, not a YAML layout
    ...    Read Records    ${BATCH}    ${DIR}${/}picture.yaml

A Text File As Layout Fails Without Showing Its Content
    ${passwd} =    Get File    /etc/passwd
    ${length} =    Evaluate    len(yaml.safe_load($passwd))    modules=yaml
    VAR    ${expected}    Records: layout /etc/passwd: is not a layout:
    ...    expected a YAML mapping with name, format and records, got a text of ${length} characters
    ${message} =    Run Keyword And Expect Error    EQUALS:${expected}
    ...    Read Records    ${BATCH}    /etc/passwd
    Should Not Contain    ${message}    root


*** Keywords ***
Settlement Records
    [Documentation]    A header, two details and a trailer whose count and total agree.
    VAR    &{header}    record_type=header    batch_id=B-1    created=2026-11-24    source=orderflow
    VAR    &{alice}    record_type=detail    order_id=ord-1    customer=Alice    amount=12.50
    ...    currency=EUR    settled_on=2026-11-24
    VAR    &{bob}    record_type=detail    order_id=ord-2    customer=Bob    amount=0.75
    ...    currency=USD    settled_on=2026-11-23
    VAR    &{trailer}    record_type=trailer    count=2    total=13.25
    VAR    @{records}    ${header}    ${alice}    ${bob}    ${trailer}
    RETURN    ${records}

Write Settlement Batch
    [Documentation]    Writes the `Settlement Records` to ${BATCH}.
    ${records} =    Settlement Records
    Write Records    ${BATCH}    ${records}    settlement

Replace In Batch
    [Documentation]    Replaces text in ${BATCH}, to make it invalid.
    [Arguments]    ${old}    ${new}
    ${text} =    Get File    ${BATCH}    encoding=latin-1
    ${text} =    Replace String    ${text}    ${old}    ${new}
    Create File    ${BATCH}    ${text}    encoding=latin-1
