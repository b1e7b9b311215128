"""A running hub behind a real HTTP server, on SQLite + local bus and PostgreSQL + RabbitMQ.

The world: a province office PROV with two districts A and B and a stranger C; a token for
each unit, one for an operator. Messages are sent by A to B unless a test says otherwise.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from gateway.config import BusConfig, Config, DatabaseConfig, HubConfig, load_config
from gateway.envelope.seal import seal_envelope
from gateway.hub import Hub, UploadedFile
from gateway.pipeline.document import build_envelope

PROV, A, B, C = "000.00.00.H01", "000.00.01.H01", "000.00.02.H01", "000.00.03.H01"


@dataclass
class World:
    """The hub, an HTTP client on it, and a bearer token per caller."""

    hub: Hub
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        """Headers authenticating as ``who`` (a unit code, "operator", "bad" or "none")."""
        if who == "none":
            return {}
        token = "not-a-real-token-000000000000000000" if who == "bad" else self.tokens[who]
        return {"Authorization": f"Bearer {token}"}

    async def send(self, sender: str = A, to: tuple[str, ...] = (B,), **meta: Any) -> str:
        """Submit a document with one file as ``sender``; returns the message id."""
        form = aiohttp.FormData()
        metadata = {"to": list(to), "subject": meta.pop("subject", "Công văn thử"), **meta}
        form.add_field("metadata", _json(metadata), content_type="application/json")
        form.add_field(
            "file", b"0123456789" * 100, filename="báo cáo.pdf", content_type="application/pdf"
        )
        resp = await self.client.post("/api/v1/messages", data=form, headers=self.auth(sender))
        assert resp.status == 202, await resp.text()
        return str((await resp.json())["id"])

    async def signed_xml(self, sender: str = A, to: tuple[str, ...] = (B,)) -> tuple[str, bytes]:
        """(message id, envelope XML) sealed with ``sender``'s key, its file already stored."""
        ref = await self.hub.blobs.put_bytes(b"signed attachment bytes")
        files = [UploadedFile("phu-luc.txt", "text/plain", ref.sha256, ref.size)]
        env = build_envelope(
            sender, {"to": list(to), "subject": "Envelope XML"}, files, is_group=lambda code: False
        )
        key, cert = await self.hub.signers.for_document(sender)
        return str(env.message_id), seal_envelope(env, key, cert)

    async def mailbox(self, unit: str, wait: float = 5.0) -> list[dict[str, Any]]:
        """``unit``'s pending items (long-poll)."""
        resp = await self.client.get(f"/api/v1/mailbox?wait={wait}", headers=self.auth(unit))
        assert resp.status == 200, await resp.text()
        items: list[dict[str, Any]] = (await resp.json())["items"]
        return items

    async def wait_state(self, message_id: str, unit: str, states: set[str]) -> dict[str, Any]:
        """Poll the status (as an operator) until ``unit``'s delivery is in ``states``."""
        body: dict[str, Any] = {}
        for _ in range(100):
            resp = await self.client.get(
                f"/api/v1/messages/{message_id}/status", headers=self.auth("operator")
            )
            body = await resp.json()
            mine = [r for r in body.get("recipients", []) if r["unit"] == unit]
            if mine and mine[0]["state"] in states:
                return body
            await asyncio.sleep(0.05)
        raise AssertionError(f"{unit} never reached {states}: {body}")


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def hub_config(home: Path, db_url: str, bus_url: str, **hub_overrides: Any) -> Config:
    """A config for a test hub in ``home`` on the given database and bus."""
    cfg = load_config(home, env={})
    hub_cfg: HubConfig = replace(cfg.hub, **hub_overrides)
    return replace(
        cfg, hub=hub_cfg, database=DatabaseConfig(url=db_url), bus=BusConfig(url=bus_url)
    )


async def start_world(config: Config) -> tuple[Hub, dict[str, str]]:
    """Start a hub on ``config`` with the units and tokens of the world."""
    hub = Hub(config)
    await hub.start()
    await hub.directory.add(PROV, "Văn phòng tỉnh")
    for code, name in ((A, "Huyện A"), (B, "Huyện B"), (C, "Huyện C")):
        await hub.directory.add(code, name, PROV)
    await hub.consumers.sync()  # mailboxes for the new units now, not at the next sync tick
    tokens = {code: await hub.directory.create_token(unit=code) for code in (PROV, A, B, C)}
    tokens["operator"] = await hub.directory.create_token(operator="ops")
    return hub, tokens
