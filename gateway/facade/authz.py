"""Who may do what, decided in one place (the hub facade calls these, nothing else does).

- A unit submits as itself, reads its own mailbox, and sees the messages it sent or
  received; operators see every message and search, but have no mailbox and send nothing.
- A status about a delivery comes from that delivery's recipient; a take-back request
  (13) comes from the sender (:func:`receipt_party`, which the store applies too); a
  revoke, update or replace is of the caller's own document (:func:`require_sender`, which
  the store checks again at accept, ``request.bad_reference``).
- A signed receipt moves only its signer's own delivery: signer == caller == the party it
  speaks for (and its ``Issuer``, when present), or a retired recipient the caller now
  succeeds (lineage); anything else is ``receipt.wrong_party``.
- A message the caller may not see is answered as if it did not exist
  (``message.not_found``), so that message ids cannot be probed.
- A leader is an operator whose token has a scope: a unit and its descendants. The ONE
  rule: a leader sees a unit when it is in the scope (:func:`sees_unit`), and a message
  when its sender or one of its recipients is (:func:`sees_message`); of a message sent
  from outside the scope, only the deliveries inside it (:func:`visible_recipients`).
  Every front end applies it through these functions: the status, search, overdue and
  summary API, the CSV/XLSX exports, the console's pages and its event stream. What is
  the whole hub's (dead letters, escalation sends) is for operators without a scope
  (:func:`require_whole_hub`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace

from gateway.envelope.model import Receipt, Status
from gateway.errors import ForbiddenError, NotFoundError, RequestError
from gateway.facade import PrincipalLike, SearchFilters

__all__ = [
    "PrincipalLike",
    "own_documents",
    "receipt_party",
    "require_clerk",
    "require_operator",
    "require_party",
    "require_sender",
    "require_signed_receipt",
    "require_unit",
    "require_visible",
    "require_whole_hub",
    "scope_units",
    "scoped_search",
    "sees_message",
    "sees_person",
    "sees_unit",
    "visible_recipients",
]


def require_unit(p: PrincipalLike) -> str:
    """The caller's unit code; operators (no unit) are refused."""
    if not p.unit:
        raise ForbiddenError("only a unit may do this", code="auth.forbidden")
    return p.unit


def own_documents(p: PrincipalLike) -> str:
    """Whose documents a list shows (inbox, sent, registers): a unit lists only its own,
    those delivered to it and those it sent; operators search instead (``auth.forbidden``)."""
    return require_unit(p)


def require_clerk(p: PrincipalLike, account_unit: str) -> str:
    """The caller's unit, when a clerk's account of ``account_unit`` may act for it (an
    account acts for its own unit only); else ``auth.forbidden``."""
    unit = require_unit(p)
    if unit != account_unit:
        message = f"an account of {account_unit} acts for it only"
        raise ForbiddenError(message, code="auth.forbidden")
    return unit


def require_operator(p: PrincipalLike) -> str:
    """The operator's name; units are refused."""
    if not p.operator:
        raise ForbiddenError("only an operator may do this", code="auth.forbidden")
    return p.operator


def scope_units(p: PrincipalLike) -> frozenset[str] | None:
    """The units a leader sees; None for an operator who sees every unit (and for units,
    whose view is their own messages, not a set of units)."""
    return p.within if p.operator else None


def sees_unit(p: PrincipalLike, unit: str | None) -> bool:
    """Whether an operator sees ``unit`` (a leader: only the units of its scope)."""
    units = scope_units(p)
    return bool(p.operator) and (units is None or unit in units)


def sees_message(p: PrincipalLike, sender: str, recipients: Iterable[str]) -> bool:
    """Operators see every message, a leader one that touches its scope, a unit what it
    sent or received."""
    if p.operator:
        units = scope_units(p)
        return units is None or sender in units or any(r in units for r in recipients)
    return bool(p.unit) and (p.unit == sender or p.unit in set(recipients))


def sees_person(p: PrincipalLike, person: str) -> bool:
    """Whether the caller sees which clerk (``person:<unit>/<username>``) acted on a
    timeline: operators see every unit's clerks (a leader those of its scope's units), a
    unit only its own (another unit's staff are its own business)."""
    unit = person.removeprefix("person:").partition("/")[0]
    return sees_unit(p, unit) if p.operator else p.unit == unit


def visible_recipients(p: PrincipalLike, sender: str, recipients: Iterable[str]) -> list[str]:
    """The deliveries of a visible message that the caller sees: all of them, except for
    a leader reading a message sent from outside its scope (only its own units)."""
    units = scope_units(p)
    if units is None or sender in units:
        return list(recipients)
    return [r for r in recipients if r in units]


def scoped_search(p: PrincipalLike, filters: SearchFilters | None) -> SearchFilters:
    """``filters`` limited to the caller's scope (a leader: messages touching it)."""
    return replace(filters or SearchFilters(), within=scope_units(p))


def require_whole_hub(p: PrincipalLike) -> str:
    """An operator without a scope (what belongs to the whole hub); else ``auth.forbidden``."""
    operator = require_operator(p)
    if scope_units(p) is not None:
        raise ForbiddenError("only an operator of the whole hub may do this", code="auth.forbidden")
    return operator


def require_visible(
    p: PrincipalLike, message_id: str, sender: str, recipients: Collection[str]
) -> None:
    """Operators see all (a leader: what touches its scope); a unit sees what it sent or
    received; else ``message.not_found``."""
    if sees_message(p, sender, recipients):
        return
    raise NotFoundError(f"no message {message_id}", code="message.not_found", message_id=message_id)


def require_party(
    p: PrincipalLike, message_id: str, sender: str, recipients: Collection[str], status: Status
) -> str:
    """The unit allowed to post ``status``: the sender for 13, else a recipient."""
    require_visible(p, message_id, sender, recipients)
    unit = require_unit(p)
    if status is Status.RECALL_REQUESTED:
        allowed = unit == sender
    else:
        allowed = unit in recipients and status not in (Status.EXPIRED, Status.FAILED)
    if not allowed:
        raise ForbiddenError(
            f"{unit} may not post status {status.code} on this message",
            code="receipt.wrong_party",
            message_id=message_id,
        )
    return unit


def require_sender(p: PrincipalLike, message_id: str, sender: str) -> str:
    """The caller's unit, when it sent ``message_id`` (a document it may revoke, update or
    replace); a unit's document sent by another is ``request.bad_reference`` (422), as the
    submit of such a change is refused at accept."""
    unit = require_unit(p)
    if unit != sender:
        raise RequestError(
            f"{message_id} is not a document sent by {unit}",
            code="request.bad_reference",
            http_status=422,
            message_id=message_id,
        )
    return unit


def receipt_party(receipt: Receipt, sender: str) -> str:
    """The unit a receipt speaks for: the message's ``sender`` for a take-back request
    (13), else the recipient whose delivery it is about."""
    return sender if receipt.status is Status.RECALL_REQUESTED else receipt.recipient


def require_signed_receipt(
    p: PrincipalLike,
    message_id: str,
    sender: str,
    recipients: Collection[str],
    receipt: Receipt,
    signer: str,
    stands_for: Collection[str] = (),
) -> str:
    """The caller, when it signed ``receipt`` and the receipt speaks for it; a signature by
    another unit is ``auth.forbidden``, an answer for another party ``receipt.wrong_party``.

    ``stands_for``: the retired recipients the caller succeeds now (lineage at read time).
    A successor may answer their deliveries with a receipt it signs itself, speaking for
    the retired unit (its ``Recipient``, with no ``Issuer`` or that unit as ``Issuer``),
    as it may answer them with a plain status; from the change's instant on, not before."""
    party = receipt_party(receipt, sender)
    successor = receipt.status is not Status.RECALL_REQUESTED and party in stands_for
    parties = (*recipients, p.unit) if stands_for and p.unit else recipients
    unit = require_party(p, message_id, sender, parties, receipt.status)
    if signer != unit:
        raise ForbiddenError(
            f"the receipt is signed by {signer}, not by the caller {unit}",
            code="auth.forbidden",
            message_id=message_id,
        )
    if (party != unit and not successor) or receipt.issuer not in (None, party):
        raise ForbiddenError(
            f"{unit} may not answer for {party} (receipt issuer {receipt.issuer or '-'})",
            code="receipt.wrong_party",
            message_id=message_id,
        )
    return unit
