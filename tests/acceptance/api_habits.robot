*** Settings ***
Documentation    The habits RequestsLibrary users bring (params, data, files as requests takes them) and
...              credentials kept to their origin, against httpbin: a system not written here.

Library          Collections
Library          OperatingSystem
Library          String
Library          Seamline

Suite Setup      Start Httpbin

Test Tags        api


*** Test Cases ***
Call Api Takes Params As A Query String Or A Dictionary
    Connect To Api    ${HTTPBIN}
    ${response} =    Call Api    GET    /get    params=q=seam&x=1
    Response Field Should Be    ${response}    $.args.q    seam
    Response Field Should Be    ${response}    $.args.x    1
    VAR    &{query}    q=seam
    ${response} =    Call Api    GET    /get    params=${query}
    Response Field Should Be    ${response}    $.url    ${HTTPBIN}/get?q=seam

Call Api Takes Params As A List Of Pairs
    [Documentation]    A name may repeat, as in ``tag=a&tag=b``.
    Connect To Api    ${HTTPBIN}
    VAR    @{tag_a}    tag    a
    VAR    @{tag_b}    tag    b
    VAR    @{pairs}    ${tag_a}    ${tag_b}
    ${response} =    Call Api    GET    /get    params=${pairs}
    VAR    @{tags}    a    b
    Response Field Should Be    ${response}    $.args.tag    ${tags}

Call Api Sends Data As A Form, Text Or Bytes
    Connect To Api    ${HTTPBIN}
    VAR    &{form}    customer=ada    qty=2
    ${response} =    Call Api    POST    /post    data=${form}
    Response Field Should Be    ${response}    $.form.customer    ada
    Response Field Should Be    ${response}    $.form.qty    2
    ${response} =    Call Api    POST    /post    data=plain text, as it is
    Response Field Should Be    ${response}    $.data    plain text, as it is
    ${bytes} =    Convert To Bytes    raw-bytes-0815
    ${response} =    Call Api    POST    /post    data=${bytes}
    Response Field Should Be    ${response}    $.data    raw-bytes-0815

Call Api Uploads Files As Multipart
    Connect To Api    ${HTTPBIN}
    Create File    ${OUTPUT DIR}/seamline-upload.txt    batch line 1
    VAR    @{inline}    report.csv    a,b\n1,2    text/csv
    VAR    &{files}    batch=${OUTPUT DIR}/seamline-upload.txt    report=${inline}
    ${response} =    Call Api    POST    /post    files=${files}
    Response Field Should Be    ${response}    $.files.batch    batch line 1
    Response Field Should Be    ${response}    $.files.report    a,b\n1,2
    ${content_type} =    Get Response Field    ${response}    $.headers['Content-Type']
    Should Start With    ${content_type}    multipart/form-data

Files That Cannot Be Sent Fail Before Sending
    Connect To Api    ${HTTPBIN}
    VAR    &{missing}    batch=${OUTPUT DIR}/no-such-upload.txt
    Run Keyword And Expect Error    EQUALS:HTTP: files= 'batch': ${OUTPUT DIR}/no-such-upload.txt is not a file
    ...    Call Api    POST    /post    files=${missing}
    VAR    &{wrong}    batch=${42}
    VAR    ${expected}    EQUALS:HTTP: files= 'batch' must be a file path, bytes or [filename, content, content type];
    ...    got a value of type int
    Run Keyword And Expect Error    ${expected}
    ...    Call Api
    ...    POST
    ...    /post
    ...    files=${wrong}

Credentials Go Only To The Session's Origin
    [Documentation]    httpbin as localhost is one origin and as 127.0.0.1 another: its redirect from the first
    ...    to the second, and an absolute URL of the second, get no credential.
    VAR    &{key}    X-Api-Key=key-0007
    Connect To Api    ${HTTPBIN_AS_LOCALHOST}    alias=origin    auth=${key}
    ${response} =    Call Api    GET    /redirect-to?url=${HTTPBIN}/headers
    ${headers} =    Get Response Field    ${response}    $.headers
    Dictionary Should Not Contain Key    ${headers}    X-Api-Key
    ${response} =    Call Api    GET    ${HTTPBIN}/headers
    ${headers} =    Get Response Field    ${response}    $.headers
    Dictionary Should Not Contain Key    ${headers}    X-Api-Key
    ${response} =    Call Api    GET    /headers
    Response Field Should Be    ${response}    $.headers['X-Api-Key']    key-0007
    [Teardown]    Disconnect From All Apis

Trusted Hosts Get The Credentials Too
    VAR    &{key}    X-Api-Key=key-0007
    Connect To Api    ${HTTPBIN_AS_LOCALHOST}    alias=trusting    auth=${key}    trusted_hosts=${HTTPBIN}
    ${response} =    Call Api    GET    /redirect-to?url=${HTTPBIN}/headers
    Response Field Should Be    ${response}    $.headers['X-Api-Key']    key-0007
    ${response} =    Call Api    GET    ${HTTPBIN}/headers
    Response Field Should Be    ${response}    $.headers['X-Api-Key']    key-0007
    Run Keyword And Expect Error
    ...    EQUALS:HTTP: trusted_hosts entry 'http://' is not a host, host:port or scheme://host:port
    ...    Connect To Api    ${HTTPBIN}    alias=broken    trusted_hosts=http://
    [Teardown]    Disconnect From All Apis


*** Keywords ***
Start Httpbin
    [Documentation]    httpbin as a real local process on a free port, also known as localhost (another origin).
    ${httpbin} =    Start Service    httpbin    python -m httpbin.core --port 0
    ...    ready=log:Running on (http://127.0.0.1:\\d+)    timeout=30s
    VAR    ${HTTPBIN}    ${httpbin.ready_value}    scope=SUITE    # robocop: off=VAR05
    ${localhost} =    Replace String    ${HTTPBIN}    127.0.0.1    localhost
    VAR    ${HTTPBIN_AS_LOCALHOST}    ${localhost}    scope=SUITE    # robocop: off=VAR05
