"""Console labels: every delivery state has a Vietnamese name."""

from __future__ import annotations

from gateway.console.i18n import audit_action, state_namer
from gateway.console.views import STATES
from gateway.envelope.model import Status
from gateway.pipeline import states


def test_every_state_has_a_vietnamese_name() -> None:
    """Each state the console can show (filter list, hub states, edXML statuses) is named."""
    vi = state_namer("vi")
    every = {*STATES, *states.TRANSPORT_STATES, *(s.label for s in Status)}
    unnamed = sorted(s for s in every if vi(s) == s)
    assert unnamed == []
    assert vi("accepted") == "Đã tiếp nhận" and vi("received") == "Đã đến"


def test_english_names_states_and_unknown_states_pass_through() -> None:
    """English names each state in words; an unknown state is shown as it is."""
    assert state_namer("en")("recall_agreed") == "Recall agreed"
    every = {*STATES, *states.TRANSPORT_STATES, *(s.label for s in Status)}
    assert sorted(s for s in every if state_namer("en")(s) == s) == []
    assert state_namer("vi")("something_new") == "something_new"


def test_escalation_audit_actions_are_in_words() -> None:
    """The escalation sends' audit actions (unknown, resolved by an operator) read in words."""
    actions = ("notified", "unknown", "confirmed", "resend")
    for lang in ("vi", "en"):
        for action in actions:
            assert not audit_action(lang, f"escalation.{action}").startswith("escalation.")
