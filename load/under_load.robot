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
Resource          ../resources/load.resource

Suite Setup       Start Orderflow    --rate-limit    100000/s
Suite Teardown    Stop Orderflow


*** Variables ***
${CLIENTS}            2
${CLIENTS_TIMEOUT}    10 min
# The shared deployment exports no spans to this process: the clients' journeys skip their trace checks.
${TRACES}             off    # robocop: off=VAR02
${CLIENTS_DIR}        ${OUTPUT_DIR}${/}clients


*** Test Cases ***
Clients Running The Journeys At Once Lose And Double No Order
    [Tags]    load    journeys
    Connect To Every Seam Of Orderflow
    ${endpoints} =    Write The Endpoints Of Orderflow
    Clients Should Run The Journeys At Once    ${endpoints}
    Orderflow Should Have Lost And Doubled No Order
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
