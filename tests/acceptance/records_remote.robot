*** Settings ***
Documentation     Batch records over SFTP against orderflow's real ledger: what Write Records uploads, the ledger
...               posts, and Read Records reads the ledger's own files. records_canary.robot also runs this suite
...               at TRACE level to prove the ledger password and written secrets never reach the logs.

Library           OperatingSystem
Library           Seamline    layouts=${LAYOUTS}

Suite Setup       Start Ledger
Suite Teardown    Stop Ledger


*** Variables ***
${LAYOUTS}                    ${CURDIR}${/}..${/}..${/}resources${/}layouts
${LEDGER_PASSWORD: Secret}    %{ORDERFLOW_LEDGER_PASSWORD=settle-pw-123}
${API_TOKEN: Secret}          %{SEAMLINE_CANARY_TOKEN=token-not-for-logs-42}
${DIR}                        ${TEMPDIR}${/}seamline-records-remote-${{uuid.uuid4().hex}}


*** Test Cases ***
The Ledger Posts A Batch Written By Write Records
    VAR    &{header}    record_type=header    batch_id=B-R1    created=2026-11-24    source=seamline
    VAR    &{detail}    record_type=detail    order_id=ord-r1    customer=Åsa    amount=42.10
    ...    currency=SEK    settled_on=2026-11-24
    VAR    &{trailer}    record_type=trailer    count=1    total=42.10
    VAR    @{records}    ${header}    ${detail}    ${trailer}
    Write Records    /inbox/B-R1.dat    ${records}    settlement    remote=True
    Run Remote Command    ledger post /inbox/B-R1.dat
    ${posted} =    Batch Should Be Valid    /archive/B-R1.dat    settlement    remote=True
    ${found} =    Records Should Contain    ${posted}    detail    order_id=ord-r1    amount=42.1
    Should Be Equal    ${found}[customer]    Åsa

Read Records Remote Fails For A Missing File
    Run Keyword And Expect Error
    ...    GLOB:Records: cannot get /inbox/none.dat on settle@127.0.0.1:*: no such file or directory
    ...    Read Records    /inbox/none.dat    settlement    remote=True

Written Secrets Are Masked In The Log
    VAR    &{credential}    user=robot    api_token=${API_TOKEN}
    VAR    @{credentials}    ${credential}
    ${layout} =    Credentials Layout
    Write Records    ${DIR}${/}credentials.csv    ${credentials}    ${layout}
    ${read} =    Read Records    ${DIR}${/}credentials.csv    ${layout}
    Should Be Equal    ${read}[0][api_token]    ${API_TOKEN.value}


*** Keywords ***
Start Ledger
    [Documentation]    Starts orderflow's ledger (it reads its password from the environment) and logs in.
    Create Directory    ${DIR}
    ${ledger} =    Start Service    ledger    python -m orderflow.ledger --root ${DIR}${/}ledger
    ...    ready=log:READY (.*)    timeout=30s
    ${ready} =    Evaluate    json.loads($ledger.ready_value)
    Connect To Ssh    127.0.0.1    ${ready}[port]    settle    password=${LEDGER_PASSWORD}
    ...    known_hosts=${DIR}${/}known_hosts    trust_unknown_host=True

Stop Ledger
    [Documentation]    Stops the ledger and removes its files.
    Disconnect From Ssh
    Stop Service    ledger
    Remove Directory    ${DIR}    recursive=True

Credentials Layout
    [Documentation]    A CSV layout with a credential column, written to the suite's directory.
    Create File
    ...    ${DIR}${/}credentials.yaml
    ...    name: credentials\nformat: csv\nrecords:\n${SPACE*2}credential:\n${SPACE*4}fields: [{name: user}, {name: api_token}]\n
    RETURN    ${DIR}${/}credentials.yaml
