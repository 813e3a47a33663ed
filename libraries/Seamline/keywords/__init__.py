"""Seamline's keyword classes, one per seam."""
