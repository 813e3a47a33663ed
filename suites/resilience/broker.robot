*** Settings ***
Documentation     orderflow's messages when every service loses its link to RabbitMQ for a few seconds: orders are
...               still accepted, wait while the broker is out of reach, and complete once it is back, every message
...               delivered and none handled twice. RabbitMQ transport only: the SQL outbox has no broker link.

Resource          ../../resources/resilience.resource

Suite Setup       Open Orderflow Data Over Its Broker Link
Suite Teardown    Disconnect From Orderflow Data

Test Tags         faults    messaging


*** Test Cases ***
A Broker Link Cut For A Few Seconds Loses No Message
    [Tags]    critical    slow
    ${before} =    Take Journey Snapshot
    Cut Connections    broker    for=${BROKER_CUT}
    ${first} =    Place Order For    resilience-broker-first    1    SKU-APPLE
    ${second} =    Place Order For    resilience-broker-second    1    SKU-APPLE
    Order Should Still Wait For Stock    ${first}
    Order Should Become    ${first}    RESERVED
    Order Should Become    ${second}    RESERVED
    Journey Should Have Recorded Exactly    ${before}    count=2    quantity=1    sku=SKU-APPLE
