"""How an emulator instance is configured (re-exported by ``server``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EmulatorSettings:
    host: str = "127.0.0.1"
    port: int = 0
    data_dir: Path | None = None  # None = in-memory (SQLite :memory:, bytes in a temp dir)
    faults: bool = False  # serve the /_emulator fault-control surface
    token_ttl_seconds: float = 86400
    upload_token_ttl_seconds: float = 86400
    absolute_minimum_part_size: int = 5_000_000
    recommended_part_size: int = 100_000_000
    max_buckets: int = 100
    # New buckets default to SSE-B2, as B2 announced for new uploads from 2026-09-14 (unverified
    # in recorded traffic); with it every new file gets the 2,048-byte file-info budget.
    encrypt_by_default: bool = False
    # Seed for ids, tokens and X-Bz-Test-Mode decisions; None draws from the OS.
    seed: int | None = None
    clock: Callable[[], float] = time.time  # seconds since the epoch
