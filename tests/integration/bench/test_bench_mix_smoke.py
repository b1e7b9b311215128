"""The real-mix benchmark still runs: a tiny load through multipart, /vxp and /axis/v1, its
result checked for shape (not for speed: the machine is shared)."""

from __future__ import annotations

import pytest

from bench.mix import measure
from bench.report import table

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_mix_bench_runs_every_path_and_reports_the_ratio() -> None:
    """24 documents, a quarter edXML (8 units: one on /vxp, one on /axis/v1): each fetched
    and receipted at its sender, no error; the raw pipeline ran in the same run, the ratio
    and the latencies are reported."""
    result = await measure(runs=1, docs=24, units=8, concurrency=4)
    assert result["errors"] == 0 and result["lost"] == 0
    full = result["per_run"]["full"][0]
    assert full["fetched"] == full["receipts"] == 24
    assert result["raw_docs_per_s"] > 0 and result["docs_per_s"] > 0
    assert result["ratio"] == pytest.approx(result["docs_per_s"] / result["raw_docs_per_s"], 0.02)
    assert 0 < result["fetchable_p50_ms"] <= result["fetchable_p99_ms"]
    assert 0 < result["half_load_fetchable_p50_ms"] <= result["half_load_fetchable_p99_ms"]
    assert set(result["targets"]) == {"ratio", "fetchable_p99_ms"}
    assert "real mix / raw pipeline" in table({"mix": result})
