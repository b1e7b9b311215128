"""Authorisation rules of the hub facade, decided in one place."""

from __future__ import annotations

import pytest

from gateway.directory import Principal
from gateway.envelope.model import Status
from gateway.errors import ForbiddenError, NotFoundError
from gateway.facade.authz import require_operator, require_party, require_unit, require_visible

SENDER, R1, R2, OTHER = "000.00.01.H01", "000.00.02.H01", "000.00.03.H01", "000.00.09.H01"
MID = "0f8fad5b-d9cb-469f-a165-70867728950e"
OPS = Principal(operator="ops")


def test_units_see_what_they_sent_or_received_and_operators_see_all():
    """Sender, recipients and operators pass; a stranger gets message.not_found."""
    for p in (Principal(unit=SENDER), Principal(unit=R1), OPS):
        require_visible(p, MID, SENDER, (R1, R2))
    with pytest.raises(NotFoundError) as info:
        require_visible(Principal(unit=OTHER), MID, SENDER, (R1, R2))
    assert info.value.code == "message.not_found"


def test_only_a_recipient_posts_statuses_and_only_the_sender_recalls():
    """03 from a recipient, 13 from the sender; the other way round is receipt.wrong_party."""
    assert require_party(Principal(unit=R1), MID, SENDER, (R1,), Status.ACCEPTED) == R1
    assert require_party(Principal(unit=SENDER), MID, SENDER, (R1,), Status.RECALL_REQUESTED)
    for p, status in (
        (Principal(unit=SENDER), Status.ACCEPTED),
        (Principal(unit=R1), Status.RECALL_REQUESTED),
        (Principal(unit=R1), Status.EXPIRED),
    ):
        with pytest.raises(ForbiddenError) as info:
            require_party(p, MID, SENDER, (R1,), status)
        assert info.value.code == "receipt.wrong_party"


def test_operators_have_no_mailbox_and_units_do_not_search():
    """require_unit refuses operators; require_operator refuses units."""
    with pytest.raises(ForbiddenError):
        require_unit(OPS)
    with pytest.raises(ForbiddenError):
        require_operator(Principal(unit=R1))
    assert require_unit(Principal(unit=R1)) == R1
    assert require_operator(OPS) == "ops"
