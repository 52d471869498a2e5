"""Crash safety: SIGKILL the emulator mid-upload; on restart nothing partial is visible,
completed uploads are intact and the master key is unchanged."""

from __future__ import annotations

import asyncio
import hashlib
import signal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.emulator.server import RunningEmulator
from tests.emulator.raw import B2Raw, eventually, sha1_hex
from tests.emulator.test_cli import EmulatorProcess


def _as_running(process: EmulatorProcess) -> RunningEmulator:
    """Enough of a RunningEmulator for B2Raw: url and master key."""
    env = process.env
    return RunningEmulator(
        url=env["B2_ENVIRONMENT"],
        key_id=env["B2_APPLICATION_KEY_ID"],
        key=env["B2_APPLICATION_KEY"],
        state=None,  # type: ignore[arg-type]  # only used in-process
        _runner=None,  # type: ignore[arg-type]
    )


@pytest.mark.timeout(120)
async def test_sigkill_mid_upload_leaves_no_partial_version(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = EmulatorProcess("--data-dir", str(data_dir), "--faults")
    completed = {"small.txt": b"small file", "big.bin": bytes(range(256)) * 4096}
    never = asyncio.Event()
    async with aiohttp.ClientSession() as http:
        b2 = B2Raw(http, _as_running(first))
        await b2.authorize()
        bucket = await b2.create_bucket("durable-bucket")
        for name, data in completed.items():
            await b2.uploaded(bucket["bucketId"], name, data)
        target = await b2.upload_url(bucket["bucketId"])
        upload = b2.start_stalled_upload(
            target, "partial.bin", b"p" * 2_000_000, never, sent=500_000
        )

        async def upload_started() -> bool:
            return await b2.upload_count() == len(completed) + 1

        await eventually(upload_started)
        first.stop(signal.SIGKILL)
        with pytest.raises(aiohttp.ClientError):
            await upload

    second = EmulatorProcess("--data-dir", str(data_dir))
    try:
        assert second.env["B2_APPLICATION_KEY_ID"] == first.env["B2_APPLICATION_KEY_ID"]
        assert second.env["B2_APPLICATION_KEY"] == first.env["B2_APPLICATION_KEY"]
        assert list((data_dir / "tmp").iterdir()) == []
        async with aiohttp.ClientSession() as http:
            b2 = B2Raw(http, _as_running(second))
            await b2.authorize()
            versions = await b2.ok("b2_list_file_versions", {"bucketId": bucket["bucketId"]})
            assert sorted(f["fileName"] for f in versions["files"]) == sorted(completed)
            for name, data in completed.items():
                reply = await b2.download_by_name("durable-bucket", name)
                assert hashlib.sha1(reply.body).hexdigest() == sha1_hex(data)
                assert reply.headers["X-Bz-Content-Sha1"] == sha1_hex(data)
    finally:
        second.stop()


async def test_restart_keeps_keys_buckets_versions_and_unfinished_parts(
    tmp_path: Path, emulator_factory: Any, http: aiohttp.ClientSession
) -> None:
    data_dir = tmp_path / "data"
    first = await emulator_factory(data_dir=data_dir, absolute_minimum_part_size=5)
    b2 = B2Raw(http, first)
    await b2.authorize()
    bucket = await b2.create_bucket("restart-bucket")
    key = await b2.ok(
        "b2_create_key",
        {"accountId": b2.account_id, "capabilities": ["listBuckets"], "keyName": "kept"},
    )
    await b2.uploaded(bucket["bucketId"], "a.txt", b"v1")
    await b2.uploaded(bucket["bucketId"], "a.txt", b"v2")
    started = await b2.ok(
        "b2_start_large_file",
        {"bucketId": bucket["bucketId"], "fileName": "big", "contentType": "b2/x-auto"},
    )
    part_url = await b2.ok("b2_get_upload_part_url", {"fileId": started["fileId"]})
    part = b"part-one"
    await b2.request(
        "POST",
        part_url["uploadUrl"],
        headers={"Authorization": part_url["authorizationToken"], "X-Bz-Part-Number": "1",
                 "X-Bz-Content-Sha1": sha1_hex(part)},
        data=part,
    )  # fmt: skip
    orphan = data_dir / "blobs" / "zz" / "zz-orphan"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"left by a crash between unlink and commit")
    await first.close()

    second = await emulator_factory(data_dir=data_dir, absolute_minimum_part_size=5)
    assert (second.key_id, second.key) == (first.key_id, first.key)
    b2 = B2Raw(http, second)
    await b2.authorize()
    assert not orphan.exists()
    versions = await b2.ok("b2_list_file_versions", {"bucketId": bucket["bucketId"]})
    assert [f["fileName"] for f in versions["files"]] == ["a.txt", "a.txt", "big"]
    assert (await b2.download_by_name("restart-bucket", "a.txt")).body == b"v2"
    parts = await b2.ok("b2_list_parts", {"fileId": started["fileId"]})
    assert [p["contentSha1"] for p in parts["parts"]] == [sha1_hex(part)]
    kept = B2Raw(http, second)
    await kept.authorize(key_id=key["applicationKeyId"], key=key["applicationKey"])
