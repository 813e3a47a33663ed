*** Settings ***
Documentation    Every call needs a known API key, and each key's role decides what it may do.

Resource         ../../resources/gateway.resource

Test Template    Access Should Be


*** Test Cases ***    ROLE    OPERATION    OUTCOME
Clerk Places Orders    [Tags]    smoke    critical
    clerk    create order    allowed
Clerk Reads Stock    clerk    read stock    allowed
Clerk Cannot Change Stock    [Tags]    critical
    clerk    set stock    refused
Clerk Cannot Read Reports    clerk    read daily report    refused
Auditor Reads Reports    auditor    read daily report    allowed
Auditor Reads Orders    auditor    read order list    allowed
Auditor Cannot Place Orders    [Tags]    critical
    auditor    create order    refused
Admin Changes Stock    admin    set stock    allowed
Admin Reads Reports    admin    read daily report    allowed
