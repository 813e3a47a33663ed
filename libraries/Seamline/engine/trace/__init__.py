"""The trace seam's engine."""
