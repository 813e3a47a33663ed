*** Settings ***
Documentation     API keywords against real HTTP servers: httpbin (run locally) and small local test servers.
...               Each keyword passes, and fails with its exact message.

Library           Seamline
Library           ApiTestServers

Suite Setup       Start Test Servers
Suite Teardown    Stop Test Servers

Test Tags         api


*** Test Cases ***
Call Api Returns The Response
    Connect To Api    ${HTTPBIN}
    VAR    &{params} =    customer=ada    qty=2
    ${response} =    Call Api    GET    /get    params=${params}
    Should Be Equal As Integers    ${response.status_code}    200
    Should Be Equal    ${response.json()}[args][customer]    ada
    Response Field Should Be    ${response}    $.args.qty    2

Call Api Sends A Json Body
    Connect To Api    ${HTTPBIN}
    VAR    &{order} =    customer=ada    quantity=${2}
    ${response} =    Call Api    POST    /anything    json=${order}
    Response Field Should Be    ${response}    $.json.quantity    ${2}
    ${response} =    Call Api    PUT    /anything    json={"sku": "SKU-PEAR"}
    Response Field Should Be    ${response}    $.json.sku    SKU-PEAR

Call Api Fails On An Unexpected Status With The Body
    Connect To Api    ${HTTPBIN}
    Run Keyword And Expect Error
    ...    HTTP: GET ${HTTPBIN}/status/503 expected status 2xx, got 503 SERVICE UNAVAILABLE: <empty body>
    ...    Call Api    GET    /status/503
    Run Keyword And Expect Error
    ...    HTTP: GET ${JSON_SERVER}/nothing expected status 200, got 404 Not Found: {"error": {"code": "NOT_FOUND", "message": "/nothing"}}
    ...    Call Api
    ...    GET
    ...    ${JSON_SERVER}/nothing
    ...    expected_status=200

Expected Status Takes A Code, A List, A Class Or Any
    Connect To Api    ${HTTPBIN}
    Call Api    GET    /status/404    expected_status=404
    Call Api    GET    /status/409    expected_status=200, 409
    VAR    @{codes} =    ${201}    ${409}
    Call Api    GET    /status/201    expected_status=${codes}
    Call Api    GET    /status/418    expected_status=4xx
    Call Api    GET    /status/500    expected_status=any
    Run Keyword And Expect Error
    ...    HTTP: GET ${HTTPBIN}/status/500 expected status 4xx, got 500 INTERNAL SERVER ERROR: <empty body>
    ...    Call Api    GET    /status/500    expected_status=4xx
    Run Keyword And Expect Error
    ...    HTTP: expected_status 'ok' is not a code (200), a class (2xx), a list of those or 'any'
    ...    Call Api    GET    /get    expected_status=ok

Every Call Sends A Correlation Id And A Traceparent
    Connect To Api    ${HTTPBIN}
    ${response} =    Call Api    GET    /headers
    ${traceparent} =    Get Response Field    ${response}    $.headers.Traceparent
    Should Match Regexp    ${traceparent}    ^00-[0-9a-f]{32}-[0-9a-f]{16}-01$
    ${correlation_id} =    Get Response Field    ${response}    $.headers['X-Correlation-Id']
    Should Contain    ${traceparent}    ${correlation_id}
    VAR    &{mine} =    X-Correlation-Id=order-journey-42
    ${response} =    Call Api    GET    /headers    headers=${mine}
    Response Field Should Be    ${response}    $.headers['X-Correlation-Id']    order-journey-42

Auth Takes Basic, Bearer And Api Key Headers
    VAR    @{basic} =    basic    bob    hunter-22
    Connect To Api    ${HTTPBIN}    alias=basic    auth=${basic}
    Call Api    GET    /basic-auth/bob/hunter-22
    Connect To Api    ${HTTPBIN}    alias=bearer    auth=token-abc-123
    ${response} =    Call Api    GET    /bearer
    Response Field Should Be    ${response}    $.token    token-abc-123
    VAR    &{api_key} =    X-Api-Key=key-xyz-789
    Connect To Api    ${HTTPBIN}    alias=key    auth=${api_key}
    ${response} =    Call Api    GET    /headers
    Response Field Should Be    ${response}    $.headers['X-Api-Key']    key-xyz-789

Wrong Credentials And Unsupported Auth Forms Fail
    VAR    @{basic} =    basic    bob    hunter-22
    Connect To Api    ${HTTPBIN}    alias=basic    auth=${basic}
    Run Keyword And Expect Error
    ...    HTTP: GET ${HTTPBIN}/basic-auth/bob/other expected status 2xx, got 401 UNAUTHORIZED: <empty body>
    ...    Call Api    GET    /basic-auth/bob/other
    VAR    @{digest} =    digest    bob    pw
    VAR    ${expected}    EQUALS:HTTP: auth must be a token (bearer), [bearer, token], [basic, user, password],
    ...    [header, name, value] or a dictionary of headers; got a list of 3 items starting 'digest'
    Run Keyword And Expect Error    ${expected}
    ...    Connect To Api
    ...    ${HTTPBIN}
    ...    auth=${digest}

Calls Without A Session Say Which Keyword Opens One
    Connect To Api    ${HTTPBIN}    alias=short-lived
    Disconnect From Api    short-lived
    Run Keyword And Expect Error
    ...    HTTP: no 'short-lived' connection (open: *); open one with `Connect To Api`
    ...    Call Api    GET    /get    alias=short-lived

Switch Api Makes Another Session The Current One
    Connect To Api    ${HTTPBIN}    alias=switch-bin
    Connect To Api    ${JSON_SERVER}    alias=switch-json
    Switch Api    switch-bin
    ${response} =    Call Api    GET    /get
    Should Be Equal    ${response.url}    ${HTTPBIN}/get
    [Teardown]    Close Switch Sessions

Switch Api Fails For An Unknown Alias Listing The Open Sessions
    Connect To Api    ${HTTPBIN}    alias=switch-bin
    Run Keyword And Expect Error
    ...    HTTP: no 'switch-bim' connection (open: *switch-bin*); open one with `Connect To Api`
    ...    Switch Api    switch-bim
    [Teardown]    Disconnect From Api    switch-bin

Disconnect From Api Fails For An Unknown Alias And Keeps The Session
    Connect To Api    ${HTTPBIN}    alias=switch-bin
    Run Keyword And Expect Error
    ...    HTTP: no 'switch-bim' connection to close (open: *switch-bin*)
    ...    Disconnect From Api    switch-bim
    Call Api    GET    /get    alias=switch-bin
    [Teardown]    Disconnect From Api    switch-bin

Get Response Field Returns The Value Or A Default
    Connect To Api    ${JSON_SERVER}
    ${response} =    Call Api    GET    /orders/7
    ${quantity} =    Get Response Field    ${response}    quantity
    Should Be Equal    ${quantity}    ${2}
    ${missing} =    Get Response Field    ${response}    $.reason    default=none
    Should Be Equal    ${missing}    none
    VAR    ${expected}    EQUALS:HTTP: GET ${JSON_SERVER}/orders/7 (200 OK): '$.reason' matches nothing;
    ...    body: {"id": "7", "quantity": 2, "status": "NEW"}
    Run Keyword And Expect Error    ${expected}
    ...    Get Response Field
    ...    ${response}
    ...    $.reason
    Run Keyword And Expect Error
    ...    HTTP: '$.[' is not a valid JSONPath: *
    ...    Get Response Field    ${response}    $.[

Response Field Should Be Names The Request, The Path And The Body
    Connect To Api    ${JSON_SERVER}
    ${response} =    Call Api    GET    /orders/7
    Response Field Should Be    ${response}    $.status    NEW
    Response Field Should Be    ${response}    $.quantity    2
    VAR    ${expected}    EQUALS:HTTP: GET ${JSON_SERVER}/orders/7 (200 OK): '$.status' is 'NEW', expected 'RESERVED';
    ...    body: {"id": "7", "quantity": 2, "status": "NEW"}
    Run Keyword And Expect Error    ${expected}
    ...    Response Field Should Be
    ...    ${response}
    ...    $.status
    ...    RESERVED
    VAR    ${expected}    EQUALS:HTTP: GET ${JSON_SERVER}/orders/7 (200 OK): '$.reason' matches nothing, expected 'x';
    ...    body: {"id": "7", "quantity": 2, "status": "NEW"}
    Run Keyword And Expect Error    ${expected}
    ...    Response Field Should Be
    ...    ${response}
    ...    $.reason
    ...    x

Response Field Should Be On Data Names The Path And Shows The Data
    VAR    &{data}    status=NEW
    Run Keyword And Expect Error
    ...    HTTP: '$.status' is 'NEW', expected 'RESERVED'; data: {*"status": "NEW"*}
    ...    Response Field Should Be    ${data}    $.status    RESERVED

Response Field Should Be Takes Msg
    Connect To Api    ${JSON_SERVER}
    ${response} =    Call Api    GET    /orders/7
    Run Keyword And Expect Error    EQUALS:The order should be reserved
    ...    Response Field Should Be    ${response}    $.status    RESERVED    msg=The order should be reserved
    Run Keyword And Expect Error    EQUALS:The order has no reason
    ...    Response Field Should Be    ${response}    $.reason    x    msg=The order has no reason

Fields Compare By The One Comparison Rule
    [Documentation]    Numbers numerically, booleans and null by their Robot and JSON spellings, timestamps as
    ...    instants.
    Connect To Api    ${JSON_SERVER}
    ${response} =    Call Api    GET    /values
    Response Field Should Be    ${response}    $.amount    12.50
    Response Field Should Be    ${response}    $.amount    ${12.5}
    Response Field Should Be    ${response}    $.paid    true
    Response Field Should Be    ${response}    $.paid    ${True}
    Response Field Should Be    ${response}    $.note    None
    Response Field Should Be    ${response}    $.note    null
    Response Field Should Be    ${response}    $.at    2026-11-24T11:00:00+01:00

Fields That Differ By The One Comparison Rule Fail
    [Documentation]    Two texts compare as text: the code '007' is not 7.
    Connect To Api    ${JSON_SERVER}
    ${response} =    Call Api    GET    /values
    Run Keyword And Expect Error
    ...    HTTP: GET ${JSON_SERVER}/values (200 OK): '$.code' is '007', expected '7'; body: {"amount": 12.5, *}
    ...    Response Field Should Be    ${response}    $.code    7
    Run Keyword And Expect Error
    ...    HTTP: GET ${JSON_SERVER}/values (200 OK): '$.paid' is True, expected 'false'; body: *
    ...    Response Field Should Be    ${response}    $.paid    false

Wait Until Api Returns Compares By The One Comparison Rule
    Connect To Api    ${JSON_SERVER}
    Wait Until Api Returns    GET    /values    $.amount    12.50    timeout=2s
    Wait Until Api Returns    GET    /values    $.note    null    timeout=2s
    Wait Until Api Returns    GET    /values    $.paid    true    timeout=2s

A Response That Is Not Json Fails Clearly
    Connect To Api    ${JSON_SERVER}
    ${response} =    Call Api    GET    /html
    Run Keyword And Expect Error
    ...    HTTP: response of GET ${JSON_SERVER}/html (200, text/html; charset=utf-8) is not JSON: <!DOCTYPE html><p>not json</p>
    ...    Get Response Field
    ...    ${response}
    ...    $.status

A Malformed Json Body Fails Before Sending
    Connect To Api    ${HTTPBIN}
    Run Keyword And Expect Error
    ...    HTTP: json= '{"a": ' is not valid JSON: Expecting value: line 1 column 7 (char 6)
    ...    Call Api    POST    /anything    json={"a":${SPACE}

Wait Until Api Returns Polls Until The Field Has The Value
    Connect To Api    ${JSON_SERVER}
    ${response} =    Wait Until Api Returns    GET    /eventually/RESERVED/${TEST NAME}    $.status    RESERVED
    ...    timeout=5s    interval=50ms
    Response Field Should Be    ${response}    $.polls    3

Wait Until Api Returns Traces Its First Attempt And Sends The Repeats Unsampled
    Connect To Api    ${JSON_SERVER}
    Wait Until Api Returns    GET    /eventually/RESERVED/sampling    $.status    RESERVED    timeout=5s    interval=50ms
    ${polls} =    Get Timeline    system=http
    ${sent} =    Call Api    GET    /eventually/traceparents/sampling
    ${flags} =    Evaluate    [traceparent.split("-")[3] for traceparent in $sent.json()["traceparents"]]
    Should Be Equal    ${flags}    ${{["01", "00", "00"]}}
    Should Be Equal    ${{[poll.sampled for poll in $polls]}}    ${{[True, False, False]}}
    Should Be Equal    ${{[poll.trace_id for poll in $polls]}}
    ...    ${{[traceparent.split("-")[1] for traceparent in $sent.json()["traceparents"]]}}

Wait Until Api Returns Stops At Once On A Fail On State
    Connect To Api    ${JSON_SERVER}
    VAR    ${expected}    HTTP: GET ${JSON_SERVER}/eventually/REJECTED/stop: '$.status' is 'REJECTED' (a fail_on value)
    ...    after *s, expected 'RESERVED'; got 200 OK: {"id": "stop", "status": "REJECTED", "polls": 3}
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Api Returns
    ...    GET
    ...    /eventually/REJECTED/stop
    ...    $.status
    ...    RESERVED
    ...    timeout=30s
    ...    interval=50ms
    ...    fail_on=REJECTED

Wait Until Api Returns Takes Msg
    Connect To Api    ${JSON_SERVER}
    Run Keyword And Expect Error    EQUALS:Order 9 was never reserved
    ...    Wait Until Api Returns    GET    /orders/9    $.status    RESERVED    timeout=0.3s    interval=50ms
    ...    msg=Order 9 was never reserved

Wait Until Api Returns Shows The Last Response On Timeout
    Connect To Api    ${JSON_SERVER}
    VAR    ${expected}    HTTP: GET ${JSON_SERVER}/orders/9: '$.status' did not become 'RESERVED' within 0.3s
    ...    (* attempts); last response: '$.status' is 'NEW', got 200 OK: {"id": "9", "quantity": 2, "status": "NEW"}
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Api Returns
    ...    GET
    ...    /orders/9
    ...    $.status
    ...    RESERVED
    ...    timeout=0.3s
    ...    interval=50ms

Get All Pages Follows The Cursor
    Connect To Api    ${JSON_SERVER}
    ${items} =    Get All Pages    /pages    limit=3
    Length Should Be    ${items}    7
    Should Be Equal    ${items}[6][id]    ${7}
    Run Keyword And Expect Error
    ...    HTTP: page 2 of GET /looping-pages: '$.next' repeats 'same'; paging would loop
    ...    Get All Pages    /looping-pages
    Run Keyword And Expect Error
    ...    HTTP: GET /pages has more than 2 pages (max_pages); 2 items so far
    ...    Get All Pages    /pages    limit=1    max_pages=2
    Run Keyword And Expect Error
    ...    HTTP: page 1 of GET /orders/1: '$.items' is nothing, not a list: {*"status": "NEW"*}
    ...    Get All Pages    /orders/1

An Unreachable Host Fails At Once
    ${url} =    Closed Port Url
    Connect To Api    ${url}    alias=nowhere
    Run Keyword And Expect Error
    ...    EQUALS:HTTP: GET ${url}/orders failed: cannot connect: [Errno 111] Connection refused
    ...    Call Api    GET    /orders

A Certificate Nobody Signed Is A Tls Error
    Connect To Api    ${TLS_SERVER}    alias=tls
    VAR    ${expected}    EQUALS:HTTP: GET ${TLS_SERVER}/orders/1 failed:
    ...    TLS error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate
    Run Keyword And Expect Error    ${expected}
    ...    Call Api
    ...    GET
    ...    /orders/1
    Connect To Api    ${TLS_SERVER}    alias=tls-missing-bundle    verify=/nonexistent/ca.pem
    VAR    ${expected}    EQUALS:HTTP: GET ${TLS_SERVER}/orders/1 could not be sent:
    ...    Could not find a suitable TLS CA certificate bundle, invalid path: /nonexistent/ca.pem
    Run Keyword And Expect Error    ${expected}
    ...    Call Api
    ...    GET
    ...    /orders/1
    Connect To Api    ${TLS_SERVER}    alias=tls-unverified    verify=False
    ${response} =    Call Api    GET    /orders/1
    Response Field Should Be    ${response}    $.id    1

A Slow Answer Fails At The Call's Deadline
    Connect To Api    ${HTTPBIN}    alias=impatient    timeout=0.3s
    Run Keyword And Expect Error
    ...    EQUALS:HTTP: GET ${HTTPBIN}/delay/3 failed: no response within 0.3s (timeout)
    ...    Call Api    GET    /delay/3

A Body That Trickles In Fails At The Call's Deadline
    [Documentation]    httpbin's /drip sends its 5 bytes over 10 seconds: every read gets a byte in time,
    ...    the whole call does not.
    Connect To Api    ${HTTPBIN}    alias=trickle
    VAR    ${expected}    HTTP: GET ${HTTPBIN}/drip?duration=10&numbytes=5 failed: 200 OK came, but not its whole body
    ...    within 1s (timeout; * of 5 bytes received)
    Run Keyword And Expect Error    ${expected}
    ...    Call Api
    ...    GET
    ...    /drip?duration=10&numbytes=5
    ...    timeout=1s

Call Api Takes Msg
    Connect To Api    ${HTTPBIN}
    Run Keyword And Expect Error    EQUALS:The gateway is down
    ...    Call Api    GET    /status/503    msg=The gateway is down

Disconnect From All Apis Closes Every Session
    Connect To Api    ${HTTPBIN}    alias=first
    Connect To Api    ${JSON_SERVER}    alias=second
    Disconnect From All Apis
    Run Keyword And Expect Error
    ...    HTTP: no 'second' connection (open: none); open one with `Connect To Api`
    ...    Call Api    GET    /get    alias=second
    Disconnect From All Apis


*** Keywords ***
Start Test Servers
    [Documentation]    httpbin as a real process, the JSON and TLS test servers in threads.
    ${httpbin} =    Start Service    httpbin    python -m httpbin.core --port 0
    ...    ready=log:Running on (http://127.0.0.1:\\d+)    timeout=30s
    VAR    ${HTTPBIN}    ${httpbin.ready_value}    scope=SUITE    # robocop: off=VAR05
    ${json_server} =    Start Json Test Server
    VAR    ${JSON_SERVER}    ${json_server}    scope=SUITE    # robocop: off=VAR05
    ${tls_server} =    Start Self Signed Tls Server
    VAR    ${TLS_SERVER}    ${tls_server}    scope=SUITE    # robocop: off=VAR05

Close Switch Sessions
    [Documentation]    Closes the two sessions the `Switch Api` tests open.
    Disconnect From Api    switch-bin
    Disconnect From Api    switch-json
