*** Settings ***
Documentation    A request can be followed through the platform: the caller's correlation id is kept and
...              stored, the W3C trace continues through the gateway, and Server-Timing splits the time
...              between the gateway and the service.

Resource         ../../resources/gateway.resource


*** Test Cases ***
The Caller's Correlation Id Is Kept And Stored With The Order
    [Tags]    smoke    critical
    ${correlation_id} =    Evaluate    f"gateway-suite-{uuid.uuid4()}"    modules=uuid
    ${response} =    Submit Order For    tracing-suite    1    SKU-APPLE    correlation_id=${correlation_id}
    Status Should Be    ${response}    201
    Correlation Id Should Be Kept    ${response}    ${correlation_id}
    Order Should Carry Correlation Id    ${response.json()}    ${correlation_id}

The Trace Continues Through The Gateway
    [Tags]    critical
    ${response} =    Submit Order For    tracing-suite    1    SKU-PEAR
    Status Should Be    ${response}    201
    Trace Should Continue Through The Gateway    ${response}
    Request Should Have Reached    ${response}    orders

Every Call Is On The Test's Timeline
    Read Stock Of    SKU-APPLE
    Read A Page Of Orders    1
    Timeline Should Contain    http    GET
    Log Timeline    Gateway calls
