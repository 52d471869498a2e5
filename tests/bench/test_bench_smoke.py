"""The benchmark harness runs end to end in its tiny mode and writes the documented JSON shape.
Only shape and names are checked: timings are never asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.run import main

SCENARIO_NAMES = [
    "put_1g_unsigned",
    "put_1g_signed",
    "get_1g",
    "get_1g_https",
    "mpu_1g_x4",
    "small_put_c16",
    "small_get_c16",
    "small_head_c16",
    "small_get_c1",
    "list_1000_c16",
    "rss_5g_put_mb",
    "rss_1000_idle_conns_mb",
]
PATHS = ("direct", "null", "gateway")


@pytest.mark.timeout(60)
def test_bench_smoke_writes_every_scenario_for_every_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "latest.json"
    assert main(["--smoke", "--out", str(out)]) == 0
    result = json.loads(out.read_text())

    assert result["machine"]["mode"] == "smoke"
    assert result["machine"]["cores"] >= 1
    rows = {r["name"]: r for r in result["scenarios"]}
    assert list(rows) == SCENARIO_NAMES
    for name, r in rows.items():
        assert {"name", "unit", *PATHS, "ratio", "ratio_null"} <= r.keys()
        if name.startswith("rss_"):  # gateway memory: no other path, no ratios
            assert r["direct"] is r["null"] is r["ratio"] is r["ratio_null"] is None
            assert isinstance(r["gateway"], float)
            continue
        assert all(isinstance(r[p], float) and r[p] > 0 for p in PATHS), r
        assert r["ratio"] == pytest.approx(r["gateway"] / r["direct"], rel=0.01)
        assert r["ratio_null"] == pytest.approx(r["gateway"] / r["null"], rel=0.01)
        cpu = r.get("proxy_cpu_ms_per_mb") or r["proxy_cpu_ms_per_op"]
        assert set(cpu) == {"null", "gateway"}, r
        # Every path reached the emulator: B2 calls were counted for each.
        assert all(sum(r["b2_calls_per_op"][p].values()) >= 1 for p in PATHS), r
    assert set(rows["small_get_c16"]["p50_ms"]) == set(PATHS)
    # GET went through each path to B2 (the harness itself checks the byte count).
    get_calls = rows["get_1g"]["b2_calls_per_op"]
    assert all(get_calls[p].get("b2_download_file_by_name") == 1 for p in PATHS)
    printed = capsys.readouterr().out
    assert all(name in printed for name in SCENARIO_NAMES)
