*** Settings ***
Documentation     orderflow's gateway, the only public entry: routing, API keys and roles, limits, one
...               error envelope, correlation and trace propagation, and every operation's response checked
...               against the gateway's OpenAPI document and the JSON Schemas of ``resources/schemas``.

Resource          ../../resources/gateway.resource

Suite Setup       Open Gateway Sessions
Suite Teardown    Disconnect From Gateway

Test Tags         api


*** Keywords ***
Open Gateway Sessions
    [Documentation]    One session per role, one without a key and one with an unknown key; the contracts.
    Load Orderflow Contracts
    FOR    ${role}    IN    clerk    auditor    admin
        Connect To Gateway As    ${role}
    END
    Connect To Gateway Without A Key
    Connect To Gateway With An Unknown Key
