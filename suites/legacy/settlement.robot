*** Settings ***
Documentation     orderflow settles reserved orders with its ledger, a legacy system reached over SSH and SFTP:
...               settlement batches arrive as fixed-width files with the right records, the ledger posts a batch
...               by SSH command, posting it again changes nothing, a corrupt batch is rejected with an error file,
...               and an EBCDIC batch goes through a mainframe-style ledger unchanged.

Resource          ../../resources/legacy.resource

Suite Setup       Set Up Ledgers
Suite Teardown    Tear Down Ledgers

Test Tags         legacy


*** Test Cases ***
A Reserved Order Reaches The Ledger In A Settlement Batch
    [Tags]    smoke    critical
    ${order} =    Place A Reserved Order For    legacy-alice    2    SKU-APPLE
    Order Should Reach The Ledger    ${order}

A Batch Is Posted By SSH Command
    [Tags]    critical
    ${batch} =    New Batch Id
    ${first} =    Settlement Line    legacy-bob    12.50
    ${second} =    Settlement Line    legacy-carol    99.99    currency=USD
    Deliver Batch    test-ledger    ${batch}    ${first}    ${second}
    Post Batch    test-ledger    ${batch}
    Batch Should Be Posted    test-ledger    ${batch}    records=2    total=112.49

Posting A Batch Again Changes Nothing
    [Tags]    critical
    ${batch} =    New Batch Id
    ${line} =    Settlement Line    legacy-dave    25.00
    Deliver Batch    test-ledger    ${batch}    ${line}
    Post Batch    test-ledger    ${batch}
    ${before} =    Ledger Balance    test-ledger
    Post Batch    test-ledger    ${batch}    expected=already posted
    Ledger Balance Should Still Be    test-ledger    ${before}

A Corrupt Batch Is Rejected With An Error File
    [Tags]    critical
    ${batch} =    New Batch Id
    ${line} =    Settlement Line    legacy-erin    10.00
    ${before} =    Ledger Balance    test-ledger
    Deliver Corrupt Batch    test-ledger    ${batch}    ${line}
    Posting Should Be Rejected    test-ledger    ${batch}    line 3: trailer record count 2 != 1 detail records
    Ledger Balance Should Still Be    test-ledger    ${before}

An EBCDIC Batch Round-Trips Through An EBCDIC Ledger
    ${batch} =    New Batch Id
    ${line} =    Settlement Line    legacy-frank    7.05
    Deliver Batch    ebcdic-ledger    ${batch}    ${line}    layout=${EBCDIC_LAYOUT}
    Inbox Batch Should Hold    ebcdic-ledger    ${batch}    ${line}    layout=${EBCDIC_LAYOUT}
    Post Batch    ebcdic-ledger    ${batch}
    Batch Should Be Posted    ebcdic-ledger    ${batch}    records=1    total=7.05
    Archived Batch Should Hold    ebcdic-ledger    ${batch}    layout=${EBCDIC_LAYOUT}    order_id=${line}[id]
    ...    customer=legacy-frank    amount=7.05


*** Keywords ***
Set Up Ledgers
    [Documentation]    Reaches orderflow's ledger and starts the suite's own ledgers (latin-1 and EBCDIC).
    Connect To Orderflow's Ledger
    ${root} =    Start Test Ledger    test-ledger
    ${ebcdic_root} =    Start Test Ledger    ebcdic-ledger    encoding=cp037
    VAR    ${TEST_LEDGER_ROOT}    ${root}    scope=SUITE    # robocop: off=VAR05
    VAR    ${EBCDIC_LEDGER_ROOT}    ${ebcdic_root}    scope=SUITE    # robocop: off=VAR05

Tear Down Ledgers
    [Documentation]    Stops the suite's own ledgers and leaves orderflow's.
    Run Keyword And Ignore Error    Stop Test Ledger    test-ledger    ${TEST_LEDGER_ROOT}
    Run Keyword And Ignore Error    Stop Test Ledger    ebcdic-ledger    ${EBCDIC_LEDGER_ROOT}
    Disconnect From Orderflow's Ledger
