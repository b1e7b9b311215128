"""Browser tests fail when any request they make logs at ERROR: a hub event logged while a
request was handled (it carries the request id), or an error from the standard library's
loggers (aiohttp's "Error handling request" among them). A test's own planted faults (a
poison message failing in a bus consumer) are not requests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs


@pytest.fixture(autouse=True)
def no_error_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Capture every log event of the test (the hub's shutdown included); none at ERROR."""
    caplog.set_level(logging.WARNING)
    with capture_logs() as events:
        yield
    errors = [
        e for e in events if e.get("log_level") in ("error", "critical") and "request_id" in e
    ]
    errors += [
        {"logger": r.name, "message": r.getMessage()}
        for r in caplog.records
        if r.levelno >= logging.ERROR
    ]
    assert errors == [], f"requests logged at ERROR: {errors}"
