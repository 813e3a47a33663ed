*** Settings ***
Documentation    Service control and the timeline keywords: each passing, and failing with its exact message.

Library          Collections
Library          Seamline

Test Teardown    Stop All Services


*** Variables ***
${HTTP_SERVER}    python -m http.server 0 --bind 127.0.0.1
${SERVING}        log:Serving HTTP on \\S+ port (\\d+)


*** Test Cases ***
Start Service Waits For A Log Line And Returns Its Group
    ${svc} =    Start Service    web    ${HTTP_SERVER}    ready=${SERVING}
    Should Match Regexp    ${svc.ready_value}    ^\\d+$
    Start Service    probe    ${HTTP_SERVER}    ready=http://127.0.0.1:${svc.ready_value}/

Start Service Fails With The Output Of A Process That Exits Early
    Run Keyword And Expect Error
    ...    Services: 'early' exited with code 3 before it was ready (127.0.0.1:9). Last output:\nno config
    ...    Start Service    early    python -c "print('no config'); raise SystemExit(3)"    ready=tcp://127.0.0.1:9

Start Service Fails When Never Ready
    Run Keyword And Expect Error
    ...    Services: 'slow' not ready (log line /ready/) within 0.5s; stopped it. Last output:\n(no output)
    ...    Start Service    slow    python -c "import time; time.sleep(30)"    ready=log:ready    timeout=0.5s

Start Service Rejects A Bad Readiness
    Run Keyword And Expect Error
    ...    Services: ready 'ftp://x' must start with http://, https://, tcp:// or log:
    ...    Start Service    bad    ${HTTP_SERVER}    ready=ftp://x

Stop Service Returns The Exit Code
    Start Service    web    ${HTTP_SERVER}    ready=${SERVING}
    ${code} =    Stop Service    web
    Should Be Equal As Integers    ${code}    -15

Stop Service Fails For An Unknown Service
    Run Keyword And Expect Error    Services: no service 'ghost' started (started: none)    Stop Service    ghost

Get Service Resource Usage Measures The Process
    Start Service    web    ${HTTP_SERVER}    ready=${SERVING}
    ${usage} =    Get Service Resource Usage    web
    Should Be True    ${usage.peak_rss_bytes} > 0
    Should Be True    ${usage.open_connections} >= 1

Get Service Resource Usage Fails For A Stopped Service
    Start Service    web    ${HTTP_SERVER}    ready=${SERVING}
    Stop Service    web
    Run Keyword And Expect Error    Services: no service 'web' started (started: none)
    ...    Get Service Resource Usage    web

Service Log Should Contain Text And Regex
    Start Service    web    ${HTTP_SERVER}    ready=${SERVING}
    ${line} =    Service Log Should Contain    web    Serving HTTP
    Should Start With    ${line}    Serving HTTP
    Service Log Should Contain    web    port \\d+    regex=True

Service Log Should Contain Fails Showing The Output
    Start Service    web    ${HTTP_SERVER}    ready=${SERVING}
    Run Keyword And Expect Error
    ...    Services: output of 'web' has no line containing 'listening on 9999'. Last output:\nServing HTTP*
    ...    Service Log Should Contain
    ...    web
    ...    listening on 9999

Service Log Should Contain Fails With The Message Given As Msg
    Start Service    web    ${HTTP_SERVER}    ready=${SERVING}
    Run Keyword And Expect Error    EQUALS:the web server never said it listens on 9999
    ...    Service Log Should Contain    web    listening on 9999    msg=the web server never said it listens on 9999

Stop Service Takes A Grace Time
    Start Service
    ...    stubborn
    ...    python -c "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up'); time.sleep(60)"
    ...    ready=log:up
    ${code} =    Stop Service    stubborn    grace=0.2s
    Should Be Equal As Integers    ${code}    -9

Stop Service Refuses A Negative Grace
    Start Service    web    ${HTTP_SERVER}    ready=${SERVING}
    Run Keyword And Expect Error    EQUALS:Services: grace must be 0 seconds or more, got -1s
    ...    Stop Service    web    grace=-1s

Timeline Keywords Work On The Current Test
    ${spans} =    Get Timeline
    Should Be Empty    ${spans}
    ${latency} =    Get Hop Latencies
    Should Be Empty    ${latency}
    Log Timeline    empty
    Run Keyword And Expect Error    Timeline: no span 'http GET'. Spans recorded:\n${SPACE * 2}(none)
    ...    Timeline Should Contain    http    GET

A Service Started In A Test Is Stopped When The Test Ends
    Start Service    scoped    ${HTTP_SERVER}    ready=${SERVING}
    Service Log Should Contain    scoped    Serving HTTP

The Service Of The Previous Test Is Gone
    Run Keyword And Expect Error    Services: no service 'scoped' started (started: none)
    ...    Service Log Should Contain    scoped    Serving HTTP

Every Crossing Of The Test Is On Its Timeline
    Call A Local Server Twice
    ${spans} =    Get Timeline    system=http
    Length Should Be    ${spans}    2
    Should Be Equal    ${spans[1].attributes}[status]    ${404}
    ${latency} =    Get Hop Latencies
    Should Be Equal As Integers    ${latency}[test>http][count]    2
    Log Timeline    Two calls

Timeline Should Contain Finds A Crossing Or Lists Those Recorded
    Call A Local Server Twice
    ${span} =    Timeline Should Contain    http    GET    /missing
    Should Not Be Empty    ${span.correlation_id}
    Run Keyword And Expect Error    Timeline: no span 'http POST'. Spans recorded:\n*GET http://127.0.0.1:*/ (ok)*
    ...    Timeline Should Contain    http    POST
    Run Keyword And Expect Error    EQUALS:no POST was sent
    ...    Timeline Should Contain    http    POST    msg=no POST was sent
    Timeline Should Contain    http    GET    target=/missing
    Run Keyword And Expect Error    Timeline: no span 'http GET /elsewhere'. Spans recorded:*
    ...    Timeline Should Contain    http    GET    target=/elsewhere


*** Keywords ***
Call A Local Server Twice
    [Documentation]    Starts a local HTTP server and calls it twice: one 200, one 404.
    ${svc} =    Start Service    web    ${HTTP_SERVER}    ready=${SERVING}
    Connect To Api    http://127.0.0.1:${svc.ready_value}
    Call Api    GET    /
    Call Api    GET    /missing    expected_status=404
