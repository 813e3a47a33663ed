*** Settings ***
Documentation     End-to-end journeys through orderflow: its HTTP gateway, SQL data, messages and the
...               legacy ledger behind SSH/SFTP. Starts orderflow unless ``\${PLATFORM_URL}`` points at a
...               running deployment (``--variablefile variables/<env>.py``).

Resource          ../resources/orderflow.resource

Suite Setup       Start Orderflow
Suite Teardown    Stop Orderflow
