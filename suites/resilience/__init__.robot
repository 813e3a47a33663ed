*** Settings ***
Documentation     orderflow on a hostile network: a deployment of these suites' own, with a fault proxy on each
...               link they disturb (gateway to inventory and orders, the bus to inventory, settlement to the
...               ledger, and orders to its database and every service to the broker when this run uses those
...               servers). Every fault is removed at the end of the test that added it.

Resource          ../../resources/resilience.resource

Suite Setup       Start Orderflow With Fault Proxies
Suite Teardown    Stop Orderflow With Fault Proxies
