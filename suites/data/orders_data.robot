*** Settings ***
Documentation     What an order journey leaves in orderflow's SQL database: the row matches what the API
...               said, the outbox message is committed with it, a refused order leaves nothing behind and a
...               cancellation changes exactly the rows it should. Runs on SQLite by default, on
...               PostgreSQL or MariaDB with ``--variablefile variables/postgres.py`` / ``variables/mariadb.py``.

Resource          ../../resources/database.resource

Suite Setup       Connect To Orderflow Data
Suite Teardown    Disconnect From Orderflow Data

Test Tags         db


*** Test Cases ***
An Order Placed Through The Gateway Is Stored With The Values The Api Returned
    [Tags]    smoke    critical
    ${order} =    Place Order For    data-suite    2    SKU-APPLE
    Order Should Be Stored As The Api Returned It    ${order}
    Order Should Reach Status In The Database    ${order}    RESERVED

The Outbox Message Is Committed Together With The Order
    [Tags]    critical
    ${order} =    Place Order For    data-suite    1    SKU-PEAR
    Order Should Be Announced In The Outbox    ${order}
    Order Should Reach Status In The Database    ${order}    RESERVED

A Refused Order Leaves No Partial Rows
    [Tags]    critical
    ${before} =    Take Journey Snapshot
    ${response} =    Submit Order For    data-suite    0    SKU-APPLE
    Request Should Be Refused    ${response}    422    VALIDATION_ERROR
    No Journey Table Should Have Changed Since    ${before}

A Rejected Order Reserves No Stock
    ${order} =    Place Order For    data-suite    3    SKU-RARE
    Order Should Reach Status In The Database    ${order}    REJECTED
    Reservation Should Reach Status    ${order}    REJECTED
    ${before} =    Take Journey Snapshot
    ${response} =    Try To Cancel Order    ${order}
    Request Should Be Refused    ${response}    409    ORDER_NOT_CANCELLABLE
    No Journey Table Should Have Changed Since    ${before}

Cancelling An Order Changes Exactly The Expected Rows
    [Tags]    critical
    ${order} =    Place Order For    data-suite    3    SKU-PEAR
    Reservation Should Reach Status    ${order}    RESERVED
    ${before} =    Take Journey Snapshot
    Cancel Order    ${order}
    Reservation Should Reach Status    ${order}    RELEASED
    ${changes} =    Journey Changes Since    ${before}
    Changes Should Be    ${changes}[orders]    updated=1    changed=status,updated_at
    Outbox Should Have Gained Only    ${changes}[outbox]    order.cancelled
    Changes Should Be    ${changes}[reservations]    updated=1    changed=status
    Stock Should Have Moved By    ${changes}[stock]    SKU-PEAR    3
