"""Unexpected inputs generated from contracts: HTTP requests (Schemathesis), messages and batch files."""

EXTRA = "robotframework-seamline[inputs]"
