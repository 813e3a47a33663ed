*** Settings ***
Documentation    Secrets canary for the API seam: basic, bearer and API-key auth and a password field in a
...              body, sent to httpbin (which echoes them back) at --loglevel TRACE. tests/integration/
...              test_api_secrets.py runs this suite with random secrets and searches output.xml and
...              log.html for them.

Library          Seamline

Suite Setup      Start Httpbin

Test Tags        api    secrets


*** Variables ***
${PASSWORD: Secret}    %{SEAMLINE_CANARY_PASSWORD=canary-password-0001}
${TOKEN: Secret}       %{SEAMLINE_CANARY_TOKEN=canary-token-0002}
${API_KEY: Secret}     %{SEAMLINE_CANARY_API_KEY=canary-api-key-0003}


*** Test Cases ***
Basic Auth Is Sent And Never Logged
    VAR    @{auth}    basic    bob    ${PASSWORD}
    Connect To Api    ${HTTPBIN}    alias=basic    auth=${auth}
    ${response} =    Call Api    GET    /headers
    ${sent} =    Get Response Field    ${response}    $.headers.Authorization
    Should Start With    ${sent}    Basic${SPACE}
    Log    ${response.text}

Bearer Token Is Sent And Never Logged
    Connect To Api    ${HTTPBIN}    alias=bearer    auth=${TOKEN}
    ${response} =    Call Api    GET    /bearer
    Response Field Should Be    ${response}    $.authenticated    true
    Log    ${response.json()}

Api Key Header Is Sent And Never Logged
    VAR    &{auth}    X-Api-Key=${API_KEY}
    Connect To Api    ${HTTPBIN}    alias=key    auth=${auth}
    ${response} =    Call Api    GET    /headers    expected_status=200
    Log    ${response.text}
    Run Keyword And Expect Error    *    Call Api    GET    /anything    expected_status=418

A Password Field In A Body Is Sent And Never Logged
    Connect To Api    ${HTTPBIN}    alias=body
    VAR    &{body}    user=bob    password=${PASSWORD}
    ${response} =    Call Api    POST    /anything    json=${body}
    ${echoed} =    Get Response Field    ${response}    $.json.password
    Log    ${echoed}
    Run Keyword And Expect Error    *    Call Api    POST    /anything    json=${body}    expected_status=201
    Run Keyword And Expect Error    *    Response Field Should Be    ${response}    $.json.password    wrong
    Wait Until Api Returns    POST    /anything    $.json.user    bob    json=${body}    timeout=5s


*** Keywords ***
Start Httpbin
    [Documentation]    httpbin as a real local process on a free port.
    ${httpbin} =    Start Service    httpbin    python -m httpbin.core --port 0
    ...    ready=log:Running on (http://127.0.0.1:\\d+)    timeout=30s
    VAR    ${HTTPBIN}    ${httpbin.ready_value}    scope=SUITE    # robocop: off=VAR05
