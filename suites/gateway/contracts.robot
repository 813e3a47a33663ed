*** Settings ***
Documentation    Every gateway operation answers as its OpenAPI document and orderflow's JSON Schemas say,
...              and a proposed v2 of the order contract is checked for drift before anyone ships it.

Resource         ../../resources/gateway.resource


*** Test Cases ***
Placing An Order Follows The Contract
    [Tags]    smoke    critical
    ${response} =    Submit Order For    contract-suite    2    SKU-APPLE
    Status Should Be    ${response}    201
    Response Should Follow The Contract    ${response}    order.v1

Reading An Order Follows The Contract
    ${order} =    Place Order For    contract-suite    1    SKU-PEAR
    ${response} =    Read Order    ${order}
    Response Should Follow The Contract    ${response}    order.v1

A Page Of Orders Follows The Contract
    ${response} =    Read A Page Of Orders    3
    Response Should Follow The Contract    ${response}    order-page.v1

Cancelling An Order Follows The Contract
    ${order} =    Place Order For    contract-suite    1    SKU-APPLE
    ${response} =    Cancel Order    ${order}
    Response Should Follow The Contract    ${response}    order.v1

Stock Answers Follow The Contract
    ${one} =    Read Stock Of    SKU-APPLE
    Response Should Follow The Contract    ${one}    stock.v1
    ${all} =    Read All Stock
    Response Should Follow The Contract    ${all}
    ${changed} =    Set Stock Of    SKU-GATEWAY-SUITE    7
    Response Should Follow The Contract    ${changed}    stock.v1

Reports Follow The Contract
    ${daily} =    Read Daily Report
    Response Should Follow The Contract    ${daily}
    ${consistency} =    Read Consistency Report
    Response Should Follow The Contract    ${consistency}

Orders Can Be Listed Page By Page
    ${first} =    Place Order For    contract-suite    1    SKU-APPLE
    ${second} =    Place Order For    contract-suite    1    SKU-PEAR
    Every Order Should Be Listed Across Pages    2    ${first}    ${second}

The Proposed Order V2 Is Flagged As Breaking Before It Ships
    [Documentation]    v2 adds an optional ``channel`` (compatible) and renames ``customer`` to ``customer_id``
    ...    (breaking): today's orders would not match it.
    ${changes} =    Compare Schemas    order.v1    order.v2
    Change Should Be Classified    ${changes}    channel    compatible
    Change Should Be Classified    ${changes}    customer    breaking
    ${order} =    Place Order For    contract-suite    1    SKU-APPLE
    Order Should Not Match Schema    ${order}    order.v2    customer_id
