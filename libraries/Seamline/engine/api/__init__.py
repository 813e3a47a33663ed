"""The api seam's engine."""
