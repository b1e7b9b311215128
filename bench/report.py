"""Printing results, and the generated section of ``docs/benchmarks.md``.

The generated part sits between two marker comments; everything outside them (the
envelope section, hand-written analysis) is kept as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.lanetrace import summary as lanetrace

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
BEGIN = "<!-- bench:results:begin (python -m bench all --write-docs) -->"
END = "<!-- bench:results:end -->"

#: (scenario, key, label, unit, target text, direction) for the summary table.
ROWS: list[tuple[str, str, str, str, str]] = [
    ("e2e", "docs_per_s", "e2e documents/s (PostgreSQL + RabbitMQ)", "docs/s", "≥ 500"),
    ("e2e", "ratio", "e2e / raw pipeline", "×", "≥ 0.5"),
    ("e2e", "raw_docs_per_s", "raw pipeline: verify, sign receipt, publish, consume", "docs/s", ""),
    ("e2e", "hub_cpu_ms_per_doc", "e2e hub CPU per document", "ms", ""),
    ("e2e", "cpu_split", "e2e CPU per document by process, full load", "", ""),
    ("e2e", "hub_one_core_docs_per_s", "e2e docs/s one hub core would carry", "docs/s", ""),
    ("e2e", "hub_sleeps_per_doc", "e2e hub sleeps per document, full load", "", ""),
    ("e2e", "half_load_hub_cpu_ms_per_doc", "e2e hub CPU per document at half load", "ms", ""),
    ("e2e", "half_load_hub_sleeps_per_doc", "e2e hub sleeps per document at half load", "", ""),
    ("e2e", "delivered_p50_ms", "e2e p50 submit→delivered, full load", "ms", ""),
    ("e2e", "delivered_p99_ms", "e2e p99 submit→delivered, full load", "ms", ""),
    ("e2e", "receipt_p50_ms", "e2e p50 submit→receipt at sender, full load", "ms", ""),
    ("e2e", "receipt_p99_ms", "e2e p99 submit→receipt at sender, full load", "ms", ""),
    ("e2e", "half_load_delivered_p99_ms", "e2e p99 submit→delivered at half load", "ms", "≤ 100"),
    ("mix", "docs_per_s", "real mix documents/s (hub-sealed, one item at a time)", "docs/s", ""),
    ("mix", "ratio", "real mix / raw pipeline for hub-sealed documents", "×", "≥ 0.5"),
    ("mix", "raw_docs_per_s", "raw pipeline: seal, sign receipt, publish, consume", "docs/s", ""),
    ("mix", "hub_cpu_ms_per_doc", "real mix hub CPU per document", "ms", ""),
    ("mix", "fetchable_p50_ms", "real mix p50 submit→fetchable, full load", "ms", ""),
    ("mix", "fetchable_p99_ms", "real mix p99 submit→fetchable, full load", "ms", "≤ 1000"),
    ("mix", "first_try_fetchable_p99_ms", "real mix p99 first try→fetchable, 503s in", "ms", ""),
    ("mix", "overloaded", "real mix 503 hub.overloaded answers per full run", "", ""),
    ("mix", "half_load_fetchable_p50_ms", "real mix p50 submit→fetchable, half load", "ms", ""),
    ("mix", "half_load_fetchable_p99_ms", "real mix p99 submit→fetchable, half load", "ms", ""),
    ("fanout", "all_delivered_s", "fan-out to 152 communes: all mailboxes have it", "s", "≤ 0.5"),
    ("fanout", "stored_once", "fan-out: its file stored once", "", "yes"),
    ("large", "rss_growth_mib", "large file: hub RSS growth", "MiB", "≤ 100"),
    ("large", "mb_per_s", "large file: upload + download throughput", "MB/s", "≥ 200"),
    ("large", "upload_mb_per_s", "large file: upload", "MB/s", ""),
    ("large", "download_mb_per_s", "large file: download", "MB/s", ""),
    (
        "directory",
        "max_rss_mib",
        "directory: largest hub RSS (16 shared queues, embedded)",
        "MiB",
        "≤ 300",
    ),
    (
        "directory",
        "max_startup_s",
        "directory: slowest restart (16 shared queues, embedded)",
        "s",
        "≤ 2",
    ),
    (
        "directory",
        "max_first_start_s",
        "directory: slowest first start (16 shared queues, embedded)",
        "s",
        "≤ 2",
    ),
    (
        "directory",
        "per_unit_max_startup_s",
        "directory: slowest restart, a queue per unit",
        "s",
        "",
    ),
    (
        "directory",
        "per_unit_max_first_start_s",
        "directory: slowest first start, a queue per unit (creates them)",
        "s",
        "",
    ),
    ("envelope", "sign_10k", "envelope sign, 10 KB (one core)", "ops/s", "≥ 1,500"),
    ("envelope", "verify_10k", "envelope verify, 10 KB (one core)", "ops/s", "≥ 3,000"),
    ("envelope", "sign_1mib", "envelope sign, 1 MiB attachment by digest", "ops/s", "≥ 800"),
    ("embedded", "docs_per_s", "embedded documents/s (SQLite + local bus)", "docs/s", "≥ 800"),
    ("embedded", "ratio", "embedded / raw pipeline", "×", ""),
    ("embedded", "hub_cpu_ms_per_doc", "embedded hub CPU per document", "ms", ""),
    ("embedded", "cpu_split", "embedded CPU per document by process, full load", "", ""),
    ("embedded", "half_load_delivered_p99_ms", "embedded p99 submit→delivered, half", "ms", ""),
    ("embedded", "hub_sleeps_per_doc", "embedded hub sleeps per document, full load", "", ""),
    ("embedded", "half_load_hub_cpu_ms_per_doc", "embedded hub CPU, half load", "ms", ""),
]


def fmt(value: Any) -> str:
    """A figure for a table cell."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def met(scenario: dict[str, Any], key: str) -> str:
    """``pass``/``MISS`` where the scenario has a target for ``key``."""
    target = scenario.get("targets", {}).get(key)
    if target is None:
        return ""
    return "pass" if target["met"] else "MISS"


def summary_rows(results: dict[str, dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(measurement, figure, target, verdict) for every row whose scenario ran."""
    rows = []
    for scenario, key, label, unit, target in ROWS:
        result = results.get(scenario)
        if result is None or key not in result:
            continue
        figure = f"{fmt(result[key])} {unit}".strip()
        rows.append((label, figure, target, met(result, key)))
    return rows


def table(results: dict[str, dict[str, Any]]) -> str:
    """A plain-text table of every result."""
    rows = summary_rows(results)
    width = max((len(r[0]) for r in rows), default=20)
    lines = [f"{'measurement':<{width}}  {'figure':>16}  {'target':>7}  verdict"]
    lines += [f"{a:<{width}}  {b:>16}  {c:>7}  {d}" for a, b, c, d in rows]
    for name, result in results.items():
        extra = result.get("notes")
        if extra:
            lines.append(f"{name}: {extra}")
        lines += profile_lines(name, result.get("profile") or {})
        lines += lanetrace.lines(name, result.get("lane_trace") or {})
    return "\n".join(lines)


def profile_lines(name: str, profiles: dict[str, dict[str, Any]], limit: int = 15) -> list[str]:
    """The hub's busiest functions per sampled load (``--profile``), self and inclusive."""
    lines = []
    for load, top in profiles.items():
        if not top:
            lines.append(f"{name} {load} load: no profile (py-spy missing or not permitted)")
            continue
        lines.append(
            f"{name} {load} load, hub profile: {top['samples']} working samples, stacks in "
            f"{top.get('raw', '?')}; % self (any code) | % inclusive (the hub's code)"
        )
        pairs = zip(top["self"][:limit], top["inclusive"][:limit], strict=False)
        lines += [f"  {s:5.1f} {fs[:60]:<60} | {i:5.1f} {fi[:60]}" for (fs, s), (fi, i) in pairs]
    return lines


def _host_speed(machine: dict[str, Any]) -> list[str]:
    """The host's speed around the run (RSA-2048 signatures/s on one core), when measured."""
    start, end = machine.get("rsa_sign_per_s_start"), machine.get("rsa_sign_per_s_end")
    if start is None:
        return []
    text = f"Host speed, RSA-2048 signatures/s on one core: {fmt(start)} at the start"
    return ["", text + (f", {fmt(end)} at the end." if end is not None else ".")]


def markdown(results: dict[str, dict[str, Any]], machine: dict[str, Any], argv: str) -> str:
    """The generated section: machine, command, the target table, scenario details."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        BEGIN,
        "",
        f"**Last run**: {when}, `{argv}`. Machine: {machine['nproc']} cores "
        f"({machine['cpu']}), Python {machine['python']}, load average at start "
        f"{', '.join(str(x) for x in machine['load_average'])}. Figures are medians of the runs.",
        *_host_speed(machine),
        "",
        "| measurement | figure | target | verdict |",
        "|---|---:|---:|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in summary_rows(results)]
    directory = results.get("directory")
    if directory:
        lines += ["", "Directory scale, per size:", "", *directory_table(directory)]
    lines += ["", END]
    return "\n".join(lines)


def directory_table(result: dict[str, Any]) -> list[str]:
    """One row per (stack, units) of the directory scenario."""
    lines = [
        "| stack | units | first start s | restart s | hub RSS MiB | queues | broker memory +MiB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result.get("sizes", []):
        lines.append(
            f"| {row['stack']} | {row['units']:,} | {fmt(row.get('first_start_s', '–'))} | "
            f"{row['startup_s']} | {row['rss_mib']} | "
            f"{fmt(row.get('queues', '–'))} | {fmt(row.get('broker_memory_mib', '–'))} |"
        )
    guess = result.get("extrapolated_rabbit")
    if guess:
        lines.append(
            f"| PostgreSQL + RabbitMQ, extrapolated | {guess['units']:,} | "
            f"{fmt(guess.get('first_start_s', '–'))} | {guess['startup_s']} | "
            f"{guess['rss_mib']} | {guess['units']:,} | {guess['broker_memory_mib']} |"
        )
    return lines


def write_docs(results: dict[str, dict[str, Any]], machine: dict[str, Any], argv: str) -> Path:
    """Replace (or append) the generated section of ``docs/benchmarks.md``."""
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    section = markdown(results, machine, argv)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n## Hub scenarios: results\n\n" + section + "\n"
    DOCS.write_text(text, encoding="utf-8")
    return DOCS
