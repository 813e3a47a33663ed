*** Settings ***
Documentation     Contracts keywords: JSON Schema registry, every violation listed, OpenAPI responses, schema drift.

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
    ...    Contracts: cannot load ${dir}${/}broken.json: Expecting property name enclosed in double quotes: line 1 column 19 (char 18)
    ...    Load Schemas
    ...    ${dir}

Load Schemas Refuses A File That Is Not A Json Schema
    ${dir} =    Schema Directory With    typo.json    {"properties": {"n": {"type": "integr"}}}
    Run Keyword And Expect Error
    ...    Contracts: 'typo' is not a valid JSON Schema: 'integr' is not valid under any of the given schemas at $.properties.n.type
    ...    Load Schemas
    ...    ${dir}
    Run Keyword And Expect Error
    ...    Contracts: schema directory ${dir}${/}missing does not exist
    ...    Load Schemas    ${dir}${/}missing

Validate Json Accepts Valid Data
    Validate Json    ${ORDER}    order.v1
    VAR    @{items}    ${ORDER}
    VAR    &{page}    items=${items}    next=${None}
    Validate Json    ${page}    order-page.v1
    Validate Json    {"n": 3}    {"type": "object", "properties": {"n": {"type": "integer"}}}    parse=True

Validate Json Lists Every Error With Its Path And Value
    VAR    &{order}    &{ORDER}    quantity=${0}    status=SHIPPED    currency=euro
    VAR    ${expected}
    ...    Contracts: data does not match schema 'order.v1' (3 errors):
    ...    - $.currency: 'euro' does not match '^[A-Z]{3}$' (value: "euro")
    ...    - $.quantity: 0 is less than the minimum of 1 (value: 0)
    ...    - $.status: 'SHIPPED' is not one of ['NEW', 'RESERVED', 'REJECTED', 'CANCELLED'] (value: "SHIPPED")
    ...    separator=\n
    Run Keyword And Expect Error    EQUALS:${expected}    Validate Json    ${order}    order.v1

Validate Json Names An Unknown Schema
    VAR    ${expected}    Contracts: no schema named 'orders' (known: common, envelope.v1, error.v1, *);
    ...    ${SPACE}give a file path, load its directory with `Load Schemas` or import Seamline with schemas=DIRECTORY
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}    Validate Json    ${ORDER}    orders

Validate Json Refuses Malformed Json Text
    Run Keyword And Expect Error
    ...    Contracts: the data is not valid JSON: Expecting value: line 1 column 8 (char 7): '{"id": '
    ...    Validate Json    {"id":${SPACE}    order.v1    parse=True

Validate Json Validates A String As A String Unless Told To Parse It
    Validate Json    1    {"type": "string"}
    Run Keyword And Expect Error
    ...    EQUALS:Contracts: data does not match schema (given inline) (1 error):\n- $: '1' is not of type 'integer' (value: "1")
    ...    Validate Json
    ...    1
    ...    {"type": "integer"}
    Validate Json    1    {"type": "integer"}    parse=True
    VAR    ${expected}
    ...    Contracts: data does not match schema 'order.v1' (1 error):
    ...    - $: '{"id": 1}' is not of type 'object' (value: "{\\"id\\": 1}")
    ...    (the data is a string; give parse=True to validate it as JSON text)
    ...    separator=\n
    Run Keyword And Expect Error    EQUALS:${expected}    Validate Json    {"id": 1}    order.v1

Validate Json Names A Response That Is Not Json
    ${server} =    Start Json Test Server
    Connect To Api    ${server}
    ${html} =    Call Api    GET    /html
    Run Keyword And Expect Error
    ...    Contracts: the response of GET ${server}/html (200) is not valid JSON: Expecting value: line 1 column 1 (char 0): '<*'
    ...    Validate Json
    ...    ${html}
    ...    ${True}

Validate Json Takes Msg
    VAR    &{order}    &{ORDER}    quantity=${0}
    Run Keyword And Expect Error    EQUALS:The order breaks v1
    ...    Validate Json    ${order}    order.v1    msg=The order breaks v1

Validate Json Accepts Boolean Schemas
    Validate Json    ${ORDER}    ${True}
    Validate Json    ${ORDER}    true
    Run Keyword And Expect Error
    ...    EQUALS:Contracts: data does not match schema (given inline) (1 error):\n- $: False schema does not allow 1 (value: 1)
    ...    Validate Json
    ...    ${1}
    ...    ${False}

Validate Json Honours The Draft
    VAR    &{partial}    a=${1}
    Validate Json    ${partial}    {"dependencies": {"a": ["b"]}}
    Run Keyword And Expect Error
    ...    EQUALS:Contracts: data does not match schema (given inline) (1 error):\n- $: 'b' is a dependency of 'a' (value: {"a": 1})
    ...    Validate Json
    ...    ${partial}
    ...    {"dependencies": {"a": ["b"]}}
    ...    draft=7
    Run Keyword And Expect Error
    ...    *'b' is a dependency of 'a'*
    ...    Validate Json
    ...    ${partial}
    ...    {"$schema": "http://json-schema.org/draft-07/schema#", "dependencies": {"a": ["b"]}}
    Run Keyword And Expect Error
    ...    Contracts: unknown JSON Schema draft '8' (known: 2020-12, 2019-09, 7, 6, 4)
    ...    Validate Json    ${partial}    {}    draft=8

Validate Json Asserts Formats Unless Switched Off
    VAR    &{event}    at=yesterday
    VAR    ${schema}    {"properties": {"at": {"format": "date-time"}}}
    VAR    ${expected}    Contracts: data does not match schema (given inline) (1 error):
    ...    - $.at: 'yesterday' is not a 'date-time' (value: "yesterday")    separator=\n
    Run Keyword And Expect Error    EQUALS:${expected}    Validate Json    ${event}    ${schema}
    Validate Json    ${event}    ${schema}    formats=False

Validate Json Retrieves A Remote Ref
    ${dir} =    Schema Directory With
    ...    money.json
    ...    {"$defs": {"amount": {"type": "string", "pattern": "^[0-9]+[.][0-9]{2}$"}}}
    VAR    @{command}    python    -m    http.server    0    --bind    127.0.0.1    --directory    ${dir}
    ${server} =    Start Service    schemas    ${command}    ready=log:Serving HTTP on \\S+ port (\\d+)
    VAR    ${schema}
    ...    {"properties": {"total": {"$ref": "http://127.0.0.1:${server.ready_value}/money.json#/$defs/amount"}}}
    VAR    &{bill}    total=12.50
    Validate Json    ${bill}    ${schema}
    VAR    &{bill}    total=12.5
    Run Keyword And Expect Error    *$.total: '12.5' does not match*
    ...    Validate Json    ${bill}    ${schema}
    [Teardown]    Stop All Services

Validate Json Says When A Schema Path Does Not Exist
    Run Keyword And Expect Error
    ...    Contracts: schema file ${CURDIR}/missing/order.json does not exist
    ...    Validate Json    ${ORDER}    ${CURDIR}/missing/order.json

Validate Json Leaves A Broken Schema File Out
    ${dir} =    Schema Directory With    bad.json    {"properties": ["x"], "$defs": 3}
    Run Keyword And Expect Error    Contracts: 'bad' is not a valid JSON Schema: *
    ...    Load Schemas    ${dir}
    Validate Json    ${ORDER}    order.v1
    Run Keyword And Expect Error    Contracts: no schema named 'bad' (known: *
    ...    Validate Json    ${ORDER}    bad

Response Should Match Openapi Checks Status, Content Type And Body
    ${server} =    Start Json Test Server
    Connect To Api    ${server}
    ${response} =    Call Api    GET    /orders/7
    Response Should Match Openapi    ${response}    spec=${server}/openapi.json
    ${drift} =    Call Api    GET    /drift/7
    VAR    ${expected}
    ...    Contracts: GET /drift/{id} -> 200 does not match ${server}/openapi.json (2 errors):
    ...    - $.quantity: '2' is not of type 'integer' (value: "2")
    ...    - $.status: 'SHIPPED' is not one of ['NEW', 'RESERVED', 'REJECTED'] (value: "SHIPPED")
    ...    separator=\n
    Run Keyword And Expect Error    EQUALS:${expected}    Response Should Match Openapi    ${drift}
    Run Keyword And Expect Error    EQUALS:The drift route breaks the contract
    ...    Response Should Match Openapi    ${drift}    msg=The drift route breaks the contract

Response Should Match Openapi Checks The Content Type And The Operation
    ${server} =    Start Json Test Server
    Connect To Api    ${server}
    ${html} =    Call Api    GET    /html
    VAR    ${expected}    Contracts: GET /html -> 200 does not match ${server}/openapi.json (1 error):
    ...    - content-type: 'text/html' is not one of application/json (value: "text/html")    separator=\n
    Run Keyword And Expect Error
    ...    ${expected}
    ...    Response Should Match Openapi
    ...    ${html}
    ...    spec=${server}/openapi.json
    ${other} =    Call Api    GET    /pages
    Run Keyword And Expect Error
    ...    Contracts: ${server}/openapi.json has no operation for GET /pages
    ...    Response Should Match Openapi    ${other}

Response Should Match Openapi Names A Document It Cannot Load
    ${server} =    Start Json Test Server
    Connect To Api    ${server}
    ${response} =    Call Api    GET    /orders/7
    Run Keyword And Expect Error
    ...    Contracts: ${server}/orders/1 is not an OpenAPI 3 document (no 'openapi: 3.x' field)
    ...    Response Should Match Openapi    ${response}    spec=${server}/orders/1
    Run Keyword And Expect Error
    ...    Contracts: cannot load the document from ${server}/nothing.json: 404 Client Error: Not Found for url: *
    ...    Response Should Match Openapi    ${response}    spec=${server}/nothing.json
    ${closed} =    Closed Port Url
    Run Keyword And Expect Error
    ...    Contracts: cannot load the document from ${closed}/openapi.json: *Connection refused*
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
    ...    Contracts: no schema named 'order.v3' (known: common, envelope.v1, error.v1, *)*
    ...    Compare Schemas    order.v1    order.v3
    Run Keyword And Expect Error
    ...    Contracts: the given schema is not a valid JSON Schema: 'objekt' is not valid under any of the given schemas at $.type
    ...    Compare Schemas
    ...    order.v1
    ...    {"type": "objekt"}

Schema Change Should Be Compatible Lists The Breaking Changes
    Schema Change Should Be Compatible    order.v1    order.v1
    Schema Change Should Be Compatible    {"type": "integer"}    {"type": "number"}
    Run Keyword And Expect Error
    ...    Contracts: 'order.v2' breaks 'order.v1' (1 breaking change):\n- $.customer: field renamed to 'customer_id'
    ...    Schema Change Should Be Compatible    order.v1    order.v2
    Run Keyword And Expect Error    EQUALS:v2 must not break v1
    ...    Schema Change Should Be Compatible    order.v1    order.v2    msg=v2 must not break v1


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
