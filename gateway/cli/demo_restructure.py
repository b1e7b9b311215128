"""The demo's restructuring, shaped like An Giang's on 1 July 2025: every district branch
retires into the province office, the communes move under it, and in each district every
third commune merges into its neighbour (the survivor keeps its code): 152 communes
become 99.
"""

from __future__ import annotations

import csv
import io

from gateway.cli.demo_data import DemoProvince
from gateway.directory.plan import HEADER

__all__ = ["restructuring_plan", "survivor_of"]


def survivor_of(province: DemoProvince) -> dict[str, str]:
    """Each merged commune → the commune it merges into (the one before it)."""
    merged: dict[str, str] = {}
    for district in province.districts:
        communes = province.communes_of(district.code)
        for i in range(1, len(communes), 3):
            merged[communes[i].code] = communes[i - 1].code
    return merged


def restructuring_plan(province: DemoProvince, effective_at: str = "") -> str:
    """The plan CSV (``lienthong units plan apply``) for ``province``."""
    merged = survivor_of(province)
    top = province.province.code
    rows: list[list[str]] = []
    for commune in province.communes:
        if commune.code not in merged:
            rows.append(["move", commune.code, "", "", top, "", effective_at])
    for code, survivor in merged.items():
        rows.append(["merge", code, "", "", "", survivor, effective_at])
    for district in province.districts:
        rows.append(["retire", district.code, "", "", "", top, effective_at])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()
