"""The services seam's engine."""
