"""The operations adapters get from the facade (``gateway.facade.AdapterFacade``) on a real
hub: each acts only for the caller's unit, as the rest of the facade does."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import pytest
from adapter_world import PROV, A, B

from gateway.directory.principal import Principal
from gateway.envelope.model import Envelope, Receipt, Status
from gateway.errors import EnvelopeError, ForbiddenError, UnitExistsError
from gateway.hub import Hub
from gateway.pipeline.document import build_envelope


def _envelope(sender: str, to: str = B) -> Envelope:
    return build_envelope(sender, {"to": [to], "subject": "Công văn"}, [], is_group=lambda _: False)


async def test_store_file_keeps_a_units_file_by_digest(hub: Hub) -> None:
    """A unit's file is stored under its SHA-256; an operator stores nothing."""
    ref = await hub.store_file(Principal(unit=A), b"%PDF-1.4 one")
    assert (ref.sha256, ref.size) == (hashlib.sha256(b"%PDF-1.4 one").hexdigest(), 12)
    with pytest.raises(ForbiddenError) as refused:
        await hub.store_file(Principal(operator="ops"), b"x")
    assert refused.value.code == "auth.forbidden"


async def test_seal_envelope_signs_only_the_callers_own(hub: Hub) -> None:
    """A unit's envelope is sealed with its key and accepted; another unit's is refused."""
    env = _envelope(A)
    sealed = await hub.seal_envelope(Principal(unit=A), env)
    result = await hub.submit_envelope(Principal(unit=A), sealed)
    assert result.created and str(result.message_id) == str(env.message_id)
    with pytest.raises(EnvelopeError) as refused:
        await hub.seal_envelope(Principal(unit=B), _envelope(A))
    assert refused.value.code == "envelope.sender_mismatch"


async def test_seal_receipt_refuses_another_units_statement(hub: Hub) -> None:
    """A receipt about B's delivery is not sealed for A."""
    receipt = Receipt(
        receipt_id=uuid.uuid4(),
        message_id=uuid.uuid4(),
        envelope_digest="0" * 64,
        recipient=B,
        status=Status.RECEIVED,
        timestamp=datetime.now(UTC),
    )
    assert b"Signature" in await hub.seal_receipt(Principal(unit=B), receipt)
    with pytest.raises(ForbiddenError) as refused:
        await hub.seal_receipt(Principal(unit=A), receipt)
    assert refused.value.code == "receipt.wrong_party"


async def test_add_unit_below_stays_in_the_callers_subtree(hub: Hub) -> None:
    """A unit adds below itself (again: the same unit), never outside its subtree nor
    over a unit under another parent; the directory reads show it."""
    code = "000.01.02.H01"
    added = await hub.add_unit_below(Principal(unit=PROV), code, "Xã mới", A, actor="test")
    again = await hub.add_unit_below(Principal(unit=PROV), code, "Xã mới", A, actor="test")
    assert (added.parent, again.code) == (A, code)
    assert code in {u.code for u in await hub.units_below(PROV)}
    assert (await hub.unit(code)).parent == A
    with pytest.raises(ForbiddenError) as outside:
        await hub.add_unit_below(Principal(unit=B), "000.01.03.H01", "Xã khác", A, actor="t")
    assert outside.value.code == "auth.forbidden"
    with pytest.raises(UnitExistsError):
        await hub.add_unit_below(Principal(unit=PROV), code, "Xã mới", B, actor="test")
    assert code not in {u.code for u in await hub.units_below(B)}
