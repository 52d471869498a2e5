"""Identifiers and secrets in the real service's shapes, from an injectable random source."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime

_KEY_ALPHABET = string.ascii_letters + string.digits


def random_hex(rng: random.Random, chars: int) -> str:
    return f"{rng.getrandbits(chars * 4):0{chars}x}"


def new_account_id(rng: random.Random) -> str:
    return random_hex(rng, 12)


def new_bucket_id(rng: random.Random) -> str:
    return random_hex(rng, 24)


def new_file_id(rng: random.Random, bucket_id: str, upload_ts: int, seq: int) -> str:
    """``4_z<bucketId>_f<random>_d<date>_m<time>_c000_v<seq>_t<ms>_u<ms since epoch>``.

    Opaque to clients; the emulator reads (upload_ts, seq) back for list pagination.
    """
    when = datetime.fromtimestamp(upload_ts / 1000, tz=UTC)
    return (
        f"4_z{bucket_id}_f1{random_hex(rng, 16)}_d{when:%Y%m%d}_m{when:%H%M%S}"
        f"_c000_v{seq:010d}_t{upload_ts % 1000:04d}_u{upload_ts:013d}"
    )


def new_key_id(rng: random.Random, account_id: str) -> str:
    """Application key ids look like ``000<account id><10 hex>``: 25 characters."""
    return f"000{account_id}{random_hex(rng, 10)}"


def new_secret(rng: random.Random) -> str:
    return "K000" + "".join(rng.choice(_KEY_ALPHABET) for _ in range(27))


def new_token(rng: random.Random, prefix: str) -> str:
    return f"{prefix}_{random_hex(rng, 56)}"
