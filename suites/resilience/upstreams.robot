*** Settings ***
Documentation     orderflow when the links between its own services misbehave: a slow inventory makes the gateway
...               answer 504 in its error envelope within its budget, a cut one 502 at once, and neither loses an
...               order; a service answering
...               503 is retried for a read and reported for a write. Each test checks afterwards that no order,
...               message or stock movement was lost or doubled.

Resource          ../../resources/resilience.resource

Suite Setup       Connect To Orderflow Data
Suite Teardown    Disconnect From Orderflow Data

Test Tags         faults


*** Test Cases ***
A Slow Inventory Times Out At The Gateway And Loses No Order
    [Tags]    critical    slow
    ${before} =    Take Journey Snapshot
    A Link Slows Down    inventory
    ${response} =    Read Stock Of    SKU-APPLE
    Gateway Should Time Out Within Its Budget    ${response}    inventory
    ${order} =    Place Order For    resilience-slow    2    SKU-APPLE
    Order Should Still Wait For Stock    ${order}
    The Link Recovers    inventory
    Order Should Become    ${order}    RESERVED
    Journey Should Have Recorded Exactly    ${before}    count=1    quantity=2    sku=SKU-APPLE

A Cut Inventory Link Is Reported At Once And Loses No Order
    [Tags]    critical
    ${before} =    Take Journey Snapshot
    Cut Connections    inventory
    ${response} =    Read Stock Of    SKU-APPLE
    Gateway Should Report The Upstream Unreachable    ${response}    inventory
    ${order} =    Place Order For    resilience-cut    2    SKU-APPLE
    Order Should Still Wait For Stock    ${order}
    Restore Connections    inventory
    Order Should Become    ${order}    RESERVED
    Journey Should Have Recorded Exactly    ${before}    count=1    quantity=2    sku=SKU-APPLE

A Read Answered Unavailable Three Times Is Retried Until It Succeeds
    [Tags]    critical
    ${order} =    Place A Reserved Order For    resilience-retry    1    SKU-APPLE
    Service Answers Unavailable    orders    times=3
    ${response} =    Read Order    ${order}
    Status Should Be    ${response}    200
    Response Field Should Be    ${response}    $.id    ${order}[id]
    Requests Answered Unavailable Should Be    orders    times=3

A Read Answered Unavailable On Every Attempt Is Reported With Its Attempts
    ${order} =    Place A Reserved Order For    resilience-reported    1    SKU-APPLE
    Service Answers Unavailable    orders    times=4
    ${response} =    Read Order    ${order}
    Request Should Be Refused    ${response}    503    SERVICE_UNAVAILABLE
    Refusal Should Name The Upstream    ${response}    orders
    Response Field Should Be    ${response}    $.error.message    ${UNAVAILABLE} (after 4 attempts)

An Order Answered Unavailable Is Reported Once And Not Stored
    [Tags]    critical
    ${before} =    Take Journey Snapshot
    Service Answers Unavailable    orders    times=1
    ${response} =    Submit Order For    resilience-refused    1    SKU-APPLE
    Request Should Be Refused    ${response}    503    SERVICE_UNAVAILABLE
    Response Field Should Be    ${response}    $.error.message    ${UNAVAILABLE}
    Requests Answered Unavailable Should Be    orders    times=1
    No Journey Table Should Have Changed Since    ${before}
