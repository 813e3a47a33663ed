"""The records seam's engine."""
