"""The ssh seam's engine."""
