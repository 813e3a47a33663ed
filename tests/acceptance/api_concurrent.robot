*** Settings ***
Documentation     Call Api Concurrently against httpbin (run locally): every response in request order, the latency
...               percentiles, a span per request, and every failure counted, with its exact message.

Library           Collections
Library           Seamline
Library           ApiTestServers

Suite Setup       Start Test Servers
Suite Teardown    Stop Test Servers

Test Tags         api


*** Test Cases ***
Call Api Concurrently Returns Every Response And The Latency
    Connect To Api    ${HTTPBIN}
    VAR    &{order} =    customer=ada    quantity=${2}
    ${load} =    Call Api Concurrently    POST    /anything    count=6    concurrency=3    json=${order}
    Length Should Be    ${load.responses}    6
    FOR    ${response}    IN    @{load.responses}
        Response Field Should Be    ${response}    $.json.quantity    ${2}
    END
    Should Be Equal    ${load.statuses}    ${{ {200: 6} }}
    Should Be Equal As Integers    ${load.latency}[count]    6
    Should Be True    0 < ${load.latency}[p50_ms] <= ${load.latency}[p95_ms] <= ${load.latency}[max_ms]
    ${spans} =    Get Timeline    system=http    operation=POST
    Length Should Be    ${spans}    6

Call Api Concurrently Sends Each Request With Its Own Correlation Id
    Connect To Api    ${HTTPBIN}
    ${load} =    Call Api Concurrently    GET    /headers    count=4    concurrency=4
    ${ids} =    Evaluate    {response.json()['headers']['X-Correlation-Id'] for response in $load.responses}
    Length Should Be    ${ids}    4

Call Api Concurrently Counts Every Unexpected Status Once
    Connect To Api    ${HTTPBIN}
    VAR    ${expected}    EQUALS:HTTP: GET ${HTTPBIN}/status/503: 3 of 3 requests failed (expected status 2xx):
    ...    ${SPACE * 2}3 x got 503 SERVICE UNAVAILABLE, the first: <empty body>
    ...    separator=\n
    Run Keyword And Expect Error    ${expected}
    ...    Call Api Concurrently
    ...    GET
    ...    /status/503
    ...    count=3
    ...    concurrency=3
    ${load} =    Call Api Concurrently    GET    /status/503    count=2    expected_status=any
    Should Be Equal    ${load.statuses}    ${{ {503: 2} }}

Call Api Concurrently Ends Each Request At Its Timeout
    Connect To Api    ${HTTPBIN}
    VAR    ${expected}    EQUALS:HTTP: GET ${HTTPBIN}/delay/3: 2 of 2 requests failed (expected status 2xx):
    ...    ${SPACE * 2}2 x failed: no response within 0.3s (timeout)
    ...    separator=\n
    Run Keyword And Expect Error    ${expected}
    ...    Call Api Concurrently
    ...    GET
    ...    /delay/3
    ...    count=2
    ...    concurrency=2
    ...    timeout=0.3s

Call Api Concurrently Reports A Server Nobody Answers
    ${url} =    Closed Port Url
    Connect To Api    ${url}
    VAR    ${expected}    EQUALS:HTTP: POST ${url}/orders: 2 of 2 requests failed (expected status 201):
    ...    ${SPACE * 2}2 x failed: cannot connect: [Errno 111] Connection refused
    ...    separator=\n
    Run Keyword And Expect Error    ${expected}
    ...    Call Api Concurrently
    ...    POST
    ...    /orders
    ...    count=2
    ...    json={}
    ...    expected_status=201

Call Api Concurrently Takes A Message Of Its Own
    Connect To Api    ${HTTPBIN}
    Run Keyword And Expect Error    EQUALS:the teapot refused
    ...    Call Api Concurrently    GET    /status/418    count=2    msg=the teapot refused

Call Api Concurrently Refuses A Load Of Nothing
    Connect To Api    ${HTTPBIN}
    Run Keyword And Expect Error    EQUALS:HTTP: count must be at least 1, got 0
    ...    Call Api Concurrently    GET    /get    count=0


*** Keywords ***
Start Test Servers
    [Documentation]    httpbin as a real process.
    ${httpbin} =    Start Service    httpbin    python -m httpbin.core --port 0
    ...    ready=log:Running on (http://127.0.0.1:\\d+)    timeout=30s
    VAR    ${HTTPBIN}    ${httpbin.ready_value}    scope=SUITE    # robocop: off=VAR05
