"""The last step of ``evidence verify``: each PDF of a bundle checked again, within limits.

A bundle's PDFs are files a unit sent; one may be hostile, made to cost minutes of CPU or
GiBs of memory to check. So, as on the hub, each check runs in a worker process
(:class:`~gateway.pdfsig.sandbox.BoundedChecker`) under a CPU limit and a memory limit
(``RLIMIT_AS``), by default those of ``[pdf]`` (``check_cpu_seconds``,
``check_memory_mib``; no config is read: verify runs without a hub home). The verifier's
own process never parses a PDF. The step runs last, so only a bundle whose manifest the
hub signed and whose envelope, receipts, audit entries and timestamps hold gets its PDFs
parsed at all.

A check that does not finish is ``evidence.pdf_check_limit`` (over the CPU or memory
limit: the bundle may be sound, re-run with higher limits to know) or
``evidence.pdf_check_failed`` (the worker died), never a traceback. A PDF the hub stated
``unchecked`` (its own check hit a limit) and the verifier can check is no contradiction:
the report says what the verifier found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import x509 as ax509

from gateway.config import PdfConfig
from gateway.evidence.report import Failure, Report
from gateway.pdfsig.sandbox import UNCHECKED, BoundedChecker
from gateway.pdfsig.verdict import PdfVerdict, summary

__all__ = ["DEFAULT_CPU_SECONDS", "DEFAULT_MEMORY_MIB", "PdfLimits", "check_pdfs"]

#: The hub's defaults (``[pdf] check_cpu_seconds``, ``check_memory_mib``).
DEFAULT_CPU_SECONDS: float = PdfConfig.check_cpu_seconds
DEFAULT_MEMORY_MIB: int = PdfConfig.check_memory_mib


@dataclass(frozen=True)
class PdfLimits:
    """The CPU seconds and memory MiB one PDF's check may use (bounded as ``[pdf]``'s)."""

    cpu_seconds: float = DEFAULT_CPU_SECONDS
    memory_mib: int = DEFAULT_MEMORY_MIB

    def __post_init__(self) -> None:
        PdfConfig(check_cpu_seconds=self.cpu_seconds, check_memory_mib=self.memory_mib)


def check_pdfs(
    stated: dict[str, Any],
    read: Callable[[str], bytes],
    anchors: list[ax509.Certificate],
    limits: PdfLimits,
    report: Report,
) -> None:
    """Check each PDF of ``stated`` (``pdf-verdicts.json``) again; ``read(sha256)`` gives
    its bytes. Adds a line to ``report`` per PDF, or raises :class:`Failure`."""
    checker = BoundedChecker(
        lambda: anchors, cpu_seconds=limits.cpu_seconds, memory_mib=limits.memory_mib, workers=1
    )
    for f in stated["files"]:
        at = datetime.fromisoformat(f["checked_at"])
        again = checker(read(f["sha256"]), f["name"], sha256=f["sha256"], now=at)
        report.proves.append(_outcome(f, again, limits))


def _outcome(stated: dict[str, Any], again: PdfVerdict, limits: PdfLimits) -> str:
    name = _shown(stated["name"])
    if again.status == UNCHECKED:
        raise _not_finished(name, again, limits)
    found = f"{summary(again, 'en')} ({again.status})"
    if stated["status"] == UNCHECKED:
        return f"pdf: {name}: the hub could not check it ({stated.get('limit') or '?'}); {found}"
    if again.status != stated["status"]:
        raise Failure("evidence.pdf", f"{name}: stated {stated['status']}, found {again.status}")
    return f"pdf: {name}: {found}"


def _not_finished(name: str, again: PdfVerdict, limits: PdfLimits) -> Failure:
    if again.limit == "memory":
        over = f"more than {limits.memory_mib} MiB of memory (--pdf-memory-mib)"
    elif again.limit == "cpu":
        over = f"more than {limits.cpu_seconds:g} s of CPU (--pdf-cpu-seconds)"
    else:
        why = _shown(again.problem or "its worker process died")
        return Failure("evidence.pdf_check_failed", f"{name}: {why}; not verified")
    return Failure(
        "evidence.pdf_check_limit", f"{name}: checking its signatures needed {over}; not verified"
    )


def _shown(text: str) -> str:
    """``text`` on one line (a file name may hold control characters)."""
    return text if text.isprintable() else repr(text)
