"""The delivery state machine: forward only, recipient answers, take-back requests."""

from __future__ import annotations

import pytest

from gateway.envelope.model import Status
from gateway.errors import ReceiptError
from gateway.pipeline.states import DELIVERED, QUEUED, SUBMITTED, advance_transport, next_state


def test_full_happy_path() -> None:
    """01 → 03 → 04 → 05 → 06 is accepted in order."""
    state = DELIVERED
    for status in (
        Status.RECEIVED,
        Status.ACCEPTED,
        Status.ASSIGNED,
        Status.PROCESSING,
        Status.COMPLETED,
    ):
        state = next_state(state, status)
    assert state == "completed"


@pytest.mark.parametrize(
    ("current", "status"),
    [
        ("completed", Status.PROCESSING),
        ("processing", Status.ACCEPTED),
        ("assigned", Status.REJECTED),
        ("rejected", Status.ACCEPTED),
        (DELIVERED, Status.RECALL_AGREED),
        ("accepted", Status.ACCEPTED),
    ],
)
def test_illegal_transitions_are_refused(current: str, status: Status) -> None:
    """Backwards moves, answers after a final state and unasked recall answers are refused."""
    with pytest.raises(ReceiptError) as info:
        next_state(current, status)
    assert info.value.code == "receipt.illegal_transition"


def test_recall_request_then_agreed() -> None:
    """A take-back request (13) may be answered 15 and then nothing more follows."""
    state = next_state("processing", Status.RECALL_REQUESTED)
    state = next_state(state, Status.RECALL_AGREED)
    assert state == "recall_agreed"
    with pytest.raises(ReceiptError):
        next_state(state, Status.COMPLETED)


def test_recall_refused_lets_work_continue() -> None:
    """After 16 (refused) the recipient can still complete the document."""
    state = next_state(next_state("assigned", Status.RECALL_REQUESTED), Status.RECALL_REFUSED)
    assert next_state(state, Status.COMPLETED) == "completed"


def test_transport_states_never_go_back() -> None:
    """queued does not overwrite delivered; delivered does overwrite queued."""
    assert advance_transport(DELIVERED, QUEUED) == DELIVERED
    assert advance_transport(QUEUED, DELIVERED) == DELIVERED
    assert advance_transport(SUBMITTED, QUEUED) == QUEUED
    assert advance_transport("accepted", QUEUED) == "accepted"


@pytest.mark.parametrize(
    ("text", "status"),
    [("03", Status.ACCEPTED), ("3", Status.ACCEPTED), ("completed", Status.COMPLETED)],
)
def test_status_parse(text: str, status: Status) -> None:
    """Statuses are read from their code, short code or name."""
    assert Status.parse(text) is status


def test_status_parse_unknown() -> None:
    """An unknown status is a typed error with a stable code."""
    with pytest.raises(ReceiptError) as info:
        Status.parse("99x")
    assert info.value.code == "receipt.unknown_status"


@pytest.mark.parametrize("current", [SUBMITTED, QUEUED, DELIVERED])
@pytest.mark.parametrize("status", [Status.ASSIGNED, Status.PROCESSING, Status.COMPLETED])
def test_a_later_status_before_the_first_answer_is_out_of_order(
    current: str, status: Status
) -> None:
    """04, 05, 06 before any of 01, 02, 03 are receipt.out_of_order; 01, 02, 03 may come first."""
    with pytest.raises(ReceiptError) as info:
        next_state(current, status)
    assert info.value.code == "receipt.out_of_order"
    for first in (Status.RECEIVED, Status.REJECTED, Status.ACCEPTED):
        assert next_state(current, first) == first.label
