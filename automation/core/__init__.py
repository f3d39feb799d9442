"""The pure core: knows the SOP, does no I/O and never reads the clock."""
