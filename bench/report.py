"""Results: the rows of latest.json and the table printed for people."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.paths import PATH_NAMES
from bench.scenarios import Measurement, Scenario, Sizes

Row = dict[str, Any]


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


def row(
    scenario: Scenario,
    measured: dict[str, Measurement],
    calls: dict[str, dict[str, int]],
    cpu: dict[str, float],
) -> Row:
    """One scenario's entry: values per path, ratios (higher is better), B2 calls per S3 op,
    and the CPU the proxy process (null or gateway) spent per MB or per S3 operation."""
    values = {p: (round(measured[p].value, 2) if p in measured else None) for p in PATH_NAMES}
    entry: Row = {"name": scenario.name, "unit": scenario.unit, **values}
    both = not scenario.gateway_only
    entry["ratio"] = _ratio(values["gateway"], values["direct"]) if both else None
    entry["ratio_null"] = _ratio(values["gateway"], values["null"]) if both else None
    if any(m.p50_ms is not None for m in measured.values()):
        entry["p50_ms"] = {p: _round(m.p50_ms) for p, m in measured.items()}
        entry["p99_ms"] = {p: _round(m.p99_ms) for p, m in measured.items()}
    if any(m.complete_ms is not None for m in measured.values()):
        entry["complete_ms"] = {p: _round(m.complete_ms) for p, m in measured.items()}
    if cpu and not scenario.gateway_only:
        per_mb = all(measured[p].megabytes for p in cpu)
        entry["proxy_cpu_ms_per_mb" if per_mb else "proxy_cpu_ms_per_op"] = {
            p: round(seconds * 1000 / (measured[p].megabytes or measured[p].s3_ops), 4)
            for p, seconds in cpu.items()
        }
    entry["b2_calls_per_op"] = {
        p: {call: round(n / measured[p].s3_ops, 3) for call, n in sorted(counts.items())}
        for p, counts in calls.items()
    }
    return entry


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def machine(mode: str, sizes: Sizes) -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "aiohttp": version("aiohttp"),
        "platform": platform.platform(),
        "mode": mode,
        "sizes": asdict(sizes),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "git_commit": commit,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(rows: list[Row]) -> str:
    """The main table, then latency quantiles and B2 calls per S3 operation."""
    head = f"{'scenario':<22} {'unit':<6} {'direct':>9} {'null':>9} {'gateway':>9}"
    lines = [head + f" {'gw/direct':>9} {'gw/null':>8}", "-" * (len(head) + 19)]
    for r in rows:
        cells = " ".join(f"{_cell(r[p]):>9}" for p in PATH_NAMES)
        lines.append(
            f"{r['name']:<22} {r['unit']:<6} {cells} {_cell(r['ratio']):>9}"
            f" {_cell(r['ratio_null']):>8}"
        )
    lines += ["", "latency p50 / p99 (ms)"]
    for r in rows:
        if "p50_ms" in r:
            cells = "  ".join(
                f"{p} {_cell(r['p50_ms'].get(p))}/{_cell(r['p99_ms'].get(p))}" for p in PATH_NAMES
            )
            lines.append(f"  {r['name']:<22} {cells}")
    for r in rows:
        if "complete_ms" in r:
            cells = "  ".join(f"{p} {_cell(ms)}" for p, ms in r["complete_ms"].items())
            lines.append(f"  {r['name']:<22} final call (Complete / finish) ms: {cells}")
    lines += ["", "CPU of the proxy process (ms per MB, or per operation)"]
    for r in rows:
        for key in ("proxy_cpu_ms_per_mb", "proxy_cpu_ms_per_op"):
            if key in r:
                cells = "  ".join(f"{p} {ms:.3f}" for p, ms in r[key].items())
                lines.append(f"  {r['name']:<22} per {key[17:]:<4} {cells}")
    lines += ["", "B2 calls per S3 operation (emulator counters)"]
    for r in rows:
        for path, calls in r["b2_calls_per_op"].items():
            total = sum(calls.values())
            detail = ", ".join(f"{name} {n:g}" for name, n in calls.items())
            lines.append(f"  {r['name']:<22} {path:<8} {total:>6.3f}  ({detail})")
    return "\n".join(lines)
