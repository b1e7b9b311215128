"""mix: the path office systems use, on PostgreSQL + RabbitMQ, against the raw pipeline.

The hub seals every envelope: bearer units submit multipart (metadata + a 10 KB file),
axis units send edXML, half of them on ``/axis/v1`` (HMAC-signed requests), half through
``/vxp`` (the VXP SDK stand-in); recipients fetch, answer
01 and ack one item at a time; senders drain their receipts (:mod:`bench.mixclient`, its
own process). Per run, right before each full-load run, the raw pipeline for hub-sealed
documents (:func:`bench.raw.measure_sealed`: two signatures, publish-confirm, consume) runs
on the same host, so the ratio compares like with like under whatever else the machine
does. Then ``runs`` open-loop runs at half the measured rate. Reported: documents/s, the
ratio, p50/p99 submit→fetchable at full and at half load, the hub's CPU per document.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import secrets
import subprocess
import tempfile
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bench import raw
from bench.common import (
    free_port,
    median,
    medians,
    pg_database,
    python,
    temp_home,
    vhost,
)
from bench.envelope import envelope_of
from bench.hubproc import HubProcess
from bench.profile import Profiler
from bench.world import World, prepare, unit_codes, write_config

REPO = Path(__file__).resolve().parent.parent
TARGETS = {"ratio": 0.5, "fetchable_p99_ms": 1000.0}
DOC_BYTES = 10 * 1024
_VN = timezone(timedelta(hours=7))


def _axis_config(home: Path, units: list[str]) -> dict[str, tuple[str, str]]:
    """``[[adapters]]`` axis entries for ``units`` appended to the home's config; each
    unit's (system id, secret)."""
    systems, text = {}, ""
    for n, unit in enumerate(units):
        system, secret = f"bench-office-{n}", secrets.token_urlsafe(32)
        path = home / f"{system}.secret"
        path.write_text(secret)
        path.chmod(0o600)
        systems[unit] = (system, secret)
        text += (
            f'\n[[adapters]]\nname = "axis"\nunit = "{unit}"\n'
            f'[adapters.options]\nsystem_id = "{system}"\nsecret_file = "{path}"\n'
        )
    with (home / "config.toml").open("a") as fh:
        fh.write(text)
    return systems


def _documents(
    home: Path, vxp: list[str], bearer: list[str], count: int, share: float, tag: str
) -> list[tuple[str, str, str, Any]]:
    """``count`` documents: every ``1/share``-th one edXML (through ``/vxp`` from the even
    axis units, ``/axis/v1`` from the odd ones), the rest multipart."""
    from tests.standins.office import OfficeFile, document_edxml

    content = pdf_of(DOC_BYTES)
    every = max(1, round(1 / share)) if share > 0 and vxp else 0
    out: list[tuple[str, str, str, Any]] = []
    folder = home / f"edxml-{tag}"
    folder.mkdir(exist_ok=True)
    now = datetime.now(UTC).astimezone(_VN)
    for i in range(count):
        recipient = bearer[(i * 7 + 1) % len(bearer)]
        if every and i % every == 0:
            sender = vxp[(i // every) % len(vxp)]
            path = folder / f"{i}.edxml"
            number = f"{tag}{i}"
            path.write_bytes(
                document_edxml(
                    sender=sender,
                    sender_name="Văn phòng thử tải",
                    to=[recipient],
                    document_id=f"{sender},{now:%Y/%m/%d},{number}/VP-bench",
                    subject="Công văn thử tải",
                    number=number,
                    notation="VP",
                    files=[OfficeFile("cong-van.pdf", "application/pdf", content)],
                    at=now,
                )
            )
            if vxp.index(sender) % 2 == 0:  # the SDK sends a file
                out.append(("vxp", sender, recipient, str(path)))
            else:
                out.append(("axis", sender, recipient, path.read_bytes()))
        else:
            sender = bearer[i % len(bearer)]
            if sender == recipient:
                recipient = bearer[(i + 1) % len(bearer)]
            out.append(("multipart", sender, recipient, content))
    return out


def _client(home: Path, spec: dict[str, Any]) -> dict[str, Any]:
    """Run :mod:`bench.mixclient` with ``spec`` in its own process; its figures."""
    spec_path, out_path = home / "mix-spec.pickle", home / "mix-result.json"
    spec_path.write_bytes(pickle.dumps(spec))
    subprocess.run(
        [python(), "-m", "bench.mixclient", str(spec_path), str(out_path)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
        timeout=float(spec.get("timeout", 120)) + 120,
    )
    result: dict[str, Any] = json.loads(out_path.read_text())
    return result


def _sealed_batch(world: World, count: int) -> list[Any]:
    """Unsealed envelopes (10 KB, one recipient) for the raw pipeline."""
    template = envelope_of(DOC_BYTES)
    units = world.units
    return [
        dataclasses.replace(
            template,
            message_id=uuid.uuid4(),
            sender=units[i % len(units)],
            recipients=(units[(i + 1) % len(units)],),
            created=datetime.now(UTC),
        )
        for i in range(count)
    ]


async def measure(
    *,
    runs: int = 3,
    docs: int = 600,
    units: int = 20,
    concurrency: int = 32,
    vxp_share: float = 0.25,
    profile: bool = False,
    max_backlog: int | None = None,
    target_wait: float | None = None,
) -> dict[str, Any]:
    """The scenario: medians of ``runs`` full-load runs (each after a raw run), then
    ``runs`` half-load runs; every run's figures under ``per_run``. ``max_backlog``: the
    hub's ``[hub] max_backlog`` (admission control; None: the hub's default);
    ``target_wait``: its ``[hub] target_wait_seconds``."""
    with temp_home() as home:
        async with pg_database() as db_url:
            with vhost() as bus_url:
                port = free_port()
                config = write_config(home, db_url, bus_url, port)
                codes = unit_codes(units)
                vxp_units = codes[: max(1, units // 4)] if vxp_share > 0 else []
                bearer = [c for c in codes if c not in vxp_units]
                systems = _axis_config(home, vxp_units)
                world = await prepare(config, codes, tokens=bearer, keys=codes)
                mix = Mix(home, world, systems, bearer, vxp_units, vxp_share)
                env = {} if max_backlog is None else {"LIENTHONG_HUB_MAX_BACKLOG": str(max_backlog)}
                if target_wait is not None:
                    env["LIENTHONG_HUB_TARGET_WAIT_SECONDS"] = str(target_wait)
                with HubProcess(home, port, extra_env=env) as hub:
                    result = await mix.loads(hub, runs, docs, concurrency, profile)
                    result["hub_rss_mib"] = round(hub.rss_mib(), 1)
    result.update(scenario="mix", units=units, docs=docs, runs=runs, concurrency=concurrency)
    result["vxp_share"] = vxp_share
    result["max_backlog"] = max_backlog
    result["target_wait_seconds"] = target_wait
    result["targets"] = {
        name: {
            "target": target,
            "value": result[name],
            "met": result[name] <= target if name.endswith("_ms") else result[name] >= target,
        }
        for name, target in TARGETS.items()
    }
    return result


@dataclasses.dataclass
class Mix:
    """A prepared world and how its units submit: the loads of one scenario."""

    home: Path
    world: World
    systems: dict[str, tuple[str, str]]
    bearer: list[str]
    vxp: list[str]
    share: float

    def run(
        self, hub: HubProcess, count: int, tag: str, profile: str = "", **load: Any
    ) -> dict[str, Any]:
        """One client run of ``count`` fresh documents; with ``profile``, py-spy samples the
        hub meanwhile and its busiest functions come back under ``profile``."""
        batch = _documents(self.home, self.vxp, self.bearer, count, self.share, tag)
        spec = {
            "base": hub.base,
            "tokens": {u: self.world.tokens[u] for u in self.bearer},
            "systems": self.systems,
            "docs": batch,
            "hub_pid": hub.pid,
            **load,
        }
        if profile:
            out = Path(tempfile.gettempdir()) / f"lienthong-bench-mix-profile-{profile}.txt"
            with Profiler(hub.pid, out) as profiler:
                result = _client(self.home, spec)
            result["profile"] = profiler.top(25)
        else:
            result = _client(self.home, spec)
        result["hub_cpu_ms_per_doc"] = round(result["cpu_ms_per_doc"]["hub"], 2)
        return result

    async def loads(
        self,
        hub: HubProcess,
        runs: int,
        docs: int,
        concurrency: int,
        profile: bool = False,
    ) -> dict[str, Any]:
        """Warm-up, ``runs`` x (raw, full load), ``runs`` half-load runs; the medians."""
        self.run(hub, min(docs, 40), "w", concurrency=8)
        full, raws = [], []
        for r in range(max(runs, 1)):
            raws.append(await raw.measure_sealed(_sealed_batch(self.world, docs), self.world))
            sample = "full" if profile and r == 0 else ""
            full.append(
                self.run(hub, docs, f"f{r}-", sample, mode="closed", concurrency=concurrency)
            )
            full[-1]["raw_docs_per_s"] = round(raws[-1]["docs_per_s"], 1)
            full[-1]["ratio"] = round(full[-1]["docs_per_s"] / raws[-1]["docs_per_s"], 3)
        rate = max(median([f["docs_per_s"] for f in full]) / 2, 1.0)
        half_docs = max(min(docs, 20), min(docs, int(rate * 5)))
        half = [self.run(hub, half_docs, f"h{r}-", mode="rate", rate=rate) for r in range(runs)]
        keys = (
            "docs_per_s",
            "raw_docs_per_s",
            "ratio",
            "fetchable_p50_ms",
            "fetchable_p99_ms",
        )
        summary: dict[str, Any] = medians(
            [{k: f[k] for k in (*keys, "hub_cpu_ms_per_doc")} for f in full]
        )
        summary["half_load_docs_per_s"] = round(rate, 1)
        summary["half_load_fetchable_p50_ms"] = median([h["fetchable_p50_ms"] for h in half])
        summary["half_load_fetchable_p99_ms"] = median([h["fetchable_p99_ms"] for h in half])
        summary["first_try_fetchable_p99_ms"] = median(
            [f["first_try_fetchable_p99_ms"] for f in full]
        )
        summary["overloaded"] = median([f["overloaded"] for f in full])
        summary["errors"] = sum(f["error_count"] for f in full + half)
        summary["lost"] = sum(f["docs"] - f["fetched"] for f in full + half)
        if profile:
            summary["profile"] = {"full": full[0].pop("profile")}
        summary["per_run"] = {"full": full, "half": half}
        return summary


def pdf_of(size: int) -> bytes:
    """A valid one-page, unsigned PDF of about ``size`` bytes (a content stream of text):
    what an office's scanned or exported file looks like to the hub's PDF check."""
    line = b"BT /F1 10 Tf 40 800 Td (Cong van thu tai - noi dung van ban) Tj ET\n"
    stream = line * max(1, size // len(line))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
