*** Settings ***
Documentation    Inputs generated from the gateway's OpenAPI document: boundary values, schema-violating
...              values, undeclared methods and random valid orders, sent through the admin's session.

Resource         ../../resources/robustness.resource


*** Test Cases ***
Every Operation Answers Unexpected Inputs As Documented
    [Tags]    critical
    Every Gateway Operation Should Survive Unexpected Inputs

A Refused Request Writes Nothing
    [Tags]    db
    Refused Inputs Should Leave No Trace

Every Operation Survives A Deeper Sweep
    [Documentation]    More inputs per operation; make test runs it once, on SQLite (the server runs exclude ``slow``).
    [Tags]    slow
    Every Gateway Operation Should Survive Unexpected Inputs
    ...    inputs=${DEEP_INPUTS_PER_OPERATION}    time=${DEEP_SWEEP_TIME}
