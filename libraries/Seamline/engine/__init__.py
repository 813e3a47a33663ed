"""Seamline's engine: plain Python, no Robot Framework import, so pytest and other front ends reuse it."""
