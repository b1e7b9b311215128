"""The directory: units, their tree, groups, and API credentials."""

from gateway.directory.directory import Directory, Group, Unit
from gateway.directory.principal import Principal

__all__ = ["Directory", "Group", "Principal", "Unit"]
