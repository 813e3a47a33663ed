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
    ${order} =    Place Order For    messaging-suite    2    SKU-APPLE
    ${created} =    Order Should Be Announced    ${order}
    ${reserved} =    Stock Answer Should Arrive    ${order}    reserved
    Messages Should Share Correlation Id    ${created}    ${reserved}
    Order Should Become    ${order}    RESERVED

A Stock Rejection Reaches The Order With Its Reason
    [Tags]    critical
    ${order} =    Place Order For    messaging-suite    3    SKU-RARE
    ${rejected} =    Stock Answer Should Arrive    ${order}    rejected
    Rejection Should Give The Reason    ${rejected}    insufficient stock
    Correlation Id Should Flow    ${order}[correlation_id]    order.created    stock.rejected
    ${final} =    Order Should Become    ${order}    REJECTED
    Order Should Carry The Rejection Reason    ${final}    ${rejected}

A Malformed Message Is Dead-Lettered And Later Messages Still Flow
    ${sent} =    Send Malformed Order To Inventory
    Message Should Be Dead Lettered By Inventory    ${sent}
    ${order} =    Place Order For    messaging-suite    1    SKU-APPLE
    Stock Answer Should Arrive    ${order}    reserved
    Order Should Become    ${order}    RESERVED

A Duplicate Delivery Does Not Double A Reservation
    ${order} =    Place Order For    messaging-suite    3    SKU-PEAR
    ${created} =    Order Should Be Announced    ${order}
    Stock Answer Should Arrive    ${order}    reserved
    ${before} =    Read Stock Of    SKU-PEAR
    Watch Orderflow Messages
    Inventory Receives Again    ${created}
    No Stock Answer Should Arrive    ${order}
    Stock Should Still Be    SKU-PEAR    ${before}
    No Dead Letter Should Exist For    ${created}
