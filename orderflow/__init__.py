"""orderflow: the reference platform Seamline tests by default."""
