"""Replay conformance: every recorded real-B2 request, answered by the emulator like B2 did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.emulator.raw import B2Raw
from tests.emulator.replay import RECORDINGS, Replayer, differences, load

# What the recorded sessions found in place when they started, by the recorded ids.
RECORDED_BUCKET = ("8d625eb63be2775577c70e1a", "testing-b2-client")
RECORDED_FILES = {  # recorded file id -> name; each held "Some text\n"
    "4_z8d625eb63be2775577c70e1a_f111954e3108ff3f6_d20211118_m151810_c002_v0001168_t0010": (
        "test-file.txt"
    ),
    "4_z8d625eb63be2775577c70e1a_f1052a33c70ab4806_d20211118_m153703_c002_v0001160_t0027": (
        "new-file.txt"
    ),
}
SEEDED_INFO = {"X-Bz-Info-src_last_modified_millis": "1637248673875"}
RECORDED_KEY = "002d2e6b27577ea0000000008"
RECORDED_UNFINISHED = (  # large files left unfinished by earlier sessions
    "4_z8d625eb63be2775577c70e1a_f2259d1e31263ab88_d20220203_m223102_c002_v0001164_t0026",
    "4_z8d625eb63be2775577c70e1a_f20503d82f4c7a386_d20220203_m223245_c002_v0001148_t0056",
)
RECORDED_LOCK_BUCKET = "cd120e962b02c7a577e70e1a"  # file lock enabled, holding test-file.txt
RECORDED_LOCKED_FILE = (
    "4_zcd120e962b02c7a577e70e1a_f100e7b2902e23bf1_d20220205_m134630_c002_v0001141_t0007"
)
# Fields the recording has that the emulator deliberately lacks, with the reason.
KNOWN_DIFFERENCES = {
    # The recorded b2_list_keys answer is hand-edited (bucketId "abcdefghijklmnop"), and its
    # per-key "nextApplicationId" appears in no Backblaze documentation.
    "$.keys[0].nextApplicationId: missing",
    # ... and that key was restricted to a bucket; the emulator's listed key is not.
    "$.keys[0].bucketId: expected str, got None",
}


async def _unhide_seeded_files(b2: B2Raw, bucket_id: str) -> None:
    """Between recording days the real bucket changed: seeded files are visible again."""
    for name in RECORDED_FILES.values():
        versions = await b2.ok(
            "b2_list_file_versions",
            {"bucketId": bucket_id, "startFileName": name, "maxFileCount": 1},
        )
        newest = versions["files"][0]
        if newest["fileName"] == name and newest["action"] == "hide":
            # Re-upload rather than delete the marker: later requests may still name it.
            await b2.uploaded(bucket_id, name, b"Some text\n", headers=SEEDED_INFO)


async def _seed(b2: B2Raw, replayer: Replayer) -> None:
    bucket = await b2.create_bucket(RECORDED_BUCKET[1])
    replayer.ids[RECORDED_BUCKET[0]] = bucket["bucketId"]
    for recorded_id, name in RECORDED_FILES.items():
        stored = await b2.uploaded(
            bucket["bucketId"],
            name,
            b"Some text\n",
            headers=SEEDED_INFO,
        )
        replayer.ids[recorded_id] = stored["fileId"]
    key = await b2.ok(
        "b2_create_key",
        {"accountId": b2.account_id, "capabilities": ["listFiles"], "keyName": "my-special-key"},
    )
    replayer.ids[RECORDED_KEY] = key["applicationKeyId"]
    for recorded_id in RECORDED_UNFINISHED:
        unfinished = await b2.ok(
            "b2_start_large_file",
            {"bucketId": bucket["bucketId"], "fileName": "unfinished-file.txt",
             "contentType": "text/plain"},
        )  # fmt: skip
        replayer.ids[recorded_id] = unfinished["fileId"]
    locked = await b2.ok(
        "b2_create_bucket",
        {"accountId": b2.account_id, "bucketName": "testing-b2-client-lock",
         "bucketType": "allPrivate", "fileLockEnabled": True},
    )  # fmt: skip
    replayer.ids[RECORDED_LOCK_BUCKET] = locked["bucketId"]
    stored = await b2.uploaded(locked["bucketId"], "test-file.txt", b"Some text\n")
    replayer.ids[RECORDED_LOCKED_FILE] = stored["fileId"]


@pytest.mark.parametrize("recording", sorted(RECORDINGS.glob("*.yaml")), ids=lambda p: p.stem)
async def test_replay_recorded_session(b2: B2Raw, recording: Path) -> None:
    replayer = Replayer(b2)
    await _seed(b2, replayer)
    report: list[str] = []
    replayed = 0
    day = ""
    for number, exchange in enumerate(load(recording)):
        if exchange.day != day:
            day = exchange.day
            await _unhide_seeded_files(b2, replayer.ids[RECORDED_BUCKET[0]])
        reply = await replayer.replay(exchange)
        replayed += 1
        found = [
            d for d in differences(exchange, reply, replayer.ids) if d not in KNOWN_DIFFERENCES
        ]
        report += [f"#{number} {exchange.method} {exchange.call}: {d}" for d in found]
    assert replayed > 0
    assert report == []


def test_shape_differences_catch_missing_fields_and_wrong_types() -> None:
    from tests.emulator.replay import shape_differences

    recorded: dict[str, Any] = {"a": 1, "b": {"c": "x"}, "d": [{"e": True}], "n": None}
    assert shape_differences(recorded, {"a": 1, "b": {"c": "y"}, "d": [{"e": False}], "n": 3}) == []
    assert shape_differences(recorded, {"a": "1", "b": {}, "d": [{"e": None}], "n": None}) == [
        "$.a: expected int, got '1'",
        "$.b.c: missing",
        "$.d[0].e: expected bool, got None",
    ]
