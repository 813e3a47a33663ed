*** Settings ***
Documentation     One order followed across every seam of orderflow: taken by the gateway, stored by the orders
...               service with its outbox message, reserved by inventory, settled in a batch the ledger posts, and
...               counted in the daily report. Also a rejection for missing stock travelling back to the caller,
...               cancellation before and after settlement, and many clerks ordering the last units at once.
...               Runs on SQLite by default, on PostgreSQL or MariaDB and over RabbitMQ with the variable files.

Resource          ../../resources/journeys.resource

Suite Setup       Connect To Every Seam Of Orderflow
Suite Teardown    Disconnect From Every Seam Of Orderflow

Test Tags         journeys    api


*** Test Cases ***
An Order Travels From The Gateway To The Ledger And Into The Daily Report
    [Tags]    smoke    critical    db    messaging    legacy
    [Setup]    Earlier Orders Should Be Settled When Traced
    ${sku} =    New Stock Item    10
    ${before} =    Daily Report Of    ${sku}
    ${order} =    Place Order For    journey-ada    2    ${sku}
    ${order} =    Order Should Be Stored Announced And Reserved    ${order}
    Stock Of Should Be    ${sku}    available=8    reserved=2
    Order Should Reach The Ledger    ${order}
    Daily Report Should Count The Settled Order    ${before}    ${order}
    Daily Report Should Show Stock    ${sku}    available=8    reserved=2
    Consistency Report Should Not Flag    ${order}
    The Order's Trace Should Cross Every Service In Order    ${order}

An Order For Missing Stock Is Rejected Back To The Caller And The Report
    [Tags]    critical    messaging
    ${sku} =    New Stock Item    1
    ${before} =    Daily Report Of    ${sku}
    ${order} =    Place Order For    journey-bob    2    ${sku}
    ${rejected} =    Stock Answer Should Arrive    ${order}    rejected
    Rejection Should Give The Reason    ${rejected}    insufficient stock: requested 2, available 1
    ${order} =    Order Should Become    ${order}    REJECTED
    Order Should Carry The Rejection Reason    ${order}    ${rejected}
    Stock Of Should Be    ${sku}    available=1    reserved=0
    Daily Report Should Count    ${before}    REJECTED    1    ${order}[amount]
    Consistency Report Should Not Flag    ${order}

An Order Cancelled Before Settlement Releases Its Stock And Never Reaches The Ledger
    [Tags]    db    legacy
    ${sku} =    New Stock Item    5
    ${before} =    Daily Report Of    ${sku}
    ${order} =    Place A Reserved Order For    journey-carol    3    ${sku}
    Cancel Order And Release Its Stock    ${order}
    Stock Of Should Be    ${sku}    available=5    reserved=0
    ${later} =    A Later Order Should Reach The Ledger Without    ${order}
    Daily Report Should Count    ${before}    CANCELLED    1    ${order}[amount]
    Daily Report Should Count Postings    ${before}    1    ${later}[amount]
    Consistency Report Should Not Flag    ${order}

An Order Settled With The Ledger Can No Longer Be Cancelled
    [Tags]    legacy
    ${sku} =    New Stock Item    5
    ${order} =    Place A Reserved Order For    journey-dave    1    ${sku}
    ${batch} =    Order Should Reach The Ledger    ${order}
    ${response} =    Try To Cancel Order    ${order}
    Request Should Be Refused    ${response}    409    ORDER_SETTLED
    Refusal Should Name The Batch    ${response}    ${batch}
    Order Should Become    ${order}    RESERVED
    Stock Of Should Be    ${sku}    available=4    reserved=1
    Consistency Report Should Not Flag    ${order}

Many Clerks Ordering The Last Units At Once Never Oversell
    [Tags]    critical    messaging    db
    ${sku} =    New Stock Item    3
    ${before} =    Daily Report Of    ${sku}
    ${orders} =    Place Orders At Once    10    journey-rush    1    ${sku}
    ${outcomes} =    Outcomes Of Orders    ${orders}
    Orders Should End    ${outcomes}    reserved=3    rejected=7
    Stock Of Should Be    ${sku}    available=0    reserved=3
    Daily Report Should Count    ${before}    RESERVED    3    37.50
    Daily Report Should Count    ${before}    REJECTED    7    87.50
    Daily Report Should Show Stock    ${sku}    available=0    reserved=3
