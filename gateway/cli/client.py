"""``lienthong send | inbox | ack | status``: a small client of a running hub's HTTP API.

``lienthong fetch`` (:mod:`gateway.cli.fetch`) downloads a message's envelope and files
with the same client.

The hub is ``LIENTHONG_URL`` (else ``[client] url``, else ``http://`` + ``[hub] listen``)
and the caller is ``LIENTHONG_TOKEN`` (else ``[client] token``). A refusal from the hub is
printed as ``CODE: message`` and the command exits non-zero.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import uuid
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import IO, Any

import aiohttp
import click

from gateway.cli.common import CliContext, pass_cli, run
from gateway.cli.tables import (
    clerk,
    inbox_row,
    notice_row,
    opener_lines,
    pdf_lines,
    table,
    text,
    timeline_rows,
)
from gateway.config import Config
from gateway.errors import AuthError, GatewayError
from gateway.retry_after import BUSY_STATUSES, Busy, RetryAfter, parse_retry_after, retrying

__all__ = ["HubClient", "ack_command", "inbox_command", "send_command", "status_command"]

_CONNECT_TIMEOUT = 10.0
#: ``send``: the first pause when the hub said no ``Retry-After`` (then doubling).
_SEND_FALLBACK_PAUSE = 1.0
#: Answers to a keyed ``send`` that are worth the same request again (besides 503/429).
_SEND_RETRY_CODES = frozenset({"client.unreachable", "request.idempotency_in_progress"})


class HubClient:
    """The four calls the CLI makes, each one HTTP request with the bearer token."""

    def __init__(self, url: str, token: str, retry: RetryAfter | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.retry = retry or RetryAfter(fallback=_SEND_FALLBACK_PAUSE)

    @classmethod
    def from_config(cls, config: Config, env: dict[str, str] | None = None) -> HubClient:
        """URL and token from the environment, then ``[client]``, then ``[hub] listen``."""
        env = dict(os.environ) if env is None else env
        url = env.get("LIENTHONG_URL") or config.client.url or f"http://{config.hub.listen}"
        token = env.get("LIENTHONG_TOKEN") or config.client.token
        if not token:
            raise AuthError("no token: set LIENTHONG_TOKEN or [client] token", code="auth.required")
        retry = RetryAfter(
            retries=config.client.retries,
            max_wait=config.client.max_retry_wait,
            fallback=_SEND_FALLBACK_PAUSE,
        )
        return cls(url, token, retry)

    def _session(self, read_timeout: float) -> aiohttp.ClientSession:
        timeout = aiohttp.ClientTimeout(sock_connect=_CONNECT_TIMEOUT, sock_read=read_timeout)
        return aiohttp.ClientSession(
            timeout=timeout, headers={"Authorization": f"Bearer {self.token}"}
        )

    def _unreachable(self, exc: aiohttp.ClientError) -> GatewayError:
        return GatewayError(f"cannot reach the hub at {self.url}: {exc}", code="client.unreachable")

    async def request(
        self, method: str, path: str, *, read_timeout: float = 60.0, **kwargs: Any
    ) -> Any:
        """One request; a JSON reply, or the hub's error raised as ``CODE: message``."""
        body = await self.read(method, path, read_timeout=read_timeout, **kwargs)
        return json.loads(body) if body else None

    async def read(
        self, method: str, path: str, *, read_timeout: float = 60.0, **kwargs: Any
    ) -> bytes:
        """One request; the reply's bytes, or the hub's error raised as ``CODE: message``."""
        try:
            return await self._read_once(method, path, read_timeout=read_timeout, **kwargs)
        except Busy as busy:
            raise busy.error from None

    async def _read_once(
        self, method: str, path: str, *, read_timeout: float, **kwargs: Any
    ) -> bytes:
        """As :meth:`read`, but a busy answer (503/429) is :class:`Busy`, carrying the
        hub's error and its ``Retry-After``, for :func:`retrying`."""
        try:
            async with (
                self._session(read_timeout) as session,
                session.request(method, self.url + path, **kwargs) as resp,
            ):
                body = await resp.read()
                if resp.status in BUSY_STATUSES:
                    asked = parse_retry_after(resp.headers.get("Retry-After"))
                    raise Busy(_hub_error(resp.status, body), asked)
                if resp.status >= 400:
                    raise _hub_error(resp.status, body)
                return body
        except aiohttp.ClientError as exc:
            raise self._unreachable(exc) from exc

    async def download(self, path: str, target: Path) -> tuple[str, int]:
        """Stream ``GET path`` into the file ``target``; the bytes' SHA-256 (hex) and size."""
        digest, size = hashlib.sha256(), 0
        try:
            async with self._session(60.0) as session, session.get(self.url + path) as resp:
                if resp.status >= 400:
                    raise _hub_error(resp.status, await resp.read())
                with _open_new(target) as out:
                    async for chunk in resp.content.iter_chunked(1 << 16):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
        except aiohttp.ClientError as exc:
            raise self._unreachable(exc) from exc
        return digest.hexdigest(), size

    async def send(
        self, metadata: dict[str, Any], files: list[Path], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Submit metadata + files (streamed from disk); the hub seals the envelope.

        With ``idempotency_key`` a busy hub (503/429: waited out as its ``Retry-After``
        asks, within :attr:`retry`), a lost connection or the hub still running the first
        try is retried: the hub answers a retry with the first answer, so the document is
        sent once. Without a key nothing is retried."""
        if not idempotency_key:
            try:
                return await self._send_once(metadata, files, None)
            except Busy as busy:
                raise busy.error from None
        once = partial(self._send_keyed, metadata, files, idempotency_key)
        return await retrying(self.retry, once, what="send", notify=_tell_waiting)

    async def _send_keyed(
        self, metadata: dict[str, Any], files: list[Path], idempotency_key: str
    ) -> dict[str, Any]:
        """One keyed try; an answer worth the same request again is :class:`Busy`."""
        try:
            return await self._send_once(metadata, files, idempotency_key)
        except GatewayError as exc:
            if exc.code in _SEND_RETRY_CODES:
                raise Busy(exc, None) from exc
            raise

    async def _send_once(
        self, metadata: dict[str, Any], files: list[Path], idempotency_key: str | None
    ) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        with ExitStack() as stack:
            form = aiohttp.FormData()
            form.add_field("metadata", json.dumps(metadata), content_type="application/json")
            for path in files:
                media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                handle = stack.enter_context(path.open("rb"))
                form.add_field("file", handle, filename=path.name, content_type=media)
            body = await self._read_once(
                "POST", "/api/v1/messages", read_timeout=60.0, data=form, headers=headers
            )
            result: dict[str, Any] = json.loads(body)
            return result

    async def inbox(self, wait: float, limit: int) -> list[dict[str, Any]]:
        """The caller's pending items."""
        params = {"wait": str(wait), "limit": str(limit)}
        body = await self.request("GET", "/api/v1/mailbox", params=params, read_timeout=wait + 30)
        items: list[dict[str, Any]] = body["items"]
        return items

    async def ack_items(self, item_ids: list[int]) -> None:
        """Take items off the caller's pending list (one request, all or none)."""
        await self.request("POST", "/api/v1/mailbox/ack", json={"item_ids": item_ids})

    async def ack(self, message_id: str, status: str, reason: str | None) -> str:
        """Post a status for ``message_id`` as the caller's unit; returns the receipt id."""
        payload = {"status": status, "reason": reason}
        body = await self.request("POST", f"/api/v1/messages/{message_id}/receipts", json=payload)
        return str(body["receipt_id"])

    async def status(self, message_id: str) -> dict[str, Any]:
        """The message's timeline."""
        body: dict[str, Any] = await self.request("GET", f"/api/v1/messages/{message_id}/status")
        return body


def _open_new(target: Path) -> IO[bytes]:
    return target.open("wb")


def _tell_waiting(what: str, pause: float, retry: int) -> None:
    """On stderr (stdout carries the answer): the hub is busy, the wait and the retry."""
    click.echo(f"{what}: the hub is busy; retry {retry} in {pause:.1f} s", err=True)


def _hub_error(status: int, body: bytes) -> GatewayError:
    try:
        error = json.loads(body)["error"]
        return GatewayError(str(error["message"]), code=str(error["code"]), http_status=status)
    except (ValueError, KeyError, TypeError):
        return GatewayError(f"HTTP {status} from the hub", code="gateway.error", http_status=status)


def _client(ctx: CliContext) -> HubClient:
    return HubClient.from_config(ctx.config)


_METADATA_OPTIONS = ("kind", "refers_to", "number", "notation", "doc_type", "urgency", "due_date")


@click.command("send")
@click.option("--to", "to", required=True, help="Recipient unit or group codes, comma-separated.")
@click.option("--subject", required=True, help="The document's subject (trích yếu).")
@click.option(
    "--kind",
    type=click.Choice(["new", "revoke", "update", "replace"]),
    default=None,
    help="What the document does (default new); revoke/update/replace need --refers-to.",
)
@click.option("--refers-to", default=None, help="Message id this one revokes/updates/replaces.")
@click.option("--number", default=None, help="The document's number (số), e.g. 12.")
@click.option("--notation", default=None, help='e.g. "12/HND-VP".')
@click.option("--doc-type", default=None, help="Document type, e.g. Công văn, Quyết định.")
@click.option("--urgency", default=None, help="Urgency (độ khẩn), e.g. Khẩn, Hỏa tốc.")
@click.option("--due-date", default=None, help="YYYY-MM-DD.")
@click.option(
    "--idempotency-key",
    default=None,
    help="Send with this Idempotency-Key (default: a new random one). After a failure, "
    "send again with the key it printed: the hub sends the document at most once.",
)
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_cli
def send_command(
    ctx: CliContext,
    /,
    to: str,
    subject: str,
    files: tuple[Path, ...],
    idempotency_key: str | None,
    **opts: Any,
) -> None:
    """Send FILE... to units or groups; prints the message id. Retried by itself when the
    connection is lost (safely: the request carries an Idempotency-Key)."""
    recipients = [code.strip() for code in to.split(",") if code.strip()]
    metadata: dict[str, Any] = {"to": recipients, "subject": subject}
    metadata.update({k: opts[k] for k in _METADATA_OPTIONS if opts.get(k) is not None})
    key = idempotency_key or str(uuid.uuid4())
    try:
        result = run(_client(ctx).send(metadata, list(files), idempotency_key=key))
    except GatewayError:
        click.echo(f"idempotency key: {key} (to retry: --idempotency-key {key})", err=True)
        raise
    click.echo(result["id"])


@click.command("inbox")
@click.option("--wait", type=click.FloatRange(0, 30), default=0.0, help="Seconds to wait for mail.")
@click.option(
    "--limit", type=click.IntRange(1, 500), default=100, help="At most this many items (1-500)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--ack-receipts",
    is_flag=True,
    help="Then take the listed receipts off the list (documents stay until you answer them).",
)
@click.option("--ack-notices", is_flag=True, help="Then take the listed hub notices off the list.")
@pass_cli
def inbox_command(
    ctx: CliContext, wait: float, limit: int, as_json: bool, ack_receipts: bool, ack_notices: bool
) -> None:
    """List the pending items of your unit's mailbox: documents to answer, receipts (with
    their status code and name) about the documents you sent, and, apart, the hub's own
    notices (an overdue delivery of a document you sent), which are not documents."""
    items, acked = run(_inbox(_client(ctx), wait, limit, ack_receipts))
    notices = [item for item in items if item.get("kind") == "notice"]
    if as_json:
        click.echo(json.dumps({"items": items}, ensure_ascii=False, indent=2))
    else:
        headers = ["ITEM", "KIND", "MESSAGE", "FROM", "STATUS", "SUBJECT"]
        rows = [inbox_row(item) for item in items if item.get("kind") != "notice"]
        click.echo(table(headers, rows))
        if notices:
            click.echo("\nHUB NOTICES (from the hub itself, not documents):")
            headers = ["ITEM", "ABOUT MESSAGE", "LATE UNIT", "NOTICE"]
            click.echo(table(headers, [notice_row(item) for item in notices]))
    if ack_receipts:
        click.echo(f"acked {acked} receipt(s)", err=True)
    if ack_notices and notices:
        run(_client(ctx).ack_items([int(n["item_id"]) for n in notices]))
    if ack_notices:
        click.echo(f"acked {len(notices)} hub notice(s)", err=True)


async def _inbox(
    client: HubClient, wait: float, limit: int, ack_receipts: bool
) -> tuple[list[dict[str, Any]], int]:
    """The pending items, receipts completed from their message's timeline; acked if asked."""
    items = await client.inbox(wait, limit)
    timelines: dict[str, dict[str, Any]] = {}
    for item in items:
        if item.get("kind") != "receipt":
            continue
        message_id = str(item.get("message_id"))
        if message_id not in timelines:
            timelines[message_id] = await client.status(message_id)
        item.update(_receipt_in(timelines[message_id], str(item.get("receipt_id"))))
    receipts = [int(item["item_id"]) for item in items if item.get("kind") == "receipt"]
    if ack_receipts and receipts:
        await client.ack_items(receipts)
    return items, len(receipts) if ack_receipts else 0


def _receipt_in(timeline: dict[str, Any], receipt_id: str) -> dict[str, Any]:
    """``status``, ``status_name``, ``by`` and ``reason`` of one receipt of a timeline."""
    for recipient in timeline.get("recipients", []):
        for receipt in recipient.get("receipts") or []:
            if receipt.get("receipt_id") == receipt_id:
                return {
                    "status": receipt.get("status"),
                    "status_name": receipt.get("name"),
                    "by": receipt.get("by"),
                    "reason": receipt.get("reason"),
                }
    return {}


@click.command("ack")
@click.argument("message_id")
@click.argument("status")
@click.option("--reason", default=None, help="Why; required for a rejection (02).")
@pass_cli
def ack_command(ctx: CliContext, message_id: str, status: str, reason: str | None) -> None:
    """Post STATUS for MESSAGE_ID as your unit; prints the receipt id.

    STATUS is a code or its name: 01 received, 02 rejected (with --reason), 03 accepted,
    04 assigned, 05 processing, 06 completed, 15 recall_agreed, 16 recall_refused;
    13 recall_requested is the sender's."""
    click.echo(run(_client(ctx).ack(message_id, status, reason)))


@click.command("status")
@click.argument("message_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_cli
def status_command(ctx: CliContext, message_id: str, as_json: bool) -> None:
    """Show a message's timeline: every recipient, its state and its receipts."""
    status = run(_client(ctx).status(message_id))
    if as_json:
        click.echo(json.dumps(status, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"message {status.get('id')} from {status.get('sender')}: {text(status.get('subject'))}"
    )
    click.echo(f"created {status.get('created_at')}")
    if status.get("person"):
        click.echo(f"sent by {clerk(status)}")
    for line in pdf_lines(status):
        click.echo(line)
    header = ["UNIT", "STATE", "CODE", "STATUS", "AT", "BY", "CLERK", "REASON"]
    click.echo(table(header, timeline_rows(status)))
    for line in opener_lines(status):
        click.echo(line)
