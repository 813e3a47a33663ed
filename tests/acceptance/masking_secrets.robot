*** Settings ***
Documentation     Secrets canary for user-named secrets: a credential in a header (X-Custom-Auth) and a field
...               (session_ref) that the masker does not know by itself, passed as plain text, not as Secret
...               values, sent to httpbin (which echoes them back). The import argument secret_names names them.
...               tests/integration/test_masking_secrets.py runs this suite at TRACE with canary values and
...               searches output.xml, log.html and the console for them, and runs it once without the names
...               to show that the search finds them then.

Library           Seamline    secret_names=%{SEAMLINE_SECRET_NAMES=X-Custom-Auth,session_ref}

Suite Setup       Start Httpbin
Suite Teardown    Stop All Services

Test Tags         api    secrets


*** Variables ***
${AUTH}    %{MASK_CANARY_AUTH=masking-canary-auth-0001}
${REF}     %{MASK_CANARY_REF=masking-canary-ref-0002}


*** Test Cases ***
A Named Header Is Sent And Never Logged
    Connect To Api    ${HTTPBIN}    alias=custom
    VAR    &{headers}    X-Custom-Auth=${AUTH}
    ${response} =    Call Api    GET    /headers    headers=${headers}
    # Compared in an expression: Should Be Equal would log both values, with nothing to say they are secret.
    Should Be True    $response.json()['headers']['X-Custom-Auth'] == $AUTH
    Log    ${response.text}
    Log    X-Custom-Auth: ${AUTH}
    Run Keyword And Expect Error    HTTP: GET */anything expected status 418, got 200 OK: *
    ...    Call Api    GET    /anything    headers=${headers}    expected_status=418

A Named Field Is Sent And Never Logged
    Connect To Api    ${HTTPBIN}    alias=field
    VAR    &{body}    user=bob    session_ref=${REF}
    ${response} =    Call Api    POST    /anything    json=${body}    params=${body}
    Should Be True    $response.json()['json']['session_ref'] == $REF
    Log    ${response.text}
    Log    ${response.json()}
    Run Keyword And Expect Error    HTTP: POST */anything* expected status 418, got 200 OK: *
    ...    Call Api    POST    /anything    json=${body}    expected_status=418


*** Keywords ***
Start Httpbin
    [Documentation]    httpbin as a real local process on a free port.
    ${httpbin} =    Start Service    httpbin    python -m httpbin.core --port 0
    ...    ready=log:Running on (http://127.0.0.1:\\d+)    timeout=30s
    VAR    ${HTTPBIN}    ${httpbin.ready_value}    scope=SUITE    # robocop: off=VAR05
