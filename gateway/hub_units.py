"""The units' part of the hub facade that adapters use beside submitting and fetching:
storing a file (and an upload held until its submission is decided), sealing with the
caller unit's key, reading the directory, adding a unit below the caller's
(:mod:`gateway.pipeline.unit_services` does the work).

:class:`gateway.hub.Hub` is these methods with the operators' (:mod:`gateway.hub_operators`)
on top of the caller checks (:mod:`gateway.hub_access`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable

from gateway.directory.directory import Unit
from gateway.directory.groups import Group
from gateway.envelope.model import Envelope, Receipt
from gateway.facade import authz
from gateway.hub_access import HubAccess
from gateway.store.blobs import BlobRef

__all__ = ["UnitDesk"]


class UnitDesk(HubAccess):
    """The hub's parts with the adapters' sealing, file and directory methods."""

    async def store_file(
        self, p: authz.PrincipalLike, data: bytes | AsyncIterable[bytes]
    ) -> BlobRef:
        """A unit's file into the blob store, for a later submit."""
        return await self.for_units.store_file(p, data)

    async def store_upload(
        self, p: authz.PrincipalLike, chunks: AsyncIterable[bytes], *, max_bytes: int
    ) -> BlobRef:
        """A unit's uploaded file (the API's multipart submit, the web mailbox's send form)
        into the blob store as it streams in: a unit only, at most ``max_bytes`` (what is
        left of the request's body budget) and never past the hub's body limit
        (``limit.body_too_large``); held until :meth:`finish_upload` decides it."""
        limit = min(max_bytes, self.config.hub.max_body_bytes)
        return await self.for_units.store_upload(p, chunks, max_bytes=limit)

    async def seal_envelope(self, p: authz.PrincipalLike, envelope: Envelope) -> bytes:
        """``envelope`` signed with the key of its sender, the caller's unit."""
        return await self.for_units.seal_envelope(p, envelope)

    async def seal_receipt(self, p: authz.PrincipalLike, receipt: Receipt) -> bytes:
        """``receipt`` signed with the key of its issuer, the caller's unit."""
        return await self.for_units.seal_receipt(p, receipt)

    async def units(self) -> list[Unit]:
        """Every unit of the directory, by code."""
        return await self.directory.list()

    async def send_choices(self, p: authz.PrincipalLike) -> tuple[list[Unit], list[Group]]:
        """A unit's choice of recipients: every unit and group of the directory (a unit
        only: operators send nothing)."""
        authz.require_unit(p)
        units, groups = await asyncio.gather(self.directory.list(), self.directory.groups())
        return units, groups

    async def unit(self, code: str) -> Unit:
        """One unit (``directory.unknown_unit`` if there is none)."""
        return await self.directory.get(code)

    async def units_below(self, code: str) -> list[Unit]:
        """Every unit below ``code``, at any depth."""
        return await self.directory.descendants(code)

    async def add_unit_below(
        self, p: authz.PrincipalLike, code: str, name: str, parent: str, *, actor: str
    ) -> Unit:
        """Add ``code`` under the caller's unit or one below it; its mailbox opens now."""
        return await self.for_units.add_unit_below(p, code, name, parent, actor=actor)
