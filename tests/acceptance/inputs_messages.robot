*** Settings ***
Documentation    Invalid messages and corrupt batches from contracts Seamline did not write: a shop's
...              events published with plain pika in its own envelope, and a hand-made fixed-width layout.

Library          Seamline    timeout=2s
Library          Servers
Library          PlainPikaPublisher    %{SEAMLINE_RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672/%2F}

Test Tags        inputs


*** Variables ***
${RUN}         ${{''.join(random.choices(string.ascii_lowercase, k=10))}}
${EXCHANGE}    shop-inputs-${RUN}
&{INVOICE}     type=object    required=${{["invoiceNo", "total"]}}    additionalProperties=${False}
...            properties=${{{"invoiceNo": {"type": "integer", "minimum": 1}, "total": {"type": "number"}}}}
${PAYMENTS}    ${CURDIR}/documents/payments-layout.yaml


*** Test Cases ***
Invalid Messages Break The Schema And A Seed Repeats Them
    ${bad} =    Generate Invalid Messages    ${INVOICE}    count=6    seed=3
    Length Should Be    ${bad}    6
    FOR    ${value}    IN    @{bad}
        Run Keyword And Expect Error    Contracts: *    Validate Json    ${value}    ${INVOICE}
    END
    ${again} =    Generate Invalid Messages    ${INVOICE}    count=6    seed=3
    Should Be Equal    ${again}    ${bad}

A Count Below One Fails
    Run Keyword And Expect Error    Inputs: count must be at least 1, got 0
    ...    Generate Invalid Messages    ${INVOICE}    count=0

Unexpected Messages Reach A Foreign Consumer In Its Own Envelope
    [Tags]    messaging    rabbitmq
    ${url} =    Require Server    rabbitmq
    Connect To Broker    ${url}    alias=shop    id_field=messageId    type_field=eventType
    ...    correlation_field=traceId    payload_field=data    version_field=${EMPTY}    time_field=${EMPTY}
    Start Capturing Messages    ${EXCHANGE}    binding=invoice.*
    ${sent} =    Publish Unexpected Messages    ${EXCHANGE}    ${INVOICE}    invoice.sent    count=3    seed=4
    FOR    ${message}    IN    @{sent}
        ${event} =    Wait For Message    invoice.sent    messageId=${message}[messageId]
        Run Keyword And Expect Error    Contracts: *    Validate Json    ${event}[data]    ${INVOICE}
    END
    [Teardown]    Forget The Shop

Each Kind Of Corrupt Batch Breaks The Layout
    [Template]    Corrupt Batch Should Break The Layout
    short_line    Records: * line 2: expected 15 characters for a detail record, got 14
    bad_trailer    Records: * line 4, field 'count' (columns 2-5): the trailer says 3, but the number of detail records is 2
    bad_encoding    Records: *: byte 10 (0xe9) is not valid utf-8 (layout payments); is the file in another encoding?
    bad_number    Records: * line 2, field 'cents' (columns 10-15): expected digits, got 'NaNXXX'

A Duplicate Key Keeps The Layout
    ${file} =    Generate Corrupt Batch    ${PAYMENTS}    kind=duplicate_key
    ${records} =    Batch Should Be Valid    ${file}    ${PAYMENTS}
    Should Be Equal    ${records}[1]    ${records}[2]

An Unknown Kind Fails Naming The Kinds
    Run Keyword And Expect Error
    ...    Inputs: kind must be one of short_line, bad_trailer, bad_encoding, bad_number, duplicate_key, got 'torn'
    ...    Generate Corrupt Batch    ${PAYMENTS}    kind=torn


*** Keywords ***
Corrupt Batch Should Break The Layout
    [Documentation]    A ``kind`` batch of the payments layout fails its reading with ``message``.
    [Arguments]    ${kind}    ${message}
    ${file} =    Generate Corrupt Batch    ${PAYMENTS}    kind=${kind}
    Run Keyword And Expect Error    ${message}    Batch Should Be Valid    ${file}    ${PAYMENTS}

Forget The Shop
    [Documentation]    Closes the connection and removes the exchange.
    Disconnect From All Brokers
    Remove Exchange And Queues    ${EXCHANGE}
