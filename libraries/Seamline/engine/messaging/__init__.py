"""The messaging seam's engine."""
