*** Settings ***
Documentation     Hop keywords: over spans as a tracing system sends them (a traced order journey joined
...               to the test) and over real calls to httpbin and a local server; each keyword passing,
...               and failing with its exact message.

Library           Collections
Library           Seamline
Library           ApiTestServers.py
Library           ReceivedSpans.py

Suite Setup       Start Test Servers
Suite Teardown    Stop All Services


*** Variables ***
@{JOURNEY_HOPS}    test>gateway    gateway>orders    orders>sql    orders>outbox    orders>inventory
...                inventory>sql
${BOTTLENECK}      bottleneck gateway>orders: 73% of the time spent in hops (52.0 ms self time of 71.0 ms)


*** Test Cases ***
Get Hop Latencies Gives Every Hop Of A Traced Journey In Causal Order
    Record A Traced Order Journey
    ${hops} =    Get Hop Latencies
    ${names} =    Get Dictionary Keys    ${hops}    sort_keys=False
    Lists Should Be Equal    ${names}    ${JOURNEY_HOPS}
    Should Be Equal As Numbers    ${hops}[gateway>orders][count]    1
    Should Be Equal As Numbers    ${hops}[gateway>orders][p95_ms]    18    precision=1
    Should Be Equal As Numbers    ${hops}[gateway>orders][self_ms]    12    precision=1
    Should Be Equal As Numbers    ${hops}[gateway>orders][gap_ms]    2    precision=1
    Should Be Equal As Numbers    ${hops}[orders>inventory][gap_ms]    4    precision=1
    Should Be Equal    ${hops}[orders>sql][gap_ms]    ${None}

A Delay Inside One Service Is Attributed To Its Hop
    Record A Traced Order Journey    orders_work=10ms
    ${fast} =    Get Hop Latencies
    Record A Traced Order Journey    orders_work=60ms
    ${both} =    Get Hop Latencies
    # two calls of each hop now: the mean self time of gateway>orders grew by half the 50 ms delay
    ${grown} =    Evaluate    ${both}[gateway>orders][self_ms] - ${fast}[gateway>orders][self_ms]
    Should Be Equal As Numbers    ${grown}    25    precision=1
    Should Be Equal As Numbers    ${both}[orders>sql][self_ms]    ${fast}[orders>sql][self_ms]    precision=1
    ${slowest} =    Slowest Hops    1
    Should Be Equal    ${slowest}[0][hop]    gateway>orders

Hop Latency Should Be Below Passes Under The Limit And Names The Bottleneck Above It
    Record A Traced Order Journey    orders_work=50ms
    ${p95} =    Hop Latency Should Be Below    orders>sql    5ms
    Should Be Equal As Numbers    ${p95}    2    precision=1
    VAR    ${expected}
    ...    Timeline: hop gateway>orders p95 is 58.0 ms, not below 50 ms (1 call: p50 58.0 ms,
    ...    max 58.0 ms, self 52.0 ms, gap 2.0 ms); ${BOTTLENECK}
    Run Keyword And Expect Error    ${expected}
    ...    Hop Latency Should Be Below    gateway>orders    50ms
    VAR    ${expected}
    ...    Timeline: no hop 'gateway>ordrs' in the test; hops crossed: test>gateway, gateway>orders,
    ...    orders>sql, orders>outbox, orders>inventory, inventory>sql
    Run Keyword And Expect Error    ${expected}
    ...    Hop Latency Should Be Below    gateway>ordrs    50ms
    Run Keyword And Expect Error    EQUALS:orders too slow
    ...    Hop Latency Should Be Below    gateway>orders    50ms    percentile=50    msg=orders too slow

Journey Duration Should Be Below Measures The Whole Journey Or One Trace
    ${trace} =    Record A Traced Order Journey    orders_work=50ms
    ${took} =    Journey Duration Should Be Below    1s    trace_id=${trace}
    Should Be Equal As Numbers    ${took}    68    precision=1
    Run Keyword And Expect Error    Timeline: the journey (9 spans) took 68.0 ms, not below 50 ms; ${BOTTLENECK}
    ...    Journey Duration Should Be Below    50ms
    Run Keyword And Expect Error    Timeline: no trace 0123 in the test; traces: ${trace}
    ...    Journey Duration Should Be Below    1s    trace_id=0123

Slowest Hops Puts The Bottleneck First With Its Share
    Record A Traced Order Journey    orders_work=50ms
    ${slowest} =    Slowest Hops
    Length Should Be    ${slowest}    3
    Should Be Equal    ${slowest}[0][hop]    gateway>orders
    Should Be Equal As Numbers    ${slowest}[0][share]    73.2    precision=1
    Should Be Equal    ${slowest}[1][hop]    orders>inventory
    Should Be Equal As Numbers    ${slowest}[1][self_total_ms]    8    precision=1

Hops Should Follow The Causal Order And Shows What Happened
    Record A Traced Order Journey
    Hops Should Follow    test>gateway    gateway>orders    orders>outbox    inventory>sql
    VAR    ${expected}
    ...    Timeline: no hop gateway>orders after inventory>sql in the journey; hops in causal order:
    ...    test>gateway, gateway>orders, orders>sql, orders>outbox, orders>inventory, inventory>sql
    Run Keyword And Expect Error    ${expected}
    ...    Hops Should Follow    inventory>sql    gateway>orders
    Run Keyword And Expect Error    EQUALS:the ledger was never reached
    ...    Hops Should Follow    settlement>ledger    msg=the ledger was never reached

Trace Should Contain Selects Spans And Checks Their Attributes And Durations
    Record A Traced Order Journey    orders_work=50ms
    ${spans} =    Trace Should Contain    service=inventory    kind=consumer    duration<10ms
    Should Be Equal    ${spans[0].operation}    process
    Trace Should Contain    attributes.peer.service=outbox    self<=2ms    system=sql
    Trace Should Contain    service=orders    outcome!=error    target=orders

Trace Should Contain Fails Naming The Spans That Missed Or Came Closest
    Record A Traced Order Journey    orders_work=50ms
    VAR    ${expected}
    ...    Timeline: 1 of 1 spans with service=orders kind=server fail duration<20ms:
    ...    orders server POST /orders (56.0 ms, self 52.0 ms, ok); ${BOTTLENECK}
    Run Keyword And Expect Error    ${expected}
    ...    Trace Should Contain    service=orders    kind=server    duration<20ms
    VAR    ${expected}
    ...    Timeline: no span with service=inventory operation=post in the test; closest spans:
    ...    inventory consumer process order.created (6.0 ms, self 3.0 ms, ok);
    ...    inventory client UPDATE stock (3.0 ms, self 3.0 ms, ok); http POST /api/orders (63.0 ms,
    ...    self 2.0 ms, ok);*
    Run Keyword And Expect Error    ${expected}
    ...    Trace Should Contain    service=inventory    operation=post
    Run Keyword And Expect Error    EQUALS:no ledger span
    ...    Trace Should Contain    service=ledger    msg=no ledger span

Trace Should Contain Says How To Write A Condition
    Record A Traced Order Journey
    Run Keyword And Expect Error
    ...    Timeline: condition 'duration' is not field<operator>value (duration<50ms, http.status_code=201)
    ...    Trace Should Contain
    ...    duration
    Run Keyword And Expect Error
    ...    Timeline: condition 'duration=5ms': compare duration with <, <=, > or >= (a time is never exact)
    ...    Trace Should Contain
    ...    duration=5ms
    Run Keyword And Expect Error    Timeline: condition 'duration<soon': 'soon' is not a Robot time (50ms, 1.5s)
    ...    Trace Should Contain    duration<soon

A Failed Span Is Found By Its Outcome
    Record A Traced Order Journey    failed=i
    ${failed} =    Trace Should Contain    outcome!=ok    service=inventory    system=sql
    Should Be Equal    ${failed[0].outcome}    error: status 500
    VAR    ${expected}
    ...    Timeline: 1 of 1 spans with service=inventory system=sql fail outcome!=error: status 500:
    ...    inventory client UPDATE stock (3.0 ms, self 3.0 ms, error: status 500)
    Run Keyword And Expect Error    ${expected}
    ...    Trace Should Contain    service=inventory    system=sql    outcome!=error: status 500

Calls Nobody Traced Are Test>Http Hops With Server-Timing As The Time Inside
    Connect To Api    ${JSON_SERVER}    alias=json
    Call Api    GET    /orders/1
    Call Api    GET    /orders/2
    ${hops} =    Get Hop Latencies
    Should Be Equal As Numbers    ${hops}[test>http][count]    2
    # the server says 1.5 ms were spent inside (Server-Timing: app;dur=1.5): the rest of each call was between
    VAR    ${http}    ${hops}[test>http]
    Should Be True    ${http}[mean_ms] - 1.51 <= ${http}[gap_ms] <= ${http}[mean_ms] + 0.01    # rounded to µs
    Hops Should Follow    test>http    test>http
    Disconnect From Api    json

Hop Keywords Work On Httpbin Calls
    Connect To Api    ${HTTPBIN}    alias=httpbin
    Call Api    GET    /get
    Call Api    GET    /delay/0.2
    ${p50} =    Hop Latency Should Be Below    test>http    5s    percentile=50
    Should Be True    ${p50} > 0
    VAR    ${expected}
    ...    REGEXP:Timeline: hop test>http p100 is \\d+\\.\\d ms, not below 100 ms \\(2 calls:
    ...    p50 [\\d.]+ ms, max [\\d.]+ ms, self [\\d.]+ ms, gap unknown\\); bottleneck test>http:
    ...    100% of the time spent in hops \\([\\d.]+ ms self time of [\\d.]+ ms\\)
    Run Keyword And Expect Error    ${expected}
    ...    Hop Latency Should Be Below    test>http    100ms    percentile=100
    Journey Duration Should Be Below    10s
    Trace Should Contain    system=http    duration>=200ms    target=/delay/
    Disconnect From Api    httpbin

A Test Without Spans Has No Hops
    ${hops} =    Get Hop Latencies
    Should Be Empty    ${hops}
    Run Keyword And Expect Error    Timeline: the journey (0 spans) took 0.0 ms, not below 0 ms; no hops recorded
    ...    Journey Duration Should Be Below    0s
    Run Keyword And Expect Error    Timeline: no span with (any span) in the test; no spans recorded
    ...    Trace Should Contain


*** Keywords ***
Start Test Servers
    [Documentation]    httpbin as a real process, the JSON test server (it sends Server-Timing) in a thread.
    ${httpbin} =    Start Service    httpbin    python -m httpbin.core --port 0
    ...    ready=log:Running on (http://127.0.0.1:\\d+)    timeout=30s
    VAR    ${HTTPBIN}    ${httpbin.ready_value}    scope=SUITE    # robocop: off=VAR05
    ${json_server} =    Start Json Test Server
    VAR    ${JSON_SERVER}    ${json_server}    scope=SUITE    # robocop: off=VAR05
