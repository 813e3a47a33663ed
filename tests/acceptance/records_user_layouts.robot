*** Settings ***
Documentation     Layouts of the user's own, in directories made by the test (not orderflow's resources/layouts):
...               one given at import (``layouts=``), one by `Set Layout Directory`, which is searched first.
...               A fixed-width and a CSV file are written and read with them, and a layout in neither fails
...               naming every directory searched.

Library           OperatingSystem
Library           String
Library           Seamline    layouts=${IMPORTED}

Suite Setup       Create The User's Layout Directories
Suite Teardown    Remove Directory    ${DIR}    recursive=True


*** Variables ***
${DIR}         ${TEMPDIR}${/}seamline-user-layouts-${{uuid.uuid4().hex}}
${IMPORTED}    ${DIR}${/}imported
${SET}         ${DIR}${/}set


*** Test Cases ***
A Fixed-Width Batch With A Layout From The Import Directory
    ${records} =    Payroll Records
    Write Records    ${DIR}${/}pay.dat    ${records}    payroll
    ${text} =    Get File    ${DIR}${/}pay.dat    encoding=latin-1
    @{lines} =    Split To Lines    ${text}
    Should Be Equal    ${lines}[1]    02000042Åsa Öberg${SPACE * 11}0000123456${SPACE * 2}
    Should Be Equal    ${lines}[3]    99000002000000123500${SPACE * 20}
    ${read} =    Batch Should Be Valid    ${DIR}${/}pay.dat    payroll
    Records Should Contain    ${read}    detail    employee=7    net_pay=0.44
    Run Keyword And Expect Error
    ...    EQUALS:Records: ${DIR}${/}pay.dat line 2, field 'employee' (columns 3-8): expected digits, got '0000x2'
    ...    Corrupt And Read    ${DIR}${/}pay.dat    02000042    020000x2    payroll

A CSV File With A Layout From Set Layout Directory
    ${previous} =    Set Layout Directory    ${SET}
    TRY
        VAR    &{one}    sku=SKU-1    quantity=3    price=9.90    counted_on=2026-11-24
        VAR    &{two}    sku=SKU;2    quantity=12    price=0.5    counted_on=2026-11-01
        VAR    @{items}    ${one}    ${two}
        Write Records    ${DIR}${/}stock.csv    ${items}    stock
        ${text} =    Get File    ${DIR}${/}stock.csv
        Should Be Equal
        ...    ${text}
        ...    sku;quantity;price;counted_on\nSKU-1;3;9.90;24.11.2026\n"SKU;2";12;0.5;01.11.2026\n
        ${read} =    Read Records    ${DIR}${/}stock.csv    stock
    FINALLY
        Set Layout Directory    ${previous}
    END
    Records Should Contain    ${read}    item    sku=SKU;2    quantity=12    price=0.50    counted_on=2026-11-01

Set Layout Directory Is Searched Before The Import Directory
    ${imported} =    Read Records    ${DIR}${/}codes.csv    codes
    ${previous} =    Set Layout Directory    ${SET}
    TRY
        ${set} =    Read Records    ${DIR}${/}codes.csv    codes
    FINALLY
        Set Layout Directory    ${previous}
    END
    Should Be Equal    ${imported}    ${{ [{"record_type": "code", "id": 1, "label": "one"}] }}
    Should Be Equal    ${set}    ${{ [{"record_type": "code", "key": "1", "text": "one"}] }}

A Layout In Neither Directory Fails Naming Both
    Run Keyword And Expect Error
    ...    EQUALS:Records: no layout 'stock' in ${IMPORTED} (layouts there: codes, payroll)
    ...    Read Records    ${DIR}${/}stock.csv    stock
    ${previous} =    Set Layout Directory    ${SET}
    TRY
        Run Keyword And Expect Error
        ...    EQUALS:Records: no layout 'payrol' in ${SET}, ${IMPORTED} (layouts there: codes, payroll, stock)
        ...    Read Records    ${DIR}${/}pay.dat    payrol
    FINALLY
        Set Layout Directory    ${previous}
    END


*** Keywords ***
Payroll Records
    [Documentation]    A header, two details and a trailer whose count and total agree.
    VAR    &{header}    record_type=header    run_date=2026-11-24    company=ACME Payroll
    VAR    &{asa}    record_type=detail    employee=42    name=Åsa Öberg    net_pay=1234.56
    VAR    &{bo}    record_type=detail    employee=7    name=Bo    net_pay=0.44
    VAR    &{trailer}    record_type=trailer    employees=2    total_pay=1235.00
    VAR    @{records}    ${header}    ${asa}    ${bo}    ${trailer}
    RETURN    ${records}

Create The User's Layout Directories
    [Documentation]    The import directory gets payroll (fixed-width, header/detail/trailer with checks) and
    ...    codes; the Set Layout Directory one gets stock (CSV with a header row) and another codes.
    Create Payroll Layout    ${IMPORTED}${/}payroll.yaml
    Create Stock Layout    ${SET}${/}stock.yml
    Create Layout    ${IMPORTED}${/}codes.yaml
    ...    name: codes
    ...    format: csv
    ...    records: {code: {fields: [{name: id, type: int}, {name: label}]}}
    Create Layout    ${SET}${/}codes.yaml
    ...    name: codes
    ...    format: csv
    ...    records: {code: {fields: [{name: key}, {name: text}]}}
    Create File    ${DIR}${/}codes.csv    1,one\n

Create Payroll Layout
    [Documentation]    A fixed-width layout: header, details and a trailer that counts and sums them.
    [Arguments]    ${path}
    Create Layout    ${path}
    ...    name: payroll
    ...    format: fixed
    ...    encoding: latin-1
    ...    newline: "\\n"
    ...    record_length: 40
    ...    record_type: {start: 1, length: 2}
    ...    batch: {first: header, last: trailer}
    ...    records:
    ...    ${SPACE * 2}header:
    ...    ${SPACE * 4}code: "01"
    ...    ${SPACE * 4}fields:
    ...    ${SPACE * 6}- {name: run_date, start: 3, length: 8, type: date, format: "%Y%m%d"}
    ...    ${SPACE * 6}- {name: company, start: 11, length: 20}
    ...    ${SPACE * 2}detail:
    ...    ${SPACE * 4}code: "02"
    ...    ${SPACE * 4}fields:
    ...    ${SPACE * 6}- {name: employee, start: 3, length: 6, type: int}
    ...    ${SPACE * 6}- {name: name, start: 9, length: 20}
    ...    ${SPACE * 6}- {name: net_pay, start: 29, length: 10, type: decimal, format: cents}
    ...    ${SPACE * 2}trailer:
    ...    ${SPACE * 4}code: "99"
    ...    ${SPACE * 4}fields:
    ...    ${SPACE * 6}- {name: employees, start: 3, length: 6, type: int}
    ...    ${SPACE * 6}- {name: total_pay, start: 9, length: 12, type: decimal, format: cents}
    ...    ${SPACE * 4}checks:
    ...    ${SPACE * 6}- {field: employees, count_of: detail}
    ...    ${SPACE * 6}- {field: total_pay, sum_of: detail.net_pay}

Create Stock Layout
    [Documentation]    A CSV layout with a header row, a ``;`` delimiter and a day-first date.
    [Arguments]    ${path}
    Create Layout    ${path}
    ...    name: stock
    ...    format: csv
    ...    delimiter: ";"
    ...    header_row: true
    ...    records:
    ...    ${SPACE * 2}item:
    ...    ${SPACE * 4}fields:
    ...    ${SPACE * 6}- {name: sku}
    ...    ${SPACE * 6}- {name: quantity, type: int}
    ...    ${SPACE * 6}- {name: price, type: decimal}
    ...    ${SPACE * 6}- {name: counted_on, type: date, format: "%d.%m.%Y"}

Create Layout
    [Documentation]    Writes a layout file of the given YAML lines.
    [Arguments]    ${path}    @{lines}
    ${yaml} =    Catenate    SEPARATOR=\n    @{lines}
    Create File    ${path}    ${yaml}\n

Corrupt And Read
    [Documentation]    Replaces ``old`` by ``new`` in the batch file ``path``, then reads it with ``layout``.
    [Arguments]    ${path}    ${old}    ${new}    ${layout}
    ${text} =    Get File    ${path}    encoding=latin-1
    ${text} =    Replace String    ${text}    ${old}    ${new}
    Create File    ${path}    ${text}    encoding=latin-1
    Read Records    ${path}    ${layout}
