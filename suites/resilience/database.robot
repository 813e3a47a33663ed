*** Settings ***
Documentation     orderflow's orders service when its database link stalls in the middle of writing an order and is
...               then reset: the caller gets the gateway's 504 in time, nothing of that order is stored (no order
...               without its message, no message without its order), and the next order goes through once the
...               link is back. PostgreSQL and MariaDB only: SQLite is a file, not a network link.

Resource          ../../resources/resilience.resource

Suite Setup       Open Orderflow Data Over Its Database Link
Suite Teardown    Disconnect From Orderflow Data

Test Tags         faults    db


*** Test Cases ***
A Database Link Reset Mid-Transaction Leaves No Partial Order
    [Tags]    critical
    ${written} =    Bytes Orders Sends To Its Database For One Order
    ${before} =    Take Journey Snapshot
    The Database Link Stalls Half-Way Through    ${written}
    ${response} =    Submit Order For    resilience-reset    1    SKU-APPLE
    Gateway Should Time Out Within Its Budget    ${response}    orders
    Reset Connections    database
    The Link Recovers    database
    No Journey Table Should Have Changed Since    ${before}
    Place A Reserved Order For    resilience-after-reset    1    SKU-APPLE
    Journey Should Have Recorded Exactly    ${before}    count=1    quantity=1    sku=SKU-APPLE
