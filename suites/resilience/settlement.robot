*** Settings ***
Documentation     orderflow's settlement when its link to the ledger misbehaves: a cut during settlement (the link
...               down, or closed half-way through an upload) is retried and posts every order exactly once, in the
...               batch it was first given; and a 300 ms delay on that one internal link cascades into a timeout at
...               the gateway, which the timeline traces back to the ledger link. Each test checks afterwards that
...               the ledger holds no batch twice and none unposted.

Resource          ../../resources/resilience.resource

Suite Setup       Open The Suite's Orderflow
Suite Teardown    Close The Suite's Orderflow

Test Tags         faults    legacy


*** Test Cases ***
A Cut Ledger Link During Settlement Is Retried Without Posting Twice
    [Tags]    critical
    Cut Connections    ledger
    ${order} =    Place A Reserved Order For    resilience-cut    1    SKU-PEAR
    ${batch} =    Order Should Wait For The Ledger    ${order}
    Restore Connections    ledger
    Order Should Be Posted Exactly Once    ${order}    in_batch=${batch}
    No Batch Should Wait In The Ledger's Inbox
    Reports Should Find Everything Consistent

A Ledger Link Closed Half-Way Through An Upload Is Retried Without Posting Twice
    [Tags]    critical
    The Ledger Link Closes During Every Upload
    ${order} =    Place A Reserved Order For    resilience-half-way    1    SKU-PEAR
    ${batch} =    Order Should Wait For The Ledger    ${order}
    Uploads Should Have Been Cut Off
    The Link Recovers    ledger
    Order Should Be Posted Exactly Once    ${order}    in_batch=${batch}
    No Batch Should Wait In The Ledger's Inbox
    Reports Should Find Everything Consistent

A 300 ms Delay On The Ledger Link Cascades Into A Timeout At The Gateway
    [Tags]    slow
    A Link Slows Down    ledger    300ms
    ${response} =    Read Daily Report
    Gateway Should Time Out Within Its Budget    ${response}    reports
    The Link Recovers    ledger
    The Timeline Should Show The Slow Link    ledger
    ${response} =    Read Daily Report
    Status Should Be    ${response}    200
