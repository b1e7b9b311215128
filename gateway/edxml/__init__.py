"""edxml."""
