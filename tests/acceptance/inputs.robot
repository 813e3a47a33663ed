*** Settings ***
Documentation     Api Should Handle Unexpected Inputs against systems Seamline did not write to pass: a
...               deliberately buggy notes API (tests/buggy_api.py) and httpbin. Each finding is listed once,
...               with a reproducer and the seed; the same seed finds the same problems again.

Library           Collections
Library           Seamline
Library           BuggyApi

Suite Setup       Start Servers
Suite Teardown    Stop Buggy Api

Test Tags         inputs    api


*** Variables ***
${SEED}    1


*** Test Cases ***
The Buggy Api's Server Error On A Control Character Is Found With A Reproducer
    Connect To Api    ${BUGGY}
    ${message} =    Run Keyword And Expect Error    Inputs: *
    ...    Api Should Handle Unexpected Inputs    operation=GET /notes/{name}    examples=60    seed=${SEED}
    ...    checks=not_a_server_error
    Should Match Regexp
    ...    ${message}
    ...    ^Inputs: \\d distinct problem\\(s\\) in 60 requests \\(GET /notes/\\{name\\}: 60\\); seed=1 sends the same requests again:\n
    Should Contain    ${message}    GET /notes/{name} [not_a_server_error] Server error, got 500
    Should Contain    ${message}    \n${SPACE * 4}curl -X GET

The Same Seed Finds The Same Problems Again
    Connect To Api    ${BUGGY}
    ${first} =    Run Keyword And Expect Error    Inputs: *
    ...    Api Should Handle Unexpected Inputs    examples=40    seed=${SEED}    checks=not_a_server_error
    ${again} =    Run Keyword And Expect Error    Inputs: *
    ...    Api Should Handle Unexpected Inputs    examples=40    seed=${SEED}    checks=not_a_server_error
    ${first} =    Problem Lines Of    ${first}
    ${again} =    Problem Lines Of    ${again}
    Should Be Equal    ${first}    ${again}
    Should Contain Match    ${first}    POST /notes [[]not_a_server_error] Server error, got 500 (* requests): *
    Should Contain Match    ${first}    GET /notes/{name} [[]not_a_server_error] Server error, got 500 (* requests): *

A Cut Header Value Is A Schema-Violating Request Accepted
    Connect To Api    ${BUGGY}
    ${message} =    Run Keyword And Expect Error    Inputs: *
    ...    Api Should Handle Unexpected Inputs    operation=POST /notes    examples=40    seed=${SEED}
    ...    checks=negative_data_rejection    mode=invalid
    Should Contain    ${message}    POST /notes [negative_data_rejection] Schema-violating request accepted, got 201

A Dropped Connection Is A Problem Without A Response
    Connect To Api    ${BUGGY}
    ${message} =    Run Keyword And Expect Error    Inputs: *
    ...    Api Should Handle Unexpected Inputs    operation=GET /notes/{name}    examples=200    seed=${SEED}
    ...    checks=correlation_id
    Should Contain    ${message}    [response] no HTTP response, got no response
    Should Contain    ${message}    failed: the connection was lost before a response

An Unknown Operation Fails Naming The Document's Operations
    Connect To Api    ${BUGGY}
    Run Keyword And Expect Error
    ...    Inputs: operation(s) DELETE /notes not in the document; it has: GET /notes/{name}, POST /notes
    ...    Api Should Handle Unexpected Inputs    operation=DELETE /notes

An Unknown Check Fails Listing The Checks
    Connect To Api    ${BUGGY}
    VAR    ${expected}    SEPARATOR=
    ...    Inputs: unknown check(s) no_500; use all or some of: not_a_server_error, status_code_conformance,
    ...    ${SPACE}content_type_conformance, response_headers_conformance, response_schema_conformance,
    ...    ${SPACE}negative_data_rejection, positive_data_acceptance, missing_required_header, unsupported_method,
    ...    ${SPACE}allow_header_conformance, correlation_id, error_schema
    Run Keyword And Expect Error    ${expected}
    ...    Api Should Handle Unexpected Inputs
    ...    checks=no_500

An Unknown Mode Fails
    Connect To Api    ${BUGGY}
    Run Keyword And Expect Error    Inputs: mode must be all, valid or invalid, got 'hostile'
    ...    Api Should Handle Unexpected Inputs    mode=hostile

Httpbin Survives Generated Inputs To Its Echo Endpoints
    [Documentation]    A document of two httpbin endpoints, written from its behaviour: no 5xx, answers as described.
    Connect To Api    ${HTTPBIN}
    ${summary} =    Api Should Handle Unexpected Inputs    openapi=${CURDIR}/documents/httpbin-openapi.yaml
    ...    examples=10    seed=${SEED}    checks=not_a_server_error, response_schema_conformance
    Should Be Equal As Integers    ${summary}[requests]    20
    Should Be Equal As Integers    ${summary}[problems]    0


*** Keywords ***
Start Servers
    [Documentation]    The buggy notes API in a thread, httpbin as a real process.
    ${url} =    Start Buggy Api
    VAR    ${BUGGY}    ${url}    scope=SUITE    # robocop: off=VAR05
    ${httpbin} =    Start Service    httpbin    python -m httpbin.core --port 0
    ...    ready=log:Running on (http://127.0.0.1:\\d+)    timeout=30s
    VAR    ${HTTPBIN}    ${httpbin.ready_value}    scope=SUITE    # robocop: off=VAR05

Problem Lines Of
    [Documentation]    The problem lines of a failure, without the reproducers (their correlation ids differ).
    [Arguments]    ${message}
    ${lines} =    Evaluate    [line for line in $message.splitlines() if not line.startswith(chr(32))]
    RETURN    ${lines}
