*** Settings ***
Documentation    Messages that break the order contract reach inventory, and batches that break the settlement
...              layout reach the ledger: each is refused where the contract says (dead letters, error files),
...              nothing is posted, and the consumers go on with valid input.

Resource         ../../resources/robustness.resource


*** Test Cases ***
Inventory Dead Letters Orders That Break The Contract And Keeps Consuming
    [Tags]    messaging    critical
    Inventory Should Dead Letter Unexpected Orders
    Inventory Should Still Reserve Orders

The Ledger Rejects Each Kind Of Corrupt Batch And Posts Nothing
    [Tags]    legacy
    [Template]    Ledger Should Reject A Corrupt Batch
    short_line
    bad_trailer
    bad_encoding
    bad_number
    duplicate_key
