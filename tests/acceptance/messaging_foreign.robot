*** Settings ***
Documentation     The messaging keywords on a system that is not orderflow: a service publishing with plain
...               pika in its own envelope (messageId, eventType, traceId, data; no version, no time), that
...               declares its exchange on its first publish and dead-letters what its consumer rejects,
...               checked against a user-made envelope schema. The library default timeout is 2s.

Library           Seamline    timeout=2s
Library           Servers
Library           PlainPikaPublisher    %{SEAMLINE_RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672/%2F}

Suite Setup       Connect To The Shop
Suite Teardown    Forget The Shop

Test Tags         messaging    rabbitmq


*** Variables ***
# Letters only: the shop's event types are lower-case words.
${RUN}              ${{''.join(random.choices(string.ascii_lowercase, k=10))}}
${EXCHANGE}         shop-${RUN}
${WORK_QUEUE}       shop-${RUN}.billing
${SHOP_ENVELOPE}    ${CURDIR}/schemas/shop-event.json


*** Test Cases ***
Events Of A Foreign Publisher Are Captured By Type And Field
    Start Capturing Messages    ${EXCHANGE}    binding=order.#
    ${sent} =    Publish Event    ${EXCHANGE}    order.placed    ${{{"orderNo": 17, "total": 12.5, "express": True}}}
    ...    trace_id=trace-1
    ${event} =    Wait For Message    order.placed    data.orderNo=17    data.total=12.50    data.express=true
    Should Be Equal    ${event}[messageId]    ${sent}[messageId]
    Message Should Match Envelope    ${event}
    Message Should Match Envelope    ${event}    schema=${{{"required": ["orderNo"]}}}

The User's Envelope Schema Is The One Checked
    Start Capturing Messages    ${EXCHANGE}    binding=order.#
    ${sent} =    Publish Event    ${EXCHANGE}    order.placed    ${{{"orderNo": 18}}}
    ${event} =    Wait For Message    order.placed    data.orderNo=18
    VAR    ${expected}    Messages: order.placed ${sent}[messageId] does not match:
    ...    - $.traceId: '' should be non-empty    separator=\n
    Run Keyword And Expect Error    ${expected}    Message Should Match Envelope    ${event}
    Run Keyword And Expect Error    the shop's event lost its trace id
    ...    Message Should Match Envelope    ${event}    msg=the shop's event lost its trace id
    VAR    ${expected}    Messages: order.placed ${sent}[messageId] does not match:
    ...    - $: 'message_id' is a required property    separator=\n
    Run Keyword And Expect Error    ${expected}
    ...    Message Should Match Envelope    ${event}    envelope=${{{"required": ["message_id"]}}}

The Trace Id Is The Correlation Id
    Start Capturing Messages    ${EXCHANGE}
    ${placed} =    Publish Event    ${EXCHANGE}    order.placed    ${{{"orderNo": 19}}}    trace_id=trace-19
    Publish Event    ${EXCHANGE}    invoice.sent    ${{{"orderNo": 19}}}    trace_id=trace-19
    Publish Event    ${EXCHANGE}    invoice.sent    ${{{"orderNo": 20}}}    trace_id=trace-20
    ${hops} =    Correlation Id Should Flow    trace-19    order.placed    invoice.sent
    ${cid} =    Messages Should Share Correlation Id    @{hops}
    Should Be Equal    ${cid}    trace-19
    ${other} =    Wait For Message    invoice.sent    traceId=trace-20
    VAR    ${expected}    Messages: expected 2 messages to share one correlation id:
    ...    ${SPACE*2}order.placed ${placed}[messageId]: traceId='trace-19'
    ...    ${SPACE*2}invoice.sent ${other}[messageId]: traceId='trace-20'    separator=\n
    Run Keyword And Expect Error    ${expected}    Messages Should Share Correlation Id    ${hops}[0]    ${other}

Publish Message Writes The Foreign Envelope
    Start Capturing Messages    ${EXCHANGE}    binding=invoice.*
    ${sent} =    Publish Message    ${EXCHANGE}    invoice.sent    ${{{"invoiceNo": 7}}}    correlation_id=trace-7
    Should Be Equal    ${{sorted($sent)}}    ${{["data", "eventType", "messageId", "traceId"]}}
    ${event} =    Wait For Message    invoice.sent    traceId=trace-7
    Should Be Equal    ${event}    ${sent}
    Message Should Match Envelope    ${event}

A Dead-Letter Queue Is A Dead-Letter Source
    ${dead} =    Declare Work Queue With Dead Letters    ${WORK_QUEUE}    ${EXCHANGE}    order.*
    Dead Letters Should Be Empty    amqp:${dead}
    ${sent} =    Publish Event    ${EXCHANGE}    order.placed    ${{{"orderNo": 21}}}    trace_id=trace-21
    Reject Next Message    ${WORK_QUEUE}
    ${letter} =    Wait For Dead Letter    amqp:${dead}    messageId=${sent}[messageId]
    Should Be Equal    ${letter}[data][orderNo]    ${21}
    ${letters} =    Get Dead Letters    amqp:${dead}    data.orderNo=21
    Should Be Equal    ${letters}    ${{[$letter]}}
    VAR    ${expected}
    ...    Messages: expected no dead letter with traceId=trace-21, found 1:
    ...    ${SPACE*2}1. order.placed messageId=${sent}[messageId] traceId=trace-21 {"orderNo": 21} (dead-lettered: rejected)
    ...    separator=\n
    Run Keyword And Expect Error    ${expected}    Dead Letters Should Be Empty    amqp:${dead}    traceId=trace-21

A Dead-Letter Queue That Does Not Exist Fails Clearly
    Run Keyword And Expect Error
    ...    Messages: cannot read queue 'shop-${RUN}.missing' on amqp://*: NOT_FOUND - no queue 'shop-${RUN}.missing' in vhost '/'
    ...    Get Dead Letters
    ...    amqp:shop-${RUN}.missing

Waits Without A Timeout Use The Library Default
    Start Capturing Messages    ${EXCHANGE}
    Run Keyword And Expect Error
    ...    Messages: expected a message with type=never.happens from ${EXCHANGE} within 2s; no message arrived
    ...    Wait For Message    never.happens
    No Message Should Arrive    never.happens
    Run Keyword And Expect Error    nothing came
    ...    Wait For Message    never.happens    timeout=100ms    msg=nothing came

An Exchange Of Another Type Is Declared As Asked
    Start Capturing Messages    ${EXCHANGE}-fanout    exchange_type=fanout
    Publish Event    ${EXCHANGE}-fanout    order.placed    ${{{"orderNo": 22}}}    trace_id=t    exchange_type=fanout
    Wait For Message    order.placed    data.orderNo=22
    Run Keyword And Expect Error    *PRECONDITION_FAILED - inequivalent arg 'type'*
    ...    Publish Event    ${EXCHANGE}-fanout    order.placed    ${{{}}}    exchange_type=topic
    [Teardown]    Remove Exchange And Queues    ${EXCHANGE}-fanout


*** Keywords ***
Connect To The Shop
    [Documentation]    Connects to the shop's broker in its own envelope (skips, or fails on CI, without RabbitMQ).
    ${url} =    Require Server    rabbitmq
    Connect To Broker    ${url}    alias=shop    envelope=${SHOP_ENVELOPE}
    ...    id_field=messageId    type_field=eventType    correlation_field=traceId    payload_field=data
    ...    version_field=${EMPTY}    time_field=${EMPTY}

Forget The Shop
    [Documentation]    Closes the connection and removes what the tests declared on the broker.
    Disconnect From All Brokers
    Remove Exchange And Queues    ${EXCHANGE}    ${WORK_QUEUE}    ${WORK_QUEUE}.dead
