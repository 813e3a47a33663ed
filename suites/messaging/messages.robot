*** Settings ***
Documentation     orderflow's services talk through messages: one versioned envelope, the order's
...               correlation id on every hop, and messages that cannot be processed kept as dead letters
...               without stopping the rest. Runs on the SQL outbox by default and on RabbitMQ with
...               ``--variablefile variables/rabbitmq.py``.

Resource          ../../resources/messaging.resource

Suite Setup       Connect To Orderflow Messages
Suite Teardown    Disconnect From Orderflow Messages
Test Setup        Watch Orderflow Messages

Test Tags         messaging


*** Test Cases ***
A New Order Is Announced In The Envelope With The Order's Correlation Id
    [Tags]    smoke    critical
    ${order} =    Place Order    SKU-APPLE    2
    ${created} =    Order Should Be Announced    ${order}
    ${reserved} =    Stock Answer Should Arrive    ${order}    reserved
    Messages Should Share Correlation Id    ${created}    ${reserved}
    Order Status Should Become    ${order}    RESERVED

A Stock Rejection Reaches The Order With Its Reason
    [Tags]    critical
    ${order} =    Place Order    SKU-RARE    3
    ${rejected} =    Stock Answer Should Arrive    ${order}    rejected
    Should Start With    ${rejected}[payload][reason]    insufficient stock
    Correlation Id Should Flow    ${order}[correlation_id]    order.created    stock.rejected
    ${final} =    Order Status Should Become    ${order}    REJECTED
    Should Be Equal    ${final}[reject_reason]    ${rejected}[payload][reason]

A Malformed Message Is Dead-Lettered And Later Messages Still Flow
    ${sent} =    Send Malformed Order To Inventory
    ${letter} =    Message Should Be Dead Lettered By Inventory    ${sent}
    Should Not Be Empty    ${letter}[error]
    ${order} =    Place Order    SKU-APPLE    1
    Stock Answer Should Arrive    ${order}    reserved
    Order Status Should Become    ${order}    RESERVED

A Duplicate Delivery Does Not Double A Reservation
    ${order} =    Place Order    SKU-PEAR    3
    ${created} =    Order Should Be Announced    ${order}
    Stock Answer Should Arrive    ${order}    reserved
    ${before} =    Stock Of    SKU-PEAR
    Watch Orderflow Messages
    Inventory Receives Again    ${created}
    No Message Should Arrive    stock.*    within=2s    alias=bus    payload.order_id=${order}[id]
    ${after} =    Stock Of    SKU-PEAR
    Should Be Equal    ${after}    ${before}    msg=the second delivery changed the stock of SKU-PEAR
    No Dead Letter Should Exist For    ${created}
