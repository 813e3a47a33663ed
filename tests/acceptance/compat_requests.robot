*** Settings ***
Documentation     RequestsLibrary's keywords written as its documentation writes them, with Seamline imported
...               beside it: every request is an http span of the timeline and carries trace context.
...               Run with ``--variable SEAMLINE:BuiltIn`` the same tests pass without Seamline (the span
...               checks are then left out): importing Seamline changes nothing RequestsLibrary does.

Library           Collections
Library           RequestsLibrary
Library           Httpbin
Library           ${SEAMLINE}

Suite Setup       Start Httpbin Session
Suite Teardown    Run Keywords    Delete All Sessions    AND    Stop Httpbin

Test Tags         api    compat


*** Variables ***
${SEAMLINE}    Seamline


*** Test Cases ***
GET On Session With Expected Status Sends Trace Context
    ${resp} =    GET On Session    httpbin    /headers    expected_status=200
    Should Be Equal As Strings    ${resp.status_code}    200
    IF    ${TRACED}
        The Span Should Carry The Trace Context Httpbin Echoed    ${resp}
    ELSE
        Dictionary Should Not Contain Key    ${resp.json()}[headers]    Traceparent
    END

POST On Session With Json Is One Span
    VAR    &{order}    sku=SKU-APPLE    quantity=${2}
    ${resp} =    POST On Session    httpbin    /post    json=${order}    expected_status=200
    Dictionaries Should Be Equal    ${resp.json()}[json]    ${order}
    IF    ${TRACED}
        ${spans} =    Get Timeline    system=http    operation=POST
        Length Should Be    ${spans}    1
        Should Be Equal    ${spans[0].bytes_sent}    ${{ len($resp.request.body) }}
        Should Contain    ${spans[0].target}    /post
    END

A Header The Test Gives Is Kept
    VAR    &{headers}    X-Correlation-Id=order-42
    ${resp} =    GET On Session    httpbin    /headers    headers=${headers}    expected_status=200
    Should Be Equal    ${resp.json()}[headers][X-Correlation-Id]    order-42
    IF    ${TRACED}
        ${span} =    Timeline Should Contain    http    GET    /headers
        Should Be Equal    ${span.correlation_id}    order-42
        Should Not Be Equal    ${span.trace_id}    ${None}
    END

Server Timing Of The Response Is Read
    VAR    &{params}    Server-Timing=db;dur=53.5, app;dur=12
    GET On Session    httpbin    /response-headers    params=${params}    expected_status=200
    IF    ${TRACED}
        ${span} =    Timeline Should Contain    http    GET    /response-headers
        VAR    &{expected}    db=${53.5}    app=${12.0}
        Dictionaries Should Be Equal    ${span.attributes}[server_timing]    ${expected}
    END

A Failing Status Is A Failed Span And RequestsLibrary Still Fails
    Run Keyword And Expect Error    HTTPError: 500 Server Error: INTERNAL SERVER ERROR for url: *
    ...    GET On Session    httpbin    /status/500
    ${resp} =    GET On Session    httpbin    /status/404    expected_status=404
    Should Be Equal As Strings    ${resp.status_code}    404
    IF    ${TRACED}
        ${failed} =    Timeline Should Contain    http    GET    /status/500
        Should Be Equal    ${failed.outcome}    status 500
        ${missing} =    Timeline Should Contain    http    GET    /status/404
        Should Be Equal    ${missing.outcome}    ok
    END

Every Hop Of A Redirect Is A Span
    ${resp} =    GET On Session    httpbin    /redirect-to    params=url=/get    expected_status=200
    Should Be Equal    ${resp.json()}[url]    ${HTTPBIN}/get
    IF    ${TRACED}
        ${spans} =    Get Timeline    system=http
        ${statuses} =    Evaluate    [span.attributes['status'] for span in $spans]
        Should Be Equal    ${statuses}    ${{ [302, 200] }}
        Should Contain    ${spans[0].target}    /redirect-to?url=/get
        Should Be Equal    ${spans[1].target}    ${HTTPBIN}/get
        Log Timeline    Redirected GET On Session
    END

A Session With Retries Keeps Its Retries
    Create Session    retrying    ${HTTPBIN}    max_retries=2    backoff_factor=0
    ${resp} =    GET On Session    retrying    /get    expected_status=200
    ${adapter} =    Evaluate    $resp.connection
    Should Be Equal    ${adapter.max_retries.total}    ${2}
    IF    ${TRACED}    Timeline Should Contain    http    GET    /get

Sessionless GET Is A Span
    ${resp} =    GET    ${HTTPBIN}/get    params=q=seam    expected_status=200
    Should Be Equal    ${resp.json()}[args][q]    seam
    IF    ${TRACED}
        ${span} =    Timeline Should Contain    http    GET    /get?q=seam
        Should Be Equal    ${span.attributes}[status]    ${200}
        Should Be Equal    ${span.bytes_received}    ${{ len($resp.content) }}
    END


*** Keywords ***
The Span Should Carry The Trace Context Httpbin Echoed
    [Documentation]    httpbin's /headers echoes what it received: the span names the same ids.
    [Arguments]    ${resp}
    ${traceparent} =    Get From Dictionary    ${resp.json()}[headers]    Traceparent
    Should Match Regexp    ${traceparent}    ^00-[0-9a-f]{32}-[0-9a-f]{16}-01$
    ${correlation} =    Get From Dictionary    ${resp.json()}[headers]    X-Correlation-Id
    ${span} =    Timeline Should Contain    http    GET    /headers
    Should Be Equal    ${span.attributes}[status]    ${200}
    Should Be Equal    ${span.correlation_id}    ${correlation}
    Should Be Equal    00-${span.trace_id}-${span.span_id}-01    ${traceparent}
    Should Be Equal    ${span.bytes_received}    ${{ len($resp.content) }}
    Should Be True    ${span.duration} > 0

Start Httpbin Session
    [Documentation]    httpbin in a thread (no Seamline needed) and the session every test uses.
    ${url} =    Start Httpbin
    VAR    ${HTTPBIN}    ${url}    scope=SUITE    # robocop: off=VAR05
    VAR    ${TRACED}    ${{ $SEAMLINE == 'Seamline' }}    scope=SUITE    # robocop: off=VAR05
    Create Session    httpbin    ${HTTPBIN}    verify=True
