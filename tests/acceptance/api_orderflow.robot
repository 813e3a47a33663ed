*** Settings ***
Documentation    API and schema keywords against orderflow, the real platform: passing and failing with
...              their exact messages.

Library          Seamline

Suite Setup      Start Orderflow Gateway

Test Tags        api    orderflow


*** Variables ***
${SCHEMAS}    ${CURDIR}/../../resources/schemas


*** Test Cases ***
Call Api Shows The Error Envelope Of An Unexpected Status
    VAR    ${expected}    HTTP: GET ${GATEWAY}/api/orders/no-such-order expected status 2xx, got 404 Not Found:
    ...    {"error":{"code":"ORDER_NOT_FOUND",*"upstream":"orders"}}
    Run Keyword And Expect Error    ${expected}    Call Api    GET    /api/orders/no-such-order

Wait Until Api Returns Stops On A Rejected Order
    ${order} =    Place Order    SKU-RARE
    VAR    ${expected}    HTTP: GET ${GATEWAY}/api/orders/${order}[id]: '$.status' is 'REJECTED' (a fail_on value)
    ...    after *s, expected 'RESERVED'; got 200 OK: {"id":"${order}[id]",*"status":"REJECTED"*}
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Api Returns    GET    /api/orders/${order}[id]    $.status    RESERVED    fail_on=REJECTED
    ${reserved} =    Place Order    SKU-APPLE
    Wait Until Api Returns    GET    /api/orders/${reserved}[id]    $.status    RESERVED    fail_on=REJECTED

Real Responses Match The OpenAPI Document And The Schemas
    ${order} =    Place Order    SKU-APPLE
    ${response} =    Call Api    GET    /api/orders/${order}[id]
    Response Should Match Openapi    ${response}    spec=${GATEWAY}/openapi.json
    Validate Json    ${response}    order.v1
    VAR    ${expected}    Contracts: data does not match schema 'order.v2' (1 error):
    ...    - $: 'customer_id' is a required property (value: *)    separator=\n
    Run Keyword And Expect Error    ${expected}    Validate Json    ${response}    order.v2

Get All Pages Reads Every Order
    ${first} =    Place Order    SKU-PEAR
    ${orders} =    Get All Pages    /api/orders    limit=1    max_pages=10000
    ${ids} =    Evaluate    [order["id"] for order in $orders]
    Should Contain    ${ids}    ${first}[id]
    Run Keyword And Expect Error
    ...    HTTP: page 1 of GET ${GATEWAY}/api/orders?limit=0 failed: got 422 Unprocessable Entity: {"error":{"code":"VALIDATION_ERROR",*}}
    ...    Get All Pages
    ...    /api/orders
    ...    limit=0


*** Keywords ***
Start Orderflow Gateway
    [Documentation]    orderflow on free ports, and a clerk session to its gateway.
    ${orderflow} =    Start Service    orderflow    python -m orderflow up    ready=log:ORDERFLOW READY (\\{.*\\})
    ...    timeout=60s
    ${endpoints} =    Evaluate    json.loads($orderflow.ready_value)    modules=json
    VAR    ${GATEWAY}    ${endpoints}[gateway]    scope=SUITE    # robocop: off=VAR05
    VAR    &{auth}    X-Api-Key=clerk-key-123
    Connect To Api    ${GATEWAY}    auth=${auth}
    Load Schemas    ${SCHEMAS}

Place Order
    [Documentation]    A clerk order of one ``sku``; returns it.
    [Arguments]    ${sku}
    VAR    &{request}    customer=acceptance    sku=${sku}    quantity=${1}    unit_price=12.50
    ${response} =    Call Api    POST    /api/orders    json=${request}    expected_status=201
    RETURN    ${response.json()}
