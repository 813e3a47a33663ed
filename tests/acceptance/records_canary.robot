*** Settings ***
Documentation    Secrets canary: runs records_remote.robot at TRACE level with fresh secret values (the ledger
...              password and a token written into a batch file) and checks that output.xml and log.html
...              contain neither. Then runs it at DEBUG level to check that the SSH driver's (paramiko's)
...              own messages reach the log at DEBUG, never above.

Library          OperatingSystem
Library          Process


*** Variables ***
${OUT}    ${TEMPDIR}${/}seamline-records-canary-${{uuid.uuid4().hex}}


*** Test Cases ***
Records Keywords Never Log A Secret
    VAR    ${password}    canary-pw-${{uuid.uuid4().hex}}
    VAR    ${token}    canary-token-${{uuid.uuid4().hex}}
    Create Directory    ${OUT}
    ${run} =    Run Process    ${{sys.executable}}    -m    robot    --loglevel    TRACE
    ...    --outputdir    ${OUT}    --report    NONE    ${CURDIR}${/}records_remote.robot
    ...    env:ORDERFLOW_LEDGER_PASSWORD=${password}    env:SEAMLINE_CANARY_TOKEN=${token}
    ...    timeout=120s    stdout=${OUT}${/}stdout.txt    stderr=STDOUT
    Should Be Equal As Integers    ${run.rc}    0    The inner suite failed:\n${run.stdout}
    FOR    ${file}    IN    output.xml    log.html    stdout.txt
        ${text} =    Get File    ${OUT}${/}${file}
        Should Not Contain    ${text}    ${password}    msg=The ledger password leaked into ${file}    values=False
        Should Not Contain    ${text}    ${token}    msg=The written token leaked into ${file}    values=False
    END
    [Teardown]    Remove Directory    ${OUT}    recursive=True

Driver Messages Reach The Log Only At Debug
    Create Directory    ${OUT}
    ${run} =    Run Process    ${{sys.executable}}    -m    robot    --loglevel    DEBUG
    ...    --outputdir    ${OUT}    --log    NONE    --report    NONE    ${CURDIR}${/}records_remote.robot
    ...    timeout=120s    stdout=${OUT}${/}stdout.txt    stderr=STDOUT
    Should Be Equal As Integers    ${run.rc}    0    The inner suite failed:\n${run.stdout}
    ${output} =    Get File    ${OUT}${/}output.xml
    Should Match Regexp    ${output}    <msg [^>]*level="DEBUG"[^>]*>\\[chan \\d+\\] Opened sftp connection
    Should Not Match Regexp    ${output}    <msg [^>]*level="(INFO|WARN|ERROR)"[^>]*>\\[chan
    [Teardown]    Remove Directory    ${OUT}    recursive=True
