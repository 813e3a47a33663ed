*** Settings ***
Documentation     Schema keywords: JSON Schema registry, every violation listed, OpenAPI responses, schema drift.

Library           OperatingSystem
Library           Seamline
Library           ApiTestServers

Suite Setup       Load Project Schemas
Suite Teardown    Stop Test Servers

Test Tags         api    schema


*** Variables ***
${SCHEMAS}    ${CURDIR}/../../resources/schemas
&{ORDER}      id=0b5e4c1a-4a7e-4f53-8a44-8c1f0f5f3b2a    customer=ada    sku=SKU-APPLE    quantity=${2}
...           unit_price=12.50    amount=25.00    currency=EUR    status=NEW    reject_reason=${None}
...           correlation_id=c-1    created_at=2026-01-01T10:00:00Z    updated_at=2026-01-01T10:00:00Z


*** Test Cases ***
Load Schemas Returns The Names
    ${names} =    Load Schemas    ${SCHEMAS}
    Should Contain    ${names}    order.v1
    Should Contain    ${names}    order.v2

Load Schemas Names The Broken File
    ${dir} =    Schema Directory With    broken.json    {"type": "object",
    Run Keyword And Expect Error
    ...    Schema: cannot load ${dir}${/}broken.json: Expecting property name enclosed in double quotes: line 1 column 19 (char 18)
    ...    Load Schemas
    ...    ${dir}

Load Schemas Refuses A File That Is Not A Json Schema
    ${dir} =    Schema Directory With    typo.json    {"properties": {"n": {"type": "integr"}}}
    Run Keyword And Expect Error
    ...    Schema: 'typo' is not a valid JSON Schema: 'integr' is not valid under any of the given schemas at $.properties.n.type
    ...    Load Schemas
    ...    ${dir}
    Run Keyword And Expect Error
    ...    Schema: schema directory ${dir}${/}missing does not exist
    ...    Load Schemas    ${dir}${/}missing

Validate Json Accepts Valid Data
    Validate Json    ${ORDER}    order.v1
    VAR    @{items}    ${ORDER}
    VAR    &{page}    items=${items}    next=${None}
    Validate Json    ${page}    order-page.v1
    Validate Json    {"n": 3}    {"type": "object", "properties": {"n": {"type": "integer"}}}

Validate Json Lists Every Error With Its Path And Value
    VAR    &{order}    &{ORDER}    quantity=${0}    status=SHIPPED    currency=euro
    VAR    ${expected}
    ...    Schema: data does not match schema 'order.v1' (3 errors):
    ...    - $.currency: 'euro' does not match '^[A-Z]{3}$' (value: "euro")
    ...    - $.quantity: 0 is less than the minimum of 1 (value: 0)
    ...    - $.status: 'SHIPPED' is not one of ['NEW', 'RESERVED', 'REJECTED', 'CANCELLED'] (value: "SHIPPED")
    ...    separator=\n
    Run Keyword And Expect Error    EQUALS:${expected}    Validate Json    ${order}    order.v1

Validate Json Names An Unknown Schema
    Run Keyword And Expect Error
    ...    Schema: no schema named 'orders' (loaded: common, envelope.v1, error.v1, *); load it with `Load Schemas`
    ...    Validate Json    ${ORDER}    orders

Validate Json Refuses Malformed Json Text
    Run Keyword And Expect Error
    ...    HTTP: json= '{"id": ' is not valid JSON: Expecting value: line 1 column 8 (char 7)
    ...    Validate Json    {"id":${SPACE}    order.v1

Response Should Match Openapi Checks Status, Content Type And Body
    ${server} =    Start Json Test Server
    Connect To Api    ${server}
    ${response} =    Call Api    GET    /orders/7
    Response Should Match Openapi    ${response}    spec=${server}/openapi.json
    ${drift} =    Call Api    GET    /drift/7
    VAR    ${expected}
    ...    OpenAPI: GET /drift/{id} -> 200 does not match ${server}/openapi.json (2 errors):
    ...    - $.quantity: '2' is not of type 'integer' (value: "2")
    ...    - $.status: 'SHIPPED' is not one of ['NEW', 'RESERVED', 'REJECTED'] (value: "SHIPPED")
    ...    separator=\n
    Run Keyword And Expect Error    EQUALS:${expected}    Response Should Match Openapi    ${drift}

Response Should Match Openapi Checks The Content Type And The Operation
    ${server} =    Start Json Test Server
    Connect To Api    ${server}
    ${html} =    Call Api    GET    /html
    VAR    ${expected}    OpenAPI: GET /html -> 200 does not match ${server}/openapi.json (1 error):
    ...    - content-type: 'text/html' is not one of application/json (value: "text/html")    separator=\n
    Run Keyword And Expect Error
    ...    ${expected}
    ...    Response Should Match Openapi
    ...    ${html}
    ...    spec=${server}/openapi.json
    ${other} =    Call Api    GET    /pages
    Run Keyword And Expect Error
    ...    OpenAPI: ${server}/openapi.json has no operation for GET /pages
    ...    Response Should Match Openapi    ${other}

Response Should Match Openapi Names A Document It Cannot Load
    ${server} =    Start Json Test Server
    Connect To Api    ${server}
    ${response} =    Call Api    GET    /orders/7
    Run Keyword And Expect Error
    ...    OpenAPI: ${server}/orders/1 is not an OpenAPI 3 document (no 'openapi: 3.x' field)
    ...    Response Should Match Openapi    ${response}    spec=${server}/orders/1
    Run Keyword And Expect Error
    ...    OpenAPI: cannot load the document from ${server}/nothing.json: 404 Client Error: Not Found for url: *
    ...    Response Should Match Openapi    ${response}    spec=${server}/nothing.json
    ${closed} =    Closed Port Url
    Run Keyword And Expect Error
    ...    OpenAPI: cannot load the document from ${closed}/openapi.json: *Connection refused*
    ...    Response Should Match Openapi    ${response}    spec=${closed}/openapi.json

Compare Schemas Classifies Each Change
    ${changes} =    Compare Schemas    order.v1    order.v2
    Length Should Be    ${changes}    2
    Should Be Equal    ${changes}[0][path]    $.customer
    Should Be Equal    ${changes}[0][change]    field renamed to 'customer_id'
    Should Be Equal    ${changes}[0][kind]    breaking
    Should Be Equal    ${changes}[1][change]    new optional field
    Should Be Equal    ${changes}[1][kind]    compatible
    ${none} =    Compare Schemas    order.v1    ${SCHEMAS}/order.v1.json
    Should Be Empty    ${none}

Compare Schemas Fails For An Unknown Or Invalid Schema
    Run Keyword And Expect Error
    ...    Schema: no schema named 'order.v3' (loaded: common, envelope.v1, error.v1, *); load it with `Load Schemas`
    ...    Compare Schemas    order.v1    order.v3
    Run Keyword And Expect Error
    ...    Schema: the given schema is not a valid JSON Schema: 'objekt' is not valid under any of the given schemas at $.type
    ...    Compare Schemas    order.v1    {"type": "objekt"}

Schema Change Should Be Compatible Lists The Breaking Changes
    Schema Change Should Be Compatible    order.v1    order.v1
    Schema Change Should Be Compatible    {"type": "integer"}    {"type": "number"}
    Run Keyword And Expect Error
    ...    Schema: 'order.v2' breaks 'order.v1' (1 breaking change):\n- $.customer: field renamed to 'customer_id'
    ...    Schema Change Should Be Compatible    order.v1    order.v2


*** Keywords ***
Load Project Schemas
    [Documentation]    The registry every test uses: orderflow's contracts.
    Load Schemas    ${SCHEMAS}

Schema Directory With
    [Documentation]    A fresh directory holding one schema file; returns its path.
    [Arguments]    ${name}    ${content}
    VAR    ${dir}    ${OUTPUT DIR}${/}schemas-${TEST NAME}
    Create File    ${dir}${/}${name}    ${content}
    RETURN    ${dir}
