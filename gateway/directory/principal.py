"""Who is calling: a unit, or an operator (who sees across units, or, with a scope, the
units of one subtree: a district or commune leader)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: exactly one of ``unit`` and ``operator`` is set."""

    unit: str | None = None
    operator: str | None = None
    #: An operator limited to this unit and its descendants (None: every unit).
    scope: str | None = None
    #: The codes of ``scope``'s subtree as the directory stood when the token was read.
    within: frozenset[str] | None = None
    #: A clerk of ``unit`` logged in to the web mailbox with their own account
    #: (``person:<unit>/<username>``): recorded with what they do (the timeline's
    #: ``person``); None for a unit's token.
    person: str | None = None

    @property
    def is_operator(self) -> bool:
        """True for operator credentials (they may see every unit's messages)."""
        return self.operator is not None

    def __str__(self) -> str:
        if self.operator:
            return f"operator:{self.operator}" + (f"@{self.scope}" if self.scope else "")
        return f"unit:{self.unit}"
