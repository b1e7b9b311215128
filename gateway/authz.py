"""Who may do what, decided in one place (the hub facade calls these, nothing else does).

- A unit submits as itself, reads its own mailbox, and sees the messages it sent or
  received; operators see every message and search, but have no mailbox and send nothing.
- A status about a delivery comes from that delivery's recipient; a take-back request
  (13) comes from the sender (:func:`receipt_party`, which the store applies too).
- A signed receipt moves only its signer's own delivery: signer == caller == the party it
  speaks for (and its ``Issuer``, when present); anything else is ``receipt.wrong_party``.
- A message the caller may not see is answered as if it did not exist
  (``message.not_found``), so that message ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from gateway.envelope.model import Receipt, Status
from gateway.errors import ForbiddenError, NotFoundError

__all__ = [
    "PrincipalLike",
    "receipt_party",
    "require_operator",
    "require_party",
    "require_signed_receipt",
    "require_unit",
    "require_visible",
]


class PrincipalLike(Protocol):
    """An authenticated caller: a unit, or an operator."""

    @property
    def unit(self) -> str | None: ...

    @property
    def operator(self) -> str | None: ...


def require_unit(p: PrincipalLike) -> str:
    """The caller's unit code; operators (no unit) are refused."""
    if not p.unit:
        raise ForbiddenError("only a unit may do this", code="auth.forbidden")
    return p.unit


def require_operator(p: PrincipalLike) -> str:
    """The operator's name; units are refused."""
    if not p.operator:
        raise ForbiddenError("only an operator may do this", code="auth.forbidden")
    return p.operator


def require_visible(
    p: PrincipalLike, message_id: str, sender: str, recipients: Collection[str]
) -> None:
    """Operators see all; a unit sees what it sent or received; else ``message.not_found``."""
    if p.operator:
        return
    if p.unit and (p.unit == sender or p.unit in recipients):
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
) -> str:
    """The caller, when it signed ``receipt`` and the receipt speaks for it; a signature by
    another unit is ``auth.forbidden``, an answer for another party ``receipt.wrong_party``."""
    unit = require_party(p, message_id, sender, recipients, receipt.status)
    if signer != unit:
        raise ForbiddenError(
            f"the receipt is signed by {signer}, not by the caller {unit}",
            code="auth.forbidden",
            message_id=message_id,
        )
    party = receipt_party(receipt, sender)
    if party != unit or receipt.issuer not in (None, party):
        raise ForbiddenError(
            f"{unit} may not answer for {party} (receipt issuer {receipt.issuer or '-'})",
            code="receipt.wrong_party",
            message_id=message_id,
        )
    return unit
