*** Settings ***
Documentation     SSH and SFTP keywords against a real OpenSSH sshd on a loopback port: each passing, and
...               failing with its exact message.

Library           OperatingSystem
Library           Seamline
Library           Servers
Library           SshServer

Suite Setup       Start Sshd For The Suite
Suite Teardown    Stop Test Sshd
Test Setup        Log In With Password
Test Teardown     Disconnect From Ssh

Test Tags         legacy    ssh


*** Variables ***
${TARGET}    ${EMPTY}
${DIR}       ${EMPTY}


*** Test Cases ***
Run Remote Command Returns Stdout Stderr And Rc
    ${result} =    Run Remote Command    echo hi; echo careful >&2
    Should Be Equal    ${result.stdout}    hi\n
    Should Be Equal    ${result.stderr}    careful\n
    Should Be Equal As Integers    ${result.rc}    0

Run Remote Command Accepts The Expected Rc Or Any Rc
    ${result} =    Run Remote Command    exit 3    expected_rc=3
    Should Be Equal As Integers    ${result.rc}    3
    ${result} =    Run Remote Command    exit 4    expected_rc=${None}
    Should Be Equal As Integers    ${result.rc}    4

Run Remote Command Fails With Command Rc And Stderr
    Run Keyword And Expect Error
    ...    SSH: command 'echo no ledger here >&2; exit 2' on ${TARGET} expected rc 0, got 2; stderr: no ledger here
    ...    Run Remote Command    echo no ledger here >&2; exit 2
    Run Keyword And Expect Error    EQUALS:The ledger is gone
    ...    Run Remote Command    exit 2    msg=The ledger is gone

Run Remote Command Timeout Ends The Command
    VAR    ${expected}    SSH: command 'echo begun; sleep 4711' on ${TARGET} did not finish within 0.5s;
    ...    it was stopped with every process it started (TERM, then KILL). Output so far: begun
    Run Keyword And Expect Error    ${expected}    Run Remote Command
    ...    echo begun; sleep 4711
    ...    timeout=0.5s
    Run Remote Command    pgrep -u ${SERVER.user} -f 'sleep [4]711'    expected_rc=1

Run Remote Command Timeout Ends A Process In A Session Of Its Own
    VAR    ${expected}    SSH: command 'setsid sleep 4713' on ${TARGET} did not finish within 2s;
    ...    it was stopped with every process it started (TERM, then KILL). Output so far: (none)
    Run Keyword And Expect Error    ${expected}    Run Remote Command    setsid sleep 4713    timeout=2s
    Run Remote Command    pgrep -u ${SERVER.user} -f 'sleep [4]713'    expected_rc=1

Run Remote Command Timeout Ends A Child Left Behind By A Subshell
    VAR    ${expected}    SSH: command '(sleep 4714 &); echo done' on ${TARGET} exited (rc 0)
    ...    but a process it started still held its output open after 2s;
    ...    it was stopped with every process it started (TERM, then KILL). Output so far: done
    Run Keyword And Expect Error    ${expected}    Run Remote Command    (sleep 4714 &); echo done    timeout=2s
    Run Remote Command    pgrep -u ${SERVER.user} -f 'sleep [4]714'    expected_rc=1

Run Remote Command Sends Commands As Written Without A Posix Shell
    Connect To Ssh    ${SERVER.host}    ${SERVER.port}    ${SERVER.user}    password=${SERVER.password}
    ...    known_hosts=${SERVER.known_hosts}    posix_shell=False    alias=plain
    ${result} =    Run Remote Command    echo [$SEAMLINE_RUN_ID]    alias=plain
    Should Be Equal    ${result.stdout}    []\n
    VAR    ${expected}    SSH: command 'sleep 4712' on ${TARGET} did not finish within 0.5s;
    ...    its process group was stopped (TERM, then KILL) and its channel closed. Output so far: (none)
    Run Keyword And Expect Error    ${expected}    Run Remote Command    sleep 4712    timeout=0.5s    alias=plain
    Run Remote Command    pgrep -u ${SERVER.user} -f 'sleep [4]712'    expected_rc=1    alias=plain
    [Teardown]    Disconnect From All Ssh

Key File With Passphrase Logs In
    Connect To Ssh    ${SERVER.host}    ${SERVER.port}    ${SERVER.user}    key_file=${SERVER.protected_key_file}
    ...    passphrase=${SERVER.passphrase}    known_hosts=${SERVER.known_hosts}    alias=by-key
    ${result} =    Run Remote Command    whoami    alias=by-key
    Should Be Equal    ${result.stdout}    ${SERVER.user}\n
    [Teardown]    Disconnect From All Ssh

Wrong Password Fails
    Run Keyword And Expect Error
    ...    SSH: login to ${TARGET} with password failed: authentication rejected
    ...    Connect To Ssh    ${SERVER.host}    ${SERVER.port}    ${SERVER.user}    password=wrong
    ...    known_hosts=${SERVER.known_hosts}    alias=bad

Unauthorized Key Fails
    Run Keyword And Expect Error
    ...    SSH: login to ${TARGET} with key ${SERVER.unauthorized_key_file} failed: authentication rejected
    ...    Connect To Ssh    ${SERVER.host}    ${SERVER.port}    ${SERVER.user}
    ...    key_file=${SERVER.unauthorized_key_file}    known_hosts=${SERVER.known_hosts}    alias=bad

Wrong Passphrase Fails
    Run Keyword And Expect Error
    ...    SSH: cannot load key file ${SERVER.protected_key_file}: wrong passphrase, or not a private key
    ...    Connect To Ssh    ${SERVER.host}    ${SERVER.port}    ${SERVER.user}
    ...    key_file=${SERVER.protected_key_file}    passphrase=wrong    known_hosts=${SERVER.known_hosts}

Unknown Host Key Fails With Its Fingerprint Unless Trusted
    VAR    ${known_hosts}    ${TEMPDIR}/seamline-kh-${SERVER.port}-${{uuid.uuid4().hex}}
    VAR    ${expected}    EQUALS:SSH: host key of [127.0.0.1]:${SERVER.port} is unknown:
    ...    ssh-ed25519 ${SERVER.fingerprint} is not in ${known_hosts};
    ...    add it to known_hosts or pass trust_unknown_host=True
    Run Keyword And Expect Error    ${expected}    Connect To Ssh
    ...    ${SERVER.host}
    ...    ${SERVER.port}
    ...    ${SERVER.user}
    ...    password=${SERVER.password}
    ...    known_hosts=${known_hosts}
    ...    alias=new
    Connect To Ssh    ${SERVER.host}    ${SERVER.port}    ${SERVER.user}    password=${SERVER.password}
    ...    known_hosts=${known_hosts}    trust_unknown_host=True    alias=new
    ${known} =    Get File    ${known_hosts}
    Should Contain    ${known}    [127.0.0.1]:${SERVER.port} ssh-ed25519
    [Teardown]    Run Keywords    Disconnect From All Ssh    AND    Remove File    ${known_hosts}

Changed Host Key Fails Even When Trust Is Given
    ${known_hosts}    ${other} =    Known Hosts With Another Key
    VAR    ${expected}    EQUALS:SSH: host key of [127.0.0.1]:${SERVER.port} has CHANGED:
    ...    known_hosts ${known_hosts} has ssh-ed25519 ${other}, the server offered ssh-ed25519 ${SERVER.fingerprint}.
    ...    Someone may be intercepting the connection; if the change is expected, update known_hosts
    Run Keyword And Expect Error    ${expected}    Connect To Ssh
    ...    ${SERVER.host}
    ...    ${SERVER.port}
    ...    ${SERVER.user}
    ...    password=${SERVER.password}
    ...    known_hosts=${known_hosts}
    ...    trust_unknown_host=True

Pinned Host Key Fingerprint
    Connect To Ssh    ${SERVER.host}    ${SERVER.port}    ${SERVER.user}    password=${SERVER.password}
    ...    host_key_fingerprint=${SERVER.fingerprint}    alias=pinned
    Run Keyword And Expect Error
    ...    SSH: host key of 127.0.0.1:${SERVER.port} is ssh-ed25519 ${SERVER.fingerprint}, expected fingerprint SHA256:nope
    ...    Connect To Ssh
    ...    ${SERVER.host}
    ...    ${SERVER.port}
    ...    ${SERVER.user}
    ...    password=${SERVER.password}
    ...    host_key_fingerprint=SHA256:nope
    ...    alias=pinned-wrong
    [Teardown]    Disconnect From All Ssh

Host Down Fails At Once
    Run Keyword And Expect Error
    ...    SSH: cannot connect to 127.0.0.1:1: Connection refused
    ...    Connect To Ssh    127.0.0.1    1    ${SERVER.user}    password=${SERVER.password}    timeout=2s

Keywords Without A Connection Name The Opener
    Disconnect From Ssh
    Run Keyword And Expect Error
    ...    SSH: no open connection (open: none); open one with `Connect To Ssh`
    ...    Run Remote Command    echo hi

Disconnect From Ssh Fails For An Unknown Alias But Not When None Is Open
    Run Keyword And Expect Error
    ...    SSH: no 'ledgr' connection to close (open: default)
    ...    Disconnect From Ssh    ledgr
    Run Remote Command    true
    Disconnect From Ssh
    Disconnect From Ssh

Switch Ssh Picks Another Login
    Connect To Ssh    ${SERVER.host}    ${SERVER.port}    ${SERVER.user}    key_file=${SERVER.key_file}
    ...    known_hosts=${SERVER.known_hosts}    alias=Second Login
    Switch Ssh    default
    Run Remote Command    true
    Switch Ssh    second_login
    Run Remote Command    true    alias=SECOND LOGIN
    Run Keyword And Expect Error
    ...    SSH: no 'third' connection (open: Second Login, default); open one with `Connect To Ssh`
    ...    Switch Ssh    third
    [Teardown]    Disconnect From All Ssh

Upload File Then Download File
    VAR    ${local}    ${TEMPDIR}/seamline-batch-${SERVER.port}.dat
    Create File    ${local}    H00001\nD00001\nT00001\n
    ${remote} =    Upload File    ${local}    ${DIR}/
    Should Be Equal    ${remote}    ${DIR}/seamline-batch-${SERVER.port}.dat
    ${copy} =    Download File    ${remote}    ${TEMPDIR}/seamline-copy-${SERVER.port}.dat
    ${content} =    Get File    ${copy}
    Should Be Equal    ${content}    H00001\nD00001\nT00001\n
    [Teardown]    Run Keywords    Disconnect From Ssh    AND    Remove Files    ${local}    ${copy}

Upload File Fails For A Missing Local File
    Run Keyword And Expect Error
    ...    SSH: local file /nonexistent/batch.dat does not exist
    ...    Upload File    /nonexistent/batch.dat    ${DIR}/

Upload File Fails For A Missing Remote Directory
    VAR    ${local}    ${TEMPDIR}/seamline-upload-${SERVER.port}.dat
    Create File    ${local}    x
    Run Keyword And Expect Error
    ...    SSH: cannot put ${DIR}/nodir/x.dat on ${TARGET}: no such file or directory
    ...    Upload File    ${local}    ${DIR}/nodir/x.dat
    [Teardown]    Run Keywords    Disconnect From Ssh    AND    Remove File    ${local}

Download File Fails For A Missing Remote File
    Run Keyword And Expect Error
    ...    SSH: cannot get ${DIR}/missing.dat on ${TARGET}: no such file or directory
    ...    Download File    ${DIR}/missing.dat    ${TEMPDIR}

Create And Read Remote File
    Create Remote File    ${DIR}/note.txt    grüße
    ${text} =    Read Remote File    ${DIR}/note.txt
    Should Be Equal    ${text}    grüße

Create Remote File Fails For A Missing Remote Directory
    Run Keyword And Expect Error
    ...    SSH: cannot put ${DIR}/nodir/note.txt on ${TARGET}: no such file or directory
    ...    Create Remote File    ${DIR}/nodir/note.txt    x

Read Remote File Fails For A Missing File
    Run Keyword And Expect Error
    ...    SSH: cannot get ${DIR}/nothing.txt on ${TARGET}: no such file or directory
    ...    Read Remote File    ${DIR}/nothing.txt

List Remote Files Filters By Pattern
    Create Remote File    ${DIR}/batch-1.dat    1
    Create Remote File    ${DIR}/batch-2.dat    2
    Create Remote File    ${DIR}/readme.txt    r
    ${names} =    List Remote Files    ${DIR}    pattern=batch-*.dat
    Should Be Equal    ${names}    ${{ ["batch-1.dat", "batch-2.dat"] }}

List Remote Files Fails For A Missing Directory
    Run Keyword And Expect Error
    ...    SSH: cannot list ${DIR}/nowhere on ${TARGET}: no such file or directory
    ...    List Remote Files    ${DIR}/nowhere

Remote File Should Exist And Should Not Exist
    Create Remote File    ${DIR}/here.ack    {}
    ${found} =    Remote File Should Exist    ${DIR}/*.ack
    Should Be Equal    ${found}    ${DIR}/here.ack
    Remote File Should Not Exist    ${DIR}/*.err
    Run Keyword And Expect Error
    ...    SSH: remote file '${DIR}/*.err' does not exist on ${TARGET}
    ...    Remote File Should Exist    ${DIR}/*.err
    Run Keyword And Expect Error
    ...    SSH: remote file '${DIR}/*.ack' should not exist on ${TARGET}: ${DIR}/here.ack
    ...    Remote File Should Not Exist    ${DIR}/*.ack

Remote File Assertions Take Msg
    Create Remote File    ${DIR}/here.ack    {}
    Run Keyword And Expect Error    EQUALS:No error file expected
    ...    Remote File Should Exist    ${DIR}/*.err    msg=No error file expected
    Run Keyword And Expect Error    EQUALS:The ack must be gone
    ...    Remote File Should Not Exist    ${DIR}/here.ack    msg=The ack must be gone
    Run Keyword And Expect Error    EQUALS:The ledger never answered
    ...    Wait Until Remote File Exists    ${DIR}/never.ack    timeout=0.3s    msg=The ledger never answered

Wait Until Remote File Exists Sees A Late File
    Run Remote Command    (sleep 0.3; echo done > ${DIR}/late.ack) >/dev/null 2>&1 &
    ${found} =    Wait Until Remote File Exists    ${DIR}/late.*    timeout=10s
    Should Be Equal    ${found}    ${DIR}/late.ack

Wait Until Remote File Exists Fails After Its Timeout
    Run Keyword And Expect Error
    ...    SSH: no remote file matching '${DIR}/never.ack' appeared on ${TARGET} within 0.5s
    ...    Wait Until Remote File Exists    ${DIR}/never.ack    timeout=0.5s

Remove Remote File
    Create Remote File    ${DIR}/gone.dat    x
    Remove Remote File    ${DIR}/gone.dat
    Remote File Should Not Exist    ${DIR}/gone.dat
    Remove Remote File    ${DIR}/gone.dat    missing_ok=True
    Run Keyword And Expect Error
    ...    SSH: cannot remove ${DIR}/gone.dat on ${TARGET}: no such file
    ...    Remove Remote File    ${DIR}/gone.dat

Every Command And Transfer Is On The Timeline
    Run Remote Command    echo hi
    Create Remote File    ${DIR}/t.txt    t
    ${commands} =    Get Timeline    system=ssh    operation=exec
    Should Be Equal    ${{ $commands[-1].attributes }}    ${{ {"command": "echo hi", "rc": 0} }}
    ${put} =    Timeline Should Contain    sftp    put    target=${TARGET}:${DIR}/t.txt
    Should Be Equal As Integers    ${put.bytes_sent}    1

Read Records Over SFTP Fails On A Layout Mismatch
    Create Remote File    ${DIR}/short.dat    H too short\n
    Run Keyword And Expect Error
    ...    EQUALS:Records: ${DIR}/short.dat on ${TARGET} line 1: expected 80 characters for a header record, got 11
    ...    Read Records    ${DIR}/short.dat    ${CURDIR}/../../resources/layouts/settlement.yaml    remote=True


*** Keywords ***
Start Sshd For The Suite
    [Documentation]    Skips the suite without sshd (fails when SEAMLINE_REQUIRE names it); sets ${SERVER}, ${TARGET}.
    Require Server    sshd
    ${server} =    Start Test Sshd
    VAR    ${SERVER}    ${server}    scope=SUITE    # robocop: off=VAR05
    VAR    ${TARGET}    ${server.user}@${server.host}:${server.port}    scope=SUITE    # robocop: off=VAR05

Log In With Password
    [Documentation]    Logs in as the test user and gives the test its own remote directory ${DIR}.
    Connect To Ssh    ${SERVER.host}    ${SERVER.port}    ${SERVER.user}    password=${SERVER.password}
    ...    known_hosts=${SERVER.known_hosts}
    VAR    ${DIR}    ${SERVER.work_dir}/${{uuid.uuid4().hex}}    scope=TEST    # robocop: off=VAR06
    Run Remote Command    mkdir ${DIR}
