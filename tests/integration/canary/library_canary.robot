*** Settings ***
Documentation       Secrets canary for the library core: run at TRACE, then the test checks the files.

Library             Seamline


*** Variables ***
${TOKEN: Secret}    %{CANARY_TOKEN}
${DB_URL}           postgresql://app:%{CANARY_URL_PASSWORD}@db.example:5432/orders


*** Test Cases ***
Secrets Reach The Process But Not The Log
    VAR    &{env}    APP_TOKEN=${TOKEN}
    Start Service    echo    python -c "import os; print('token', os.environ['APP_TOKEN'], flush=True); import time; time.sleep(30)"
    ...    ready=log:token    env=${env}
    Service Log Should Contain    echo    token
    Log    connecting to ${DB_URL}
    Run Keyword And Expect Error    *    Service Log Should Contain    echo    nothing like this
    [Teardown]    Stop All Services
