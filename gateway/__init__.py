"""Lienthong: an inter-agency document interchange gateway."""

__version__ = "0.1.0"
