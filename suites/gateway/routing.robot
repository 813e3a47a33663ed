*** Settings ***
Documentation    The gateway sends each public path to the service behind it, and says so in Server-Timing.

Resource         ../../resources/gateway.resource


*** Test Cases ***
Orders Are Served By The Orders Service
    [Tags]    smoke    critical
    ${response} =    Read A Page Of Orders    5
    Request Should Have Reached    ${response}    orders

Stock Is Served By The Inventory Service
    [Tags]    critical
    ${response} =    Read Stock Of    SKU-APPLE
    Request Should Have Reached    ${response}    inventory

Reports Are Served By The Reports Service
    ${response} =    Read Daily Report
    Request Should Have Reached    ${response}    reports

A Path Without A Route Is Not Found
    ${response} =    Request A Route That Does Not Exist
    Request Should Be Refused    ${response}    404    NOT_FOUND    documented=no

A Method The Route Does Not Allow Lists The Allowed Ones
    ${response} =    Delete All Orders
    Request Should Be Refused    ${response}    405    METHOD_NOT_ALLOWED    documented=no
    Methods Allowed Should Be    ${response}    GET, POST

Health And The Api Document Need No Key
    ${health}    ${document} =    Read The Health And The Api Document Without A Key
    Response Should Follow The Contract    ${health}
    Response Should Follow The Contract    ${document}
