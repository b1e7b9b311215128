"""The values the hub hands the operators' console and the web mailbox beside its JSON
(frozen dataclasses, no part of the store in them), and what a clerk's account and a
group of units look like to them (:class:`PersonLike`, :class:`GroupLike`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["GroupLike", "MessageCounts", "PersonLike", "UnitState"]


@dataclass(frozen=True, slots=True)
class MessageCounts:
    """The console overview's counters of what the caller sees (a leader: its scope)."""

    #: Documents since the start of the day asked for.
    today: int
    #: Documents some recipient has not finished yet.
    in_flight: int
    #: Deliveries failed or expired.
    failed: int
    #: What the bus gave up on (0 for a leader: the dead letters are the whole hub's).
    dead: int


@dataclass(frozen=True, slots=True)
class UnitState:
    """A unit of the directory as operators watch it."""

    code: str
    name: str
    parent: str | None
    last_seen_at: datetime | None
    #: Items waiting in its mailbox.
    pending: int
    #: When it is (or will be) retired, and the unit that takes its mail then.
    valid_until: datetime | None = None
    successor: str | None = None


class PersonLike(Protocol):
    """A clerk's own account (never its password hash)."""

    @property
    def id(self) -> str: ...

    @property
    def username(self) -> str: ...

    @property
    def unit(self) -> str: ...

    @property
    def full_name(self) -> str | None: ...

    @property
    def actor(self) -> str: ...


class GroupLike(Protocol):
    """A group of units of the directory, to send to."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...
