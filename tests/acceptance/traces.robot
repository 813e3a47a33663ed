*** Settings ***
Documentation     Trace keywords: the OTLP receiver started at import (traces=otlp) and by keyword, spans a
...               service that is not orderflow exports with the OpenTelemetry SDK joined to the test's call
...               to httpbin (which echoes the traceparent Call Api sent), and every failure's exact message.

Library           Seamline    traces=otlp
Library           TraceExporters

Suite Setup       Start Httpbin
Suite Teardown    Stop Trace Receiver

Test Tags         timeline


*** Test Cases ***
Start Trace Receiver Returns The Running Receiver's Endpoint
    ${endpoint} =    Start Trace Receiver
    Should Match Regexp    ${endpoint}    ^http://127\\.0\\.0\\.1:\\d+$
    ${again} =    Start Trace Receiver
    Should Be Equal    ${again}    ${endpoint}

Wait For Trace Joins A Service's Spans Under The Test's Call
    ${endpoint} =    Start Trace Receiver
    ${traceparent} =    Call Httpbin
    Export Spans As Service    ${endpoint}    ${traceparent}    checkout
    ${spans} =    Wait For Trace    services=checkout    timeout=5s
    Length Should Be    ${spans}    2
    ${timeline} =    Get Timeline
    Length Should Be    ${timeline}    3

Received Spans Nest Under The Call That Caused Them
    ${endpoint} =    Start Trace Receiver
    ${traceparent} =    Call Httpbin
    Export Spans As Service    ${endpoint}    ${traceparent}    checkout
    Wait For Trace    services=checkout
    ${server} =    Timeline Should Contain    http    GET    /cart
    Should Be Equal    ${server.parent_id}    ${traceparent.split("-")[2]}
    ${query} =    Timeline Should Contain    sql    select    carts
    Should Be Equal    ${query.service}    checkout
    Should Be Equal    ${query.parent_id}    ${server.span_id}

Wait For Trace Fails At Its Timeout When No Span Arrives
    ${endpoint} =    Start Trace Receiver
    ${traceparent} =    Call Httpbin
    VAR    ${trace}    ${traceparent.split("-")[1]}
    VAR    ${expected}
    ...    Timeline: the trace of this test (trace ${trace}) was not complete within 0.5s
    ...    ${SPACE}from the OTLP receiver at ${endpoint}: no span has arrived.    separator=
    Run Keyword And Expect Error    ${expected}    Wait For Trace    timeout=0.5s

Wait For Trace Fails Naming A Missing Service And A Missing Parent
    ${endpoint} =    Start Trace Receiver
    ${traceparent} =    Call Httpbin
    VAR    ${trace}    ${traceparent.split("-")[1]}
    Export Orphan Span    ${endpoint}    ${traceparent}    renderer    b7ad6b7169203331
    VAR    ${expected}
    ...    Timeline: the trace of this test (trace ${trace}) was not complete within 1s
    ...    ${SPACE}from the OTLP receiver at ${endpoint}: renderer 'render' waits for its parent span b7ad6b7169203331;
    ...    ${SPACE}no span from ledger. Received: 1 from renderer.    separator=
    Run Keyword And Expect Error    ${expected}    Wait For Trace    timeout=1s    services=ledger

Wait For Trace Fails With The Given Message
    Start Trace Receiver
    Call Httpbin
    Run Keyword And Expect Error    the cart service never reported
    ...    Wait For Trace    timeout=200ms    services=cart    msg=the cart service never reported

Wait For Trace Fails At Once Without A Traced Call
    Run Keyword And Expect Error
    ...    Timeline: this test sent no traced call yet: Wait For Trace waits for the spans its calls caused
    ...    Wait For Trace

Spans Exported Without Waiting Stay With Their Test
    [Documentation]    The listener joins what has arrived when the test ends; the next test starts empty.
    ${endpoint} =    Start Trace Receiver
    ${traceparent} =    Call Httpbin
    Export Spans As Service    ${endpoint}    ${traceparent}    checkout

A New Test Starts With Only Its Own Spans
    ${timeline} =    Get Timeline
    Should Be Empty    ${timeline}

Stop Trace Receiver Ends Receiving And Wait For Trace Then Says So
    Stop Trace Receiver
    Call Httpbin
    Run Keyword And Expect Error
    ...    Timeline: no trace source: import Seamline with traces=otlp (or traces=jaeger:<URL>) or call Start Trace Receiver first
    ...    Wait For Trace
    Stop Trace Receiver
    ${endpoint} =    Start Trace Receiver    listen=127.0.0.1:0
    Should Match Regexp    ${endpoint}    ^http://127\\.0\\.0\\.1:\\d+$

Start Trace Receiver Refuses An Address That Is Not Host And Port
    Stop Trace Receiver
    Run Keyword And Expect Error
    ...    Timeline: listen 'localhost' is not host:port (127.0.0.1:0 picks a free port)
    ...    Start Trace Receiver    listen=localhost
    Start Trace Receiver


*** Keywords ***
Start Httpbin
    [Documentation]    httpbin as a real process: it echoes the request headers, traceparent included.
    ${httpbin} =    Start Service    httpbin    python -m httpbin.core --port 0
    ...    ready=log:Running on (http://127.0.0.1:\\d+)    timeout=30s
    Connect To Api    ${httpbin.ready_value}

Call Httpbin
    [Documentation]    One traced call; returns the traceparent it sent, as httpbin saw it.
    ${response} =    Call Api    GET    /headers
    ${traceparent} =    Get Response Field    ${response}    $.headers.Traceparent
    RETURN    ${traceparent}
