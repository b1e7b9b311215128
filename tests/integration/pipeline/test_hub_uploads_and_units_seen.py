"""The pages' checked hub methods of issue 22: ``store_upload`` (a unit's upload, held
until its submission is decided) and ``units_seen`` (the units an operator may pick)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest

from gateway.directory.principal import Principal
from gateway.errors import ForbiddenError, LimitError
from gateway.hub import Hub
from tests.support.pipeline_stack import A1, A2, OPERATOR, PROV, A, B, unit

DATA = b"%PDF-1.4 cong van tai len\n" * 64


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 100):
        yield data[start : start + 100]


async def test_a_units_upload_is_held_then_removed_when_refused(hub: Hub) -> None:
    """A unit's upload is stored by digest and held; a refused submission's is removed."""
    ref = await hub.store_upload(unit(A), _chunks(DATA), max_bytes=len(DATA))
    assert (ref.sha256, ref.size) == (hashlib.sha256(DATA).hexdigest(), len(DATA))
    assert await hub.blobs.exists(ref.sha256)
    assert await hub.finish_upload([ref], refused=True) == 1
    assert not await hub.blobs.exists(ref.sha256)


async def test_uploads_refused_leave_no_blob(hub: Hub) -> None:
    """An operator's upload is ``auth.forbidden`` and one past its budget
    ``limit.body_too_large``; neither leaves a blob."""
    sha = hashlib.sha256(DATA).hexdigest()
    with pytest.raises(ForbiddenError) as refused:
        await hub.store_upload(OPERATOR, _chunks(DATA), max_bytes=len(DATA))
    assert refused.value.code == "auth.forbidden"
    with pytest.raises(LimitError) as too_large:
        await hub.store_upload(unit(A), _chunks(DATA), max_bytes=len(DATA) - 1)
    assert too_large.value.code == "limit.body_too_large"
    assert not await hub.blobs.exists(sha)


async def test_units_seen_is_the_callers_scope(hub: Hub) -> None:
    """Operators see every unit, a leader those of its scope, a unit is refused."""
    codes = [PROV, A, B, A1, A2, "000.99.99.H01"]
    assert await hub.units_seen(OPERATOR, codes) == frozenset(codes)
    leader = Principal(operator="district", scope=A, within=frozenset({A, A1, A2}))
    assert await hub.units_seen(leader, codes) == {A, A1, A2}
    with pytest.raises(ForbiddenError):
        await hub.units_seen(unit(A), codes)
