"""What ``evidence verify`` answers: a :class:`Report` of what a bundle proves, or the
first :class:`Failure` with its stable code (``evidence.*``, see ``gateway/error_codes.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Failure", "Report"]


@dataclass(frozen=True)
class Failure(Exception):
    """The first check that failed: a stable code and what was wrong."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass
class Report:
    """What the bundle proves, line by line."""

    message_id: str = ""
    proves: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
