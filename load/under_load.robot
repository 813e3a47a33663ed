*** Settings ***
Documentation     Journeys under load: ``\${CLIENTS}`` pabot processes run the journey suites at once against one
...               orderflow they share, the realistic-load mode. Each client's journeys check their own orders
...               (the daily report of a SKU is exact whatever other clients order); once every client is done,
...               this suite checks across all of them that no order was lost or doubled: none is left undecided,
...               the ledger holds every reserved order exactly once, inventory holds exactly what the orders
...               reserved (nothing oversold), and orderflow's own consistency report agrees.
...
...               ``make load`` runs it (``CLIENTS=4 make load`` for more); the clients' own log is
...               ``clients/log.html`` beside this suite's.

Library           OperatingSystem
Library           Process
Library           Seamline
Resource          ../resources/journeys.resource

Suite Setup       Start Orderflow    --rate-limit    100000/s
Suite Teardown    Stop Orderflow


*** Variables ***
${CLIENTS}            2
${CLIENTS_TIMEOUT}    10 min
${SETTLED_TIMEOUT}    60s
# The shared deployment exports no spans to this process: the clients' journeys skip their trace checks.
${TRACES}             off    # robocop: off=VAR02
${POSTINGS}           sftp:ledger:/archive/*.dat:${BATCH_LAYOUT}
${CLIENTS_DIR}        ${OUTPUT_DIR}${/}clients


*** Test Cases ***
Clients Running The Journeys At Once Lose And Double No Order
    [Tags]    load    journeys
    Connect To Every Seam Of Orderflow
    ${endpoints} =    Write The Endpoints Of Orderflow
    Clients Should Run The Journeys At Once    ${endpoints}
    No Order Should Be Left Undecided
    The Ledger Should Hold Every Reserved Order Once
    Inventory Should Hold Exactly What The Orders Reserved
    The Consistency Report Should Flag Nothing
    [Teardown]    Disconnect From Every Seam Of Orderflow


*** Keywords ***
Write The Endpoints Of Orderflow
    [Documentation]    Writes the endpoints of the orderflow this suite started where `variables/deployment.py` reads
    ...    them (``ORDERFLOW_ENDPOINTS``); returns the file's path.
    VAR    ${file}    ${CLIENTS_DIR}${/}orderflow.json
    Create File    ${file}    ${{json.dumps($ORDERFLOW)}}
    RETURN    ${file}

Clients Should Run The Journeys At Once
    [Documentation]    ``\${CLIENTS}`` pabot processes, one argument file each, run ``suites/journeys`` at the same
    ...    time against the orderflow whose endpoints are in ``endpoints``; every journey must pass.
    [Arguments]    ${endpoints}
    ${python} =    Evaluate    sys.executable    modules=sys
    VAR    @{argument_files}    @{EMPTY}
    FOR    ${client}    IN RANGE    1    ${CLIENTS} + 1
        Create File    ${CLIENTS_DIR}${/}client-${client}.args    --metadata Client:${client}
        Append To List    ${argument_files}    --argumentfile${client}    ${CLIENTS_DIR}${/}client-${client}.args
    END
    ${result} =    Run Process    ${python}    -m    pabot.pabot    --processes    ${CLIENTS}    --no-pabotlib
    ...    --command    ${python}    -m    robot    --end-command    @{argument_files}
    ...    --outputdir    ${CLIENTS_DIR}    --name    Clients    --variablefile    ${CURDIR}/../variables/deployment.py
    ...    ${CURDIR}/../suites/journeys
    ...    env:ORDERFLOW_ENDPOINTS=${endpoints}    cwd=${CLIENTS_DIR}    timeout=${CLIENTS_TIMEOUT}
    ...    stdout=${CLIENTS_DIR}${/}pabot.txt    stderr=STDOUT
    Should Be Equal As Integers
    ...    ${result.rc}
    ...    0
    ...    msg=Load: the journeys of ${CLIENTS} clients at once failed (see ${CLIENTS_DIR}${/}log.html): ${result.stdout[-2000:]}
    ...    values=False

No Order Should Be Left Undecided
    [Documentation]    Every order the clients placed ended RESERVED, REJECTED or CANCELLED: inventory decided each.
    Wait Until Keyword Succeeds    ${SETTLED_TIMEOUT}    200ms    Orders Should Be Decided

Orders Should Be Decided
    [Documentation]    No order is still NEW.
    ${new} =    Query Rows    SELECT COUNT(*) AS orders FROM orders WHERE status = 'NEW'    alias=orderflow
    Should Be Equal As Integers    ${new}[0][orders]    0
    ...    msg=SQL: ${new}[0][orders] orders are still NEW: inventory never decided them

The Ledger Should Hold Every Reserved Order Once
    [Documentation]    Every RESERVED order is posted to the ledger exactly once, with its amount and currency, and the
    ...    ledger holds no posting of any other order (waiting for the last batches to be posted).
    VAR    ${reserved}    sql:orderflow:SELECT id AS order_id, amount, currency FROM orders WHERE status = 'RESERVED'
    ${result} =    Wait Until Consistent    ${reserved}    ${POSTINGS}    key=order_id    fields=amount,currency
    ...    name=reserved orders vs ledger postings    timeout=${SETTLED_TIMEOUT}
    Should Be True    $result['matched'] > 0    msg=SSH: the ledger holds none of the clients' orders

Inventory Should Hold Exactly What The Orders Reserved
    [Documentation]    For every SKU, the units inventory holds reserved are the units of its RESERVED orders, and no
    ...    SKU has fewer than 0 units available: two clients never got the same unit.
    VAR    ${ordered}
    ...    sql:orderflow:SELECT sku, SUM(quantity) AS reserved FROM orders WHERE status = 'RESERVED' GROUP BY sku
    ${response} =    Call Api    GET    /api/inventory    alias=admin
    ${held} =    Evaluate    [item for item in $response.json()['items'] if item['reserved']]
    Data Should Be Consistent    ${ordered}    ${held}    key=sku    fields=reserved
    ...    name=reserved orders vs inventory's reservations
    ${oversold} =    Evaluate    [item for item in $response.json()['items'] if item['available'] < 0]
    Should Be Empty    ${oversold}    msg=HTTP: inventory oversold: ${oversold}

The Consistency Report Should Flag Nothing
    [Documentation]    orderflow's own consistency report finds no disagreement between orders, reservations and
    ...    ledger postings either.
    ${response} =    Call Api    GET    /api/reports/consistency    alias=auditor
    Should Be Empty    ${response.json()}[disagreements]
    ...    msg=HTTP: orderflow's consistency report flags ${response.json()}[disagreements]
