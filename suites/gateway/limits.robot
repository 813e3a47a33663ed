*** Settings ***
Documentation    The gateway protects the services: a per-key rate limit, a largest request body, and
...              validation answers passed back in the same envelope.

Resource         ../../resources/gateway.resource


*** Test Cases ***
A Key Sending Too Fast Is Told When To Retry
    [Tags]    critical
    ${response} =    Exceed The Rate Limit As    auditor
    Request Should Be Refused    ${response}    429    RATE_LIMITED
    Retry After Should Be Given    ${response}
    Key Should Work Again After A Pause    auditor

An Oversized Request Body Is Refused
    ${response} =    Submit An Oversized Order
    Request Should Be Refused    ${response}    413    PAYLOAD_TOO_LARGE

An Invalid Order Is Refused By The Orders Service
    ${response} =    Submit Order For    limits-suite    0    SKU-APPLE
    Request Should Be Refused    ${response}    422    VALIDATION_ERROR
    Refusal Should Name The Upstream    ${response}    orders

Cancelling A Rejected Order Is A Conflict
    ${order} =    Place Order For    limits-suite    1    SKU-RARE
    Order Should Become    ${order}    REJECTED
    ${response} =    Try To Cancel Order    ${order}
    Request Should Be Refused    ${response}    409    ORDER_NOT_CANCELLABLE
