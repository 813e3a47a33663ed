*** Settings ***
Documentation     The fault proxy keywords in front of a plain TCP echo server and httpbin (a real process):
...               each keyword passes, and fails with its exact message.

Library           Collections
Library           Seamline
Library           FaultPeers

Suite Setup       Start Peers
Suite Teardown    Stop Echo Servers
Test Setup        Start Echo Proxy

Test Tags         faults


*** Test Cases ***
Start Fault Proxy Returns The Address It Forwards From
    ${address} =    Start Fault Proxy    second    upstream=${ECHO}
    Should Match Regexp    ${address}    ^127\\.0\\.0\\.1:\\d+$
    ${echoed} =    Exchange    ${address}    hello
    Should Be Equal    ${echoed}    hello

Start Fault Proxy Fails For A Bad Upstream, A Busy Port Or A Running Name
    Run Keyword And Expect Error
    ...    Faults: upstream 'nowhere' must be host:port, e.g. 127.0.0.1:8080
    ...    Start Fault Proxy    bad    upstream=nowhere
    Run Keyword And Expect Error
    ...    Faults: proxy 'busy' cannot listen on 127.0.0.1:${ECHO_PORT}: Address already in use
    ...    Start Fault Proxy    busy    upstream=${ECHO}    listen=${ECHO}
    Run Keyword And Expect Error    Faults: proxy 'lost' cannot resolve upstream no-such-host.invalid:80: *
    ...    Start Fault Proxy    lost    upstream=no-such-host.invalid:80
    Run Keyword And Expect Error    Faults: proxy 'Echo' is already running on 127.0.0.1:*
    ...    Start Fault Proxy    Echo    upstream=${ECHO}

Stop Fault Proxy Closes It
    ${address} =    Start Fault Proxy    short    upstream=${ECHO}
    Stop Fault Proxy    short
    ${seen} =    Exchange    ${address}
    Should Be Equal    ${seen}    refused

Unknown Proxy Names Fail Listing The Started Ones
    Run Keyword And Expect Error    Faults: no fault proxy 'ghost' started (started: echo, suite)
    ...    Add Latency    ghost    100ms
    Run Keyword And Expect Error    Faults: no fault proxy 'ghost' started (started: echo, suite)
    ...    Stop Fault Proxy    ghost

Add Latency Delays The Round Trip
    Add Latency    echo    200ms    direction=both
    ${seconds} =    Round Trip Seconds    ${ADDRESS}
    Should Be True    ${seconds} >= 0.4

Add Latency Fails For Bad Arguments
    Run Keyword And Expect Error    Faults: direction 'sideways' must be downstream, upstream or both
    ...    Add Latency    echo    100ms    direction=sideways
    Run Keyword And Expect Error    Faults: toxicity must be from 0 to 1, got 2
    ...    Add Latency    echo    100ms    toxicity=2
    Run Keyword And Expect Error    Faults: delay must be more than 0 seconds, got 0s
    ...    Add Latency    echo    0s
    Run Keyword And Expect Error    Faults: jitter 'soon' is not a Robot time (10s, 1 min 30 s, 250ms)
    ...    Add Latency    echo    100ms    jitter=soon
    Run Keyword And Expect Error    Faults: for must be more than 0 seconds, got 0s
    ...    Add Latency    echo    100ms    for=0s

A Time Boxed Fault Removes Itself
    Add Latency    echo    300ms    for=200ms
    Wait Until Keyword Succeeds    5s    50ms    Round Trip Should Be Quick

Limit Bandwidth Slows Bulk Data
    Limit Bandwidth    echo    100KB/s
    ${seconds} =    Round Trip Seconds    ${ADDRESS}    ${{ "b" * 30000 }}
    Should Be True    ${seconds} >= 0.25
    Run Keyword And Expect Error    Faults: rate 'fast' is not bytes per second (50000, 100KB/s, 1MB/s)
    ...    Limit Bandwidth    echo    fast

Cut And Restore Connections
    Cut Connections    echo
    ${seen} =    Exchange    ${ADDRESS}
    Should Be Equal    ${seen}    refused
    Restore Connections    echo
    ${seen} =    Exchange    ${ADDRESS}
    Should Be Equal    ${seen}    ping

Reset Connections For A While
    Reset Connections    echo    direction=downstream    for=5s
    ${seen} =    Exchange    ${ADDRESS}
    Should Be Equal    ${seen}    reset

Hang Connections Is A Timeout Until Removed
    Hang Connections    echo    after=2
    ${seen} =    Exchange    ${ADDRESS}    hello    timeout=0.3
    Should Be Equal    ${seen}    timeout
    ${removed} =    Remove Faults    echo
    Should Be Equal As Integers    ${removed}    1
    ${seen} =    Exchange    ${ADDRESS}    hello
    Should Be Equal    ${seen}    hello

Close After Bytes Ends The Connection
    Close After Bytes    echo    3
    ${seen} =    Exchange    ${ADDRESS}    hello
    Should Be Equal    ${seen}    hel
    Run Keyword And Expect Error    Faults: bytes 'many' is not a byte count (1500, 64KB, 1.5MB, 2MiB)
    ...    Close After Bytes    echo    many

Slice Data Still Delivers Everything
    Slice Data    echo    2    5ms
    ${seen} =    Exchange    ${ADDRESS}    sliced
    Should Be Equal    ${seen}    sliced
    Run Keyword And Expect Error    Faults: size must be 1 byte or more, got 0
    ...    Slice Data    echo    0    5ms

Drop Data Loses Chunks
    Drop Data    echo    1    direction=upstream
    ${seen} =    Exchange    ${ADDRESS}    lost    timeout=0.3
    Should Be Equal    ${seen}    timeout
    Run Keyword And Expect Error    Faults: probability must be from 0 to 1, got 1.5
    ...    Drop Data    echo    1.5

Fail Http Requests Answers Instead Of httpbin
    ${web} =    Start Fault Proxy    web    upstream=${HTTPBIN_ADDRESS}
    Connect To Api    http://${web}
    VAR    &{headers} =    Retry-After=1
    Fail Http Requests    web    status=503    count=2    path=/status/*    body=down    headers=${headers}
    ${response} =    Call Api    GET    /status/200    expected_status=503
    Should Be Equal    ${response.text}    down
    Should Be Equal    ${response.headers}[Retry-After]    1
    Call Api    GET    /get
    Call Api    GET    /status/201    expected_status=503
    Call Api    GET    /status/201    expected_status=201

Fail Http Requests Fails For A Bad Status Or Count
    Run Keyword And Expect Error    Faults: status must be from 100 to 599, got 99
    ...    Fail Http Requests    echo    status=99
    Run Keyword And Expect Error    Faults: count must be 1 or more, got 0
    ...    Fail Http Requests    echo    count=0

Delay Http Requests Slows Matching Paths
    ${web} =    Start Fault Proxy    web    upstream=${HTTPBIN_ADDRESS}
    Connect To Api    http://${web}
    Delay Http Requests    web    500ms    path=/anything/*
    Run Keyword And Expect Error
    ...    EQUALS:HTTP: GET http://${web}/anything/slow failed: no response within 0.3s (timeout)
    ...    Call Api
    ...    GET
    ...    /anything/slow
    ...    timeout=0.3s
    Call Api    GET    /get    timeout=0.3s

Get Proxy Stats Counts Connections Bytes And Faults
    Exchange    ${ADDRESS}    12345
    Add Latency    echo    10ms
    Add Latency    suite    10ms
    Exchange    ${ADDRESS}    678
    ${stats} =    Get Proxy Stats    echo
    Should Be Equal As Integers    ${stats}[connections][total]    2
    Should Be Equal As Integers    ${stats}[bytes_upstream]    8
    Should Be Equal As Integers    ${stats}[faults_applied][latency]    1
    Should Be Equal    ${stats}[active_faults]    ${{ ["latency 10ms downstream"] }}

Every Connection Is A Span On The Timeline
    Exchange    ${ADDRESS}    span
    Wait Until Keyword Succeeds    5s    20ms    Timeline Should Contain    proxy    echo    ${ECHO}

Faults Added In A Test Are Gone In The Next
    [Documentation]    The test before this one left a latency on the suite's proxy: the test's end removed it.
    ${stats} =    Get Proxy Stats    suite
    Should Be Empty    ${stats}[active_faults]


*** Keywords ***
Start Peers
    [Documentation]    The echo server in a thread and httpbin as a process (a server the library did not write).
    ${echo} =    Start Echo Server
    VAR    ${ECHO}    ${echo}    scope=SUITE    # robocop: off=VAR05
    VAR    ${ECHO_PORT}    ${echo.split(":")[1]}    scope=SUITE    # robocop: off=VAR05
    ${httpbin} =    Start Service    httpbin    python -m httpbin.core --port 0
    ...    ready=log:Running on http://(127.0.0.1:\\d+)    timeout=30s
    VAR    ${HTTPBIN_ADDRESS}    ${httpbin.ready_value}    scope=SUITE    # robocop: off=VAR05
    Start Fault Proxy    suite    upstream=${ECHO}

Start Echo Proxy
    [Documentation]    Every test has proxy ``echo`` in front of the echo server, at ``${ADDRESS}``.
    ${address} =    Start Fault Proxy    echo    upstream=${ECHO}
    VAR    ${ADDRESS}    ${address}    scope=TEST    # robocop: off=VAR06

Round Trip Should Be Quick
    [Documentation]    Fails while a 300ms latency is still on.
    ${seconds} =    Round Trip Seconds    ${ADDRESS}
    Should Be True    ${seconds} < 0.2
