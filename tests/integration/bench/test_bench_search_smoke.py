"""The search benchmark still runs: a tiny load, its result checked for shape and hits."""

from __future__ import annotations

import pytest

from bench.search import measure

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_search_bench_runs_and_finds() -> None:
    """3,000 messages: every query answers, with the hits the generated data holds."""
    result = await measure(messages=3000, units=20, runs=1)
    assert result["messages"] == 3000 and result["pk_lookup_ms"] > 0
    assert result["rare_word_hits"] == 1 and result["no_match_hits"] == 0
    assert result["common_phrase_hits"] == 50 and result["many_units_by_name_and_text_hits"] > 0
    for name in ("rare_word", "common_phrase", "one_unit_by_code"):
        assert result[f"{name}_ms"] > 0 and result[f"{name}_no_index_ms"] > 0
