"""Drop folders for legacy systems that can only read and write files.

Features:
    - ``PATH/in/``: the unit's system drops what it sends. ``NAME.edxml`` (an edXML
      document, sealed by the hub with the unit's key, or an edXML status message),
      ``NAME.xml`` (a signed Lienthong envelope, its files in ``NAME/``), ``NAME.json``
      (a status: ``{"message_id", "status", "reason"}``).
    - **Only complete files are taken**: a writer drops ``NAME.tmp`` (or any name starting
      with ``.``) and renames it when done, which the adapter never reads; and a file
      modified in the last ``settle_ms`` milliseconds is left for the next poll (for
      writers that cannot rename). For ``NAME.xml`` write ``NAME/`` first, the XML last.
    - Taken by the hub → moved atomically to ``PATH/processed/``; refused → moved to
      ``PATH/failed/`` next to ``NAME.reason.txt`` (``code: message``).
    - ``PATH/out/``: documents for the unit as ``<message id>.xml`` with files in
      ``<message id>/`` (or ``<message id>.edxml`` with ``format = "edxml"``), receipts as
      ``<receipt id>.receipt.json``. Files appear atomically (temp + fsync + rename), the
      document XML after its files; named by id, so a crash-retry writes the same file
      and a re-send of an item already written (even if already picked up) is a no-op.
    - Crash safety, inbound: after the hub accepts a file the adapter journals it in
      ``PATH/.state/`` before moving it, so a crash after that never submits it again;
      a crash between the hub's answer and the journal re-submits the same file, which
      for envelopes (and edXML, whose ids are derived from DocumentId) the hub answers
      as already accepted.

Config keys (``options``):
    ``path`` (required): the drop folder root; ``in/ out/ processed/ failed/`` are created.
    ``settle_ms`` (default 2000): minimum age of a dropped file.
    ``format`` (``"envelope"`` default, or ``"edxml"``): how documents are written out.

Example::

    [[adapters]]
    name = "folder"
    unit = "000.00.12.H53"
    options = { path = "/srv/lienthong/drop/h53", settle_ms = 2000 }
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from adapters.base import (
    Adapter,
    AdapterHealth,
    InboundItem,
    OutboundItem,
    SendResult,
    Settlement,
)
from adapters.folder_out import write_outbound
from adapters.folder_scan import SUFFIXES, read_drop
from adapters.fsutil import atomic_write, move_unique
from gateway.errors import AdapterUnavailable, ConfigError, GatewayError

__all__ = ["FolderAdapter"]

Hook = Callable[[str], None]


class FolderAdapter(Adapter):
    """Files in, files out, each exactly once across crashes."""

    name: ClassVar[str] = "folder"
    capabilities: ClassVar[frozenset[str]] = frozenset({"send", "poll"})
    recoverable_errors: ClassVar[tuple[type[BaseException], ...]] = (
        AdapterUnavailable,
        OSError,
    )

    def __init__(self, *, unit: str, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(unit=unit, options=options)
        if not self.options.get("path"):
            raise ConfigError("the folder adapter needs options.path", code="config.invalid")
        self.root = Path(str(self.options["path"]))
        self.settle_seconds = float(self.options.get("settle_ms", 2000)) / 1000.0
        self.format = str(self.options.get("format", "envelope"))
        if self.format not in ("envelope", "edxml"):
            raise ConfigError("folder format must be envelope or edxml", code="config.invalid")
        self.inbox, self.outbox = self.root / "in", self.root / "out"
        self.processed, self.failed = self.root / "processed", self.root / "failed"
        self.state = self.root / ".state"
        #: Called with a step name between the steps; tests raise in it to simulate a crash.
        self.hook: Hook | None = None
        self._made = False

    def _step(self, name: str) -> None:
        if self.hook is not None:
            self.hook(name)

    def _ensure_dirs(self) -> None:
        if not self._made:
            for d in (self.inbox, self.outbox, self.processed, self.failed, self.state):
                d.mkdir(parents=True, exist_ok=True)
            self._made = True

    # -- outbound ----------------------------------------------------------------------

    async def send(self, item: OutboundItem) -> SendResult:
        """Write the item into ``out/`` once (a re-send finds it journaled)."""
        return await asyncio.to_thread(self._send, item)

    def _send(self, item: OutboundItem) -> SendResult:
        self._ensure_dirs()
        marker = self.state / f"sent.{item.kind}.{item.ref}"
        if marker.exists():
            return SendResult()
        name = write_outbound(self.outbox, item, self.format, self._step)
        self._step("send.written")
        atomic_write(marker, name.encode())
        return SendResult()

    # -- inbound -----------------------------------------------------------------------

    async def poll(self) -> list[InboundItem]:
        """Complete files in ``in/``; unreadable ones go straight to ``failed/``."""
        return await asyncio.to_thread(self._poll)

    def _poll(self) -> list[InboundItem]:
        self._ensure_dirs()
        self._finish_orphans()
        items: list[InboundItem] = []
        for path in self._complete_files():
            if self._journal(path.name).exists():
                self._finish_accepted(path)  # a crash after the hub took it: just move
                continue
            try:
                items.append(read_drop(path, self.unit))
            except GatewayError as exc:
                self._refuse(path, exc.code, exc.message)
        return items

    def _finish_orphans(self) -> None:
        """A crash after moving ``NAME.xml`` but before ``NAME/``: move the files too."""
        for journal in self.state.glob("accepted.*"):
            name = journal.name.removeprefix("accepted.")
            if (self.inbox / name).exists():
                continue
            folder = (self.inbox / name).with_suffix("")
            if name.endswith(".xml") and folder.is_dir():
                move_unique(folder, self.processed)
            journal.unlink(missing_ok=True)

    def _complete_files(self) -> list[Path]:
        cutoff = time.time() - self.settle_seconds
        found = []
        for path in sorted(self.inbox.iterdir()):
            if path.name.startswith(".") or path.suffix not in SUFFIXES or not path.is_file():
                continue
            if path.stat().st_mtime <= cutoff:
                found.append(path)
        return found

    async def settle(self, item: InboundItem, outcome: Settlement) -> None:
        """Accepted → journal, then ``processed/``; refused → ``failed/`` + reason."""
        await asyncio.to_thread(self._settle, item, outcome)

    def _settle(self, item: InboundItem, outcome: Settlement) -> None:
        path = self.inbox / item.key
        if not path.exists():
            return
        if outcome.accepted:
            atomic_write(self._journal(item.key), (outcome.ref or "").encode())
            self._step("settle.journaled")
            self._finish_accepted(path)
        else:
            self._refuse(path, outcome.code or "adapter.rejected", outcome.message or "")

    def _journal(self, name: str) -> Path:
        return self.state / f"accepted.{name}"

    def _finish_accepted(self, path: Path) -> None:
        moved = move_unique(path, self.processed)
        self._step("settle.moved")
        self._move_files_dir(path, self.processed, moved)
        self._journal(path.name).unlink(missing_ok=True)

    def _refuse(self, path: Path, code: str, message: str) -> None:
        reason = self.failed / f"{path.name}.reason.txt"
        atomic_write(reason, f"{code}: {message}\n".encode())
        moved = move_unique(path, self.failed)
        if moved.name != path.name:
            reason.rename(self.failed / f"{moved.name}.reason.txt")
        self._move_files_dir(path, self.failed, moved)

    @staticmethod
    def _move_files_dir(path: Path, directory: Path, moved: Path) -> None:
        folder = path.with_suffix("")
        if path.suffix == ".xml" and folder.is_dir():
            move_unique(folder, directory, moved.name.removesuffix(".xml"))

    # -- health ------------------------------------------------------------------------

    async def health(self) -> AdapterHealth:
        """The folders exist and are writable."""
        if self.closed:
            return AdapterHealth(ok=False, detail="closed")
        try:
            await asyncio.to_thread(self._ensure_dirs)
        except OSError as exc:
            return AdapterHealth(ok=False, detail=f"{type(exc).__name__}: {exc}")
        return AdapterHealth(ok=True)
