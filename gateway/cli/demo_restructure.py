"""The demo's restructuring, shaped like An Giang's on 1 July 2025: every district branch
retires into the province office, the communes move under it, and in each district every
third commune merges into its neighbour (the survivor keeps its code): 152 communes
become 99.
"""

from __future__ import annotations

import csv
import io
import time

from rich.table import Table

from gateway.cli.demo_data import DemoProvince
from gateway.directory import Principal
from gateway.directory.plan import HEADER, apply_plan
from gateway.hub import Hub

__all__ = ["restructure", "restructuring_plan", "survivor_of"]


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


async def restructure(hub: Hub, province: DemoProvince) -> tuple[Table, list[str]]:
    """The demo's last step: apply the plan to the running hub, send one document to a
    merged commune and one to a retired district, and check where they went. The table
    to print, and what went wrong (nothing, when it worked)."""
    first = province.districts[0].code
    if (await hub.directory.get(first)).valid_until is not None:
        return _table([("restructuring", "already applied in this home")]), []
    start = time.perf_counter()
    report = await apply_plan(hub.db, restructuring_plan(province), actor="demo")
    elapsed = time.perf_counter() - start
    hub.directory.lineage.forget()
    gone, survivor = next(iter(survivor_of(province).items()))
    top = province.province.code
    sender = Principal(unit=province.communes[-1].code)
    errors = []
    rows = [(what, str(n)) for what, n in sorted(report.touched.items()) if n]
    for code, expected in ((gone, survivor), (first, top)):
        meta = {"to": [code], "subject": f"Công văn gửi {code} sau sắp xếp"}
        sent = await hub.submit_document(sender, meta, [])
        status = await hub.status(sender, sent.message_id)
        got = [r["unit"] for r in status["recipients"]]
        rows.append((f"document to {code}", f"forwarded to {', '.join(got)}"))
        if got != [expected]:
            errors.append(f"a document to {code} went to {got}, not {expected}")
    rows += [
        ("plan applied in", f"{elapsed:.2f} s"),
        ("result", "OK" if not errors else "FAILED " + "; ".join(errors)),
    ]
    return _table(rows), errors


def _table(rows: list[tuple[str, str]]) -> Table:
    table = Table(title="Restructuring (An Giang, 1 July 2025 shape)", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    for what, value in rows:
        table.add_row(what, value)
    return table
