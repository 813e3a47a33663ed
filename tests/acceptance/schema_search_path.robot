*** Settings ***
Documentation    Where Validate Json finds a schema by name: the directories given at import (schemas=).

Library          Seamline    schemas=${CURDIR}/../../resources/schemas    AS    Imported
Library          Seamline    schemas=${CURDIR}/no-such-schemas    AS    Misimported

Test Tags        api    schema


*** Variables ***
&{EVENT}    name=order.created    at=2026-01-01T10:00:00Z


*** Test Cases ***
Validate Json Finds Schemas In The Import Directories Without Load Schemas
    VAR    &{error}    code=NOT_FOUND    message=no such order    correlation_id=c-1
    VAR    &{envelope}    error=${error}
    Imported.Validate Json    ${envelope}    error.v1
    Run Keyword And Expect Error    Contracts: data does not match schema 'error.v1' (2 errors):*
    ...    Imported.Validate Json    ${EVENT}    error.v1

An Import Directory That Does Not Exist Says So
    Run Keyword And Expect Error
    ...    Contracts: schema directory ${CURDIR}/no-such-schemas (schemas= at import) does not exist
    ...    Misimported.Validate Json    ${EVENT}    error.v1
