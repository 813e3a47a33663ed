*** Settings ***
Documentation     orderflow meets unexpected inputs generated from its contracts: hostile requests at the
...               gateway. Every answer must be the documented one: no 5xx, no dropped connection, the error
...               envelope with a correlation id for every refusal, nothing written for a refused request.

Resource          ../../resources/robustness.resource

Suite Setup       Open Robustness Sessions
Suite Teardown    Close Robustness Sessions

Test Tags         robustness    api
