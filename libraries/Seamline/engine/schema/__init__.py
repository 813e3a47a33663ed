"""The schema seam's engine."""
