"""The database seam's engine."""
