"""Revocation over HTTP: in force at once in every hub process, and no key on the fly after.

Issue 21, item 5: a revoked certificate was accepted for up to 10 s (each process cached
its trust store), and a unit whose certificates were revoked kept sending with its token
because the hub issued it a new key on the fly.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.livehub import A, LiveHome, live_home

pytestmark = [pytest.mark.slow]


async def _refused_at_once(live: LiveHome, envelope: bytes) -> None:
    """Every process refuses A's revoked certificate and A's documents right away."""
    for hub in live.processes:
        signed = await live.submit_xml(hub, A, envelope)
        assert (signed.status, signed.code) == (422, "signature.certificate_revoked"), signed
        sealed = await live.send(hub, A, subject="Sau thu hồi")
        assert (sealed.status, sealed.code) == (403, "pki.unit_revoked"), sealed


async def test_revocation_is_immediate_and_issues_no_new_key(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Embedded hub: after `keys revoke A`, A's envelope and A's uploads are refused at once;
    no key is issued; `keys issue A` lets A send again."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        hub = await live.serve()
        before = live.signed_envelope(A, subject="Ký trước khi thu hồi")
        warm = await live.send(hub, A, subject="Trước thu hồi")  # caches A's key and the CRL
        assert warm.status == 202, warm
        live.home.cli("keys", "revoke", A)
        await _refused_at_once(live, before)
        listed = live.home.cli("keys", "list")
        assert [line.split()[-2] for line in listed.splitlines()[1:] if A in line] == ["revoked"]

        live.home.cli("keys", "issue", A)
        again = await live.send(hub, A, subject="Cấp lại khóa")
        assert again.status == 202, again


@pytest.mark.integration
async def test_revocation_reaches_every_process_on_one_database(
    tmp_path: Path, pg_url: str, amqp_url: str
) -> None:
    """Two `serve` processes on one PostgreSQL database and home, both warm: a revocation
    made by the CLI is refused by both on the very next request, and a re-issue by both."""
    async with live_home(tmp_path, pg_url, amqp_url) as live:
        hubs = [await live.serve(), await live.serve()]
        envelopes = [live.signed_envelope(A, subject=f"Ký {n}") for n in range(3)]
        for hub, envelope in zip(hubs, envelopes, strict=False):
            warm = await live.submit_xml(hub, A, envelope)
            assert warm.status == 202, warm
            sealed = await live.send(hub, A, subject="Trước thu hồi")
            assert sealed.status == 202, sealed
        live.home.cli("keys", "revoke", A)
        await _refused_at_once(live, envelopes[2])

        live.home.cli("keys", "issue", A)
        for hub in hubs:
            again = await live.send(hub, A, subject="Cấp lại khóa")
            assert again.status == 202, again
