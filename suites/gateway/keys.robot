*** Settings ***
Documentation    A call without an API key, or with one the gateway does not know, is refused before it
...              reaches any service.

Resource         ../../resources/gateway.resource


*** Test Cases ***
A Call Without A Key Is Unauthorized
    ${response} =    Read A Page Of Orders    1    role=anonymous
    Request Should Be Refused    ${response}    401    UNAUTHORIZED

A Call With An Unknown Key Is Unauthorized
    ${response} =    Read Stock Of    SKU-APPLE    role=stranger
    Request Should Be Refused    ${response}    401    UNAUTHORIZED
