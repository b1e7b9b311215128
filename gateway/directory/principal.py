"""Who is calling: a unit, or an operator (who sees across units)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: exactly one of ``unit`` and ``operator`` is set."""

    unit: str | None = None
    operator: str | None = None

    @property
    def is_operator(self) -> bool:
        """True for operator credentials (they may see every unit's messages)."""
        return self.operator is not None

    def __str__(self) -> str:
        return f"operator:{self.operator}" if self.operator else f"unit:{self.unit}"
