"""A successor's own signed receipt for a retired recipient's delivery (issue 24 item 2):
allowed only for the recipients it stands for, speaking for them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from gateway.directory import Principal
from gateway.envelope.model import Receipt, Status
from gateway.errors import ForbiddenError, NotFoundError
from gateway.facade.authz import require_signed_receipt

SENDER, OLD, HEIR, OTHER = "000.00.01.H01", "000.00.02.H01", "000.00.03.H01", "000.00.09.H01"
MID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def _receipt(
    recipient: str, issuer: str | None = None, status: Status = Status.RECEIVED
) -> Receipt:
    return Receipt(
        receipt_id=uuid.uuid4(),
        message_id=uuid.UUID(MID),
        envelope_digest="0" * 64,
        recipient=recipient,
        status=status,
        timestamp=datetime.now(UTC),
        issuer=issuer,
    )


def _check(caller: str, receipt: Receipt, signer: str, stands_for: tuple[str, ...]) -> str:
    p = Principal(unit=caller)
    return require_signed_receipt(p, MID, SENDER, (OLD,), receipt, signer, stands_for)


def test_a_successor_signs_for_the_unit_it_stands_for() -> None:
    """With OLD among the units it stands for, HEIR's own receipt about OLD's delivery
    (no issuer, or OLD as issuer) passes; without it (before the instant), the message
    is not HEIR's to see."""
    for issuer in (None, OLD):
        assert _check(HEIR, _receipt(OLD, issuer), HEIR, (OLD,)) == HEIR
    with pytest.raises(NotFoundError) as caught:
        _check(HEIR, _receipt(OLD), HEIR, ())
    assert caught.value.code == "message.not_found"


@pytest.mark.parametrize(
    ("caller", "receipt", "signer", "code"),
    [
        (HEIR, _receipt(OLD, issuer=HEIR), HEIR, "receipt.wrong_party"),  # names itself
        (HEIR, _receipt(OLD), OTHER, "auth.forbidden"),  # another unit's signature
        (OTHER, _receipt(OLD), OTHER, "message.not_found"),  # succeeds no one here
        (HEIR, _receipt(OLD, status=Status.RECALL_REQUESTED), HEIR, "receipt.wrong_party"),
    ],
)
def test_what_a_successor_may_not_sign(
    caller: str, receipt: Receipt, signer: str, code: str
) -> None:
    """Naming itself as issuer, another's signature, a caller that stands for no
    recipient, and a take-back request (the sender's) are refused with stable codes."""
    with pytest.raises((ForbiddenError, NotFoundError)) as caught:
        _check(caller, receipt, signer, (OLD,) if caller == HEIR else ())
    assert caught.value.code == code
