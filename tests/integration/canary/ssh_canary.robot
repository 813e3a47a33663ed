*** Settings ***
Documentation     Secrets canary for SSH: the password and the key passphrase are Secret variables; run at
...               TRACE by tests/integration/test_ssh_canary.py, which then searches output.xml and log.html.

Library           Seamline
Library           Servers
Library           SshServer

Suite Setup       Require Server    sshd
Suite Teardown    Stop Test Sshd

Test Tags         legacy    ssh


*** Variables ***
${PASSWORD: Secret}      %{CANARY_SSH_PASSWORD}
${PASSPHRASE: Secret}    %{SEAMLINE_SSHD_PASSPHRASE}


*** Test Cases ***
Password And Passphrase Reach sshd But Not The Log
    ${server} =    Start Test Sshd
    Connect To Ssh    ${server.host}    ${server.port}    ${server.user}    password=${PASSWORD}
    ...    known_hosts=${server.known_hosts}    alias=password
    Connect To Ssh    ${server.host}    ${server.port}    ${server.user}    key_file=${server.protected_key_file}
    ...    passphrase=${PASSPHRASE}    known_hosts=${server.known_hosts}    alias=passphrase
    ${result} =    Run Remote Command    echo logged in    alias=passphrase
    Should Be Equal    ${result.stdout}    logged in\n
    Run Keyword And Expect Error    SSH: login to * with password failed: authentication rejected
    ...    Connect To Ssh    ${server.host}    ${server.port}    nobody    password=${PASSWORD}
    ...    known_hosts=${server.known_hosts}    alias=wrong-user
    [Teardown]    Disconnect From All Ssh
