"""The delivery transition rules the store applies without owning them: they live in
:mod:`gateway.pipeline.states` (``states.RULES``) and are handed to
:class:`~gateway.store.messages.MessageStore` when it is built, so the store never
imports the pipeline."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from gateway.envelope.model import Status

__all__ = ["DeliveryRules", "NextState"]


class NextState(Protocol):
    """``states.next_state``: the delivery state after ``status`` in ``current``, or raise
    (``receipt.illegal_transition``, ``receipt.out_of_order``)."""

    def __call__(
        self, current: str, status: Status, *, answers_change: bool = ..., answered: bool = ...
    ) -> str: ...


@dataclass(frozen=True, slots=True)
class DeliveryRules:
    """What the receipt step and the status reads ask of the transition rules."""

    next_state: NextState
    #: The states no further status can follow.
    final_states: frozenset[str]
    #: States a take-back (13) puts a delivery in, which hide whether it was answered.
    recall_states: Collection[str]
    #: Every code of a recipient's own answer (01-06).
    answer_codes: Collection[str]

    def is_final(self, state: str) -> bool:
        """True when no further status can follow ``state``."""
        return state in self.final_states
