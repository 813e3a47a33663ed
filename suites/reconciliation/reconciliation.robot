*** Settings ***
Documentation     orderflow keeps one business fact in several systems: an order in its database, its posting
...               in the ledger's settlement files, its figures in the daily report, its announcement in
...               messages. After the journeys they agree; a tampered amount, a lost posting, a duplicated
...               posting, an order the report leaves out and a field renamed between payload versions are each
...               found with the order and field concerned, in a measured time, and orderflow's own consistency
...               report finds the same.

Resource          ../../resources/reconciliation.resource

Suite Setup       Set Up Reconciliation
Suite Teardown    Tear Down Reconciliation

Test Tags         reconciliation    db    legacy


*** Test Cases ***
Orders, Ledger Postings And The Daily Report Agree After The Journeys
    [Tags]    smoke    critical
    The Ledger Should Hold Every Settled Order Once
    ${today} =    Today
    The Daily Report Should Agree With The Orders    ${today}
    The Aggregator Should Find This Run's Orders Consistent

An Amount Tampered In The Ledger Is Found With Its Order And Field
    [Tags]    critical
    VAR    ${order}    ${ORDERS}[0]
    ${batch} =    Batch Of    ${order}
    Keep The Ledger Files Of    ${batch}
    ${found} =    Detect In The Ledger    Tamper With The Amount Of    ${order}    ${batch}
    Differences Should Be    ${found}    mismatches    order_id    ${order}[id] amount
    The Aggregator Should Report    ${order}    amount_mismatch
    [Teardown]    Restore The Ledger Files    ${batch}

A Lost Posting Is Found With Its Order
    [Tags]    critical
    VAR    ${order}    ${ORDERS}[1]
    ${batch} =    Batch Of    ${order}
    Keep The Ledger Files Of    ${batch}
    ${found} =    Detect In The Ledger    Lose The Posting Of    ${batch}
    Should Contain    ${{[key['order_id'] for key in $found['missing_right']]}}    ${order}[id]
    [Teardown]    Restore The Ledger Files    ${batch}

A Duplicated Posting Is Found With Its Order
    [Tags]    critical
    VAR    ${order}    ${ORDERS}[2]
    ${batch} =    Batch Of    ${order}
    ${copy} =    New Batch Id
    ${found} =    Detect In The Ledger    Post Again As    ${batch}    ${copy}
    ${posted} =    Acknowledgement Of Batch    ${batch}
    Differences Should Be    ${found}    duplicates_right    order_id    @{posted}[order_ids]
    The Aggregator Should Report    ${order}    posted_twice
    [Teardown]    Remove Ledger Files    /archive/${copy}.dat    /outbox/${copy}.ack

An Order Missing From The Daily Report Is Found With Its Status
    ${today} =    Today
    ${held} =    Evaluate    str(uuid.uuid4())
    Hold An Order The Report Does Not Know    ${held}
    ${found} =    Run Keyword And Expect Error    *
    ...    The Daily Report Should Agree With The Orders    ${today}
    Should Start With    ${found}    Reconcile: orders vs daily report:
    Should Contain    ${found}    missing on the right: status=ON_HOLD

A Field Renamed Between Payload Versions Is Found, And Agrees Once Renamed
    ${order} =    Get From List    ${ORDERS}    0
    Republish In The Second Payload Version    ${order}
    ${v2} =    Announced Orders In The Second Payload Version
    ${orders} =    Orders Of This Run
    ${found} =    Reconcile    ${orders}    ${v2}    fields=customer,sku,quantity,amount    only=id=${order}[id]
    ...    name=orders vs v2 announcements
    Differences Should Be    ${found}    mismatches    id    ${order}[id] amount
    Data Should Be Consistent    ${orders}    ${v2}    fields=customer,sku,quantity,amount    rename=total=amount
    ...    only=id=${order}[id]
