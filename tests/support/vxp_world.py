"""A served hub with its /vxp endpoint for office systems through the VXP SDK stand-in
(:func:`vxp_world`), a test document file, and the SDK's answer to a refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from gateway.hub import Hub
from tests.standins.office import OfficeFile, document_edxml
from tests.standins.vxp_sdk import AgencyService, KnobstickService, SdkResult
from tests.support.axis_world import PROV, A, B, axis_entry, hub_config, secret_file, served_hub

__all__ = ["MAX_BODY", "VxpWorld", "edoc", "refused", "vxp_world"]

_VN = timezone(timedelta(hours=7))
MAX_BODY = 256 * 1024


@dataclass
class VxpWorld:
    """A served hub, its /vxp endpoint and the secrets of office-a, office-b and peer-p."""

    hub: Hub
    endpoint: str
    secrets: dict[str, str]

    def sdk(self, system: str, secret: str | None = None) -> KnobstickService:
        """An SDK KnobstickService for ``system``."""
        return KnobstickService(self.endpoint, system, secret or self.secrets[system])

    def agency(self, system: str) -> AgencyService:
        """An SDK AgencyService for ``system``."""
        return AgencyService(self.endpoint, system, self.secrets[system])


@asynccontextmanager
async def vxp_world(
    tmp_home: Path, tmp_path: Path, db: str, *, host: str = "127.0.0.1", **hub: Any
) -> AsyncIterator[VxpWorld]:
    """Units PROV > A, B; office-a for A, office-b for B (plain HTTP allowed), peer-p for PROV."""
    entries, keys = [], {}
    for unit, system, extra in (
        (A, "office-a", {}),
        (B, "office-b", {"allow_plain_http": True}),
        (PROV, "peer-p", {"peer": True}),
    ):
        path, keys[system] = secret_file(tmp_path, system)
        entries.append(axis_entry(unit, system, path, **extra))
    config = hub_config(tmp_home, db, "local://", entries)
    config = replace(config, hub=replace(config.hub, max_body_bytes=MAX_BODY, **hub))
    units = [(PROV, "Tỉnh", None), (A, "Huyện 1", PROV), (B, "Huyện 2", PROV)]
    async with served_hub(config, units, host=host) as (served, url):
        yield VxpWorld(served, f"{url}/vxp", keys)


def refused(result: SdkResult, status: int, code: str) -> None:
    """The SDK's answer to a refusal: HTTP ``status``, FAIL, ErrorDesc led by ``code``."""
    assert (result.http_status, result.status, result.error_code) == (status, "FAIL", str(status))
    assert result.error_desc.startswith(f"{code}: "), result.error_desc


def edoc(tmp_path: Path, *, sender: str = A, to: tuple[str, ...] = (B,), pad: int = 0) -> Path:
    """An edXML document file from ``sender`` to ``to`` (``pad`` bytes of attachment)."""
    now = datetime.now(UTC).astimezone(_VN)
    files = [OfficeFile("a.bin", "application/octet-stream", b"x" * pad)] if pad else []
    path = tmp_path / f"edoc-{sender}-{pad}.edxml"
    path.write_bytes(
        document_edxml(
            sender=sender,
            sender_name="Huyện",
            to=list(to),
            document_id=f"{sender},2026/12/07,1/VP-{pad}",
            subject="Thử",
            number="1",
            notation="VP",
            files=files,
            at=now,
        )
    )
    return path
