"""Reconciliation: the rows of two data sets matched by key, their fields compared by the one rule."""
