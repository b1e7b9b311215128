"""Crash-safe file operations for drop folders (blocking: call them in a worker thread).

A file written with :func:`atomic_write` either exists complete or not at all: bytes go
to a hidden temporary file in the same directory, are fsynced, renamed into place, and
the directory is fsynced so the rename itself survives a power cut.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from pathlib import Path

__all__ = ["atomic_copy", "atomic_write", "fsync_dir", "move_unique", "safe_name"]

_UNSAFE = re.compile(r"[^\w.\- ()+,=@\[\]]", re.UNICODE)
_DEVICE = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def fsync_dir(directory: Path) -> None:
    """Make renames and creations in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``: temp file + fsync + rename + directory fsync."""
    tmp = _temp(path)
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_copy(source: Path, path: Path) -> None:
    """Copy ``source`` to ``path`` with the same all-or-nothing guarantee."""
    tmp = _temp(path)
    try:
        with source.open("rb") as src, tmp.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
            dst.flush()
            os.fsync(dst.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def move_unique(source: Path, directory: Path, name: str | None = None) -> Path:
    """Rename ``source`` into ``directory`` (atomic, same file system), never overwriting.

    If the name is taken, a nanosecond stamp goes before the suffix.
    """
    target = directory / (name or source.name)
    if target.exists():
        stem, dot, suffix = target.name.partition(".")
        target = directory / f"{stem}.{time.time_ns()}{dot}{suffix}"
    source.rename(target)
    fsync_dir(directory)
    fsync_dir(source.parent)
    return target


def safe_name(name: str, index: int) -> str:
    """A file name safe to create from an outside attachment name (never a path)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "")
    base = _UNSAFE.sub("_", base).strip(" .")
    if not base or base in {".", ".."} or _DEVICE.match(base):
        return f"attachment-{index + 1}"
    return base[:200]
