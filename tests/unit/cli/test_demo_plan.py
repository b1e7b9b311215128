"""The demo province and its document mix."""

from __future__ import annotations

from collections import Counter

from gateway.cli.demo_data import build_province
from gateway.cli.demo_run import COMPLETE, REJECT, expected_codes, plan_documents
from gateway.envelope.model import check_unit_code


def test_the_province_has_11_districts_and_152_communes_with_valid_codes():
    """One province office, 11 districts, 152 communes spread 13-14 per district."""
    p = build_province()
    assert len(p.districts) == 11
    assert len(p.communes) == 152
    sizes = Counter(c.parent for c in p.communes)
    assert set(sizes.values()) == {13, 14}
    codes = [u.code for u in p.units] + list(p.district_groups) + [p.all_communes_group]
    assert len(set(codes)) == len(codes)
    for code in codes:
        check_unit_code(code)


def test_the_mix_has_province_wide_district_wide_and_one_to_one_documents():
    """30 documents: one to all communes, three to a district's communes, the rest 1:1."""
    plan = plan_documents(build_province(), 30)
    patterns = Counter(d.pattern for d in plan)
    assert patterns == {"all": 1, "district": 3, "one-to-one": 26}
    assert all(d.sender not in d.recipients for d in plan)
    assert [d.index for d in plan] == list(range(30))


def test_outcomes_are_predictable_from_ids():
    """The expected statuses are a fixed function of (message, unit); some are rejections."""
    outcomes = Counter(expected_codes(f"m{i}", "000.00.31.H53") for i in range(500))
    assert set(outcomes) == {COMPLETE, REJECT}
    assert 20 < outcomes[REJECT] < 90
