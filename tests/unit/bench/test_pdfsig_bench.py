"""The PDF signature benchmark runs end to end on a tiny PDF and reports both parts."""

from __future__ import annotations

import json

import pytest

from bench.pdfsig import main


def test_bench_reports_verification_rate_and_added_submit_time(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--json`` gives verifications per second and the time the check adds to a submit."""
    monkeypatch.setenv("LIENTHONG_KEY_PASSPHRASE", "bench-smoke")
    assert main(["--mib", "0.01", "--seconds", "0.2", "--submits", "1", "--json"]) == 0
    out = capsys.readouterr().out
    result = json.loads(out[out.index('{\n  "verify"') :])
    assert result["verify"]["verifications"] >= 1 and result["verify"]["per_second"] > 0
    assert result["submit"]["submits"] == 1
    assert result["submit"]["median_ms_with_pdf_check"] > 0
