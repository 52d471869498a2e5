"""b2sdk's RawSimulator as a semantic oracle: one b2sdk scenario, run in-process against the
simulator and over HTTP against the emulator, must leave the same observable state.

The scenario stays inside what the simulator models faithfully (reference §7.3 lists where it
differs from B2: no delimiter, no hide of missing names, ...). Ids and timestamps are ignored.
"""

from __future__ import annotations

import io
from typing import Any

from b2sdk.v2 import B2Api, B2HttpApiConfig, InMemoryAccountInfo, RawSimulator

from gateway.emulator.server import RunningEmulator


def _scenario(api: Any) -> list[Any]:
    """Drive b2sdk; return what a user could observe along the way."""
    seen: list[Any] = []
    bucket = api.create_bucket("oracle-bucket", "allPrivate")
    other = api.create_bucket("oracle-other", "allPublic")
    for name, data in [("a/1.txt", b"one"), ("a/2.txt", b"two"), ("b.txt", b"bee"),
                       ("a/1.txt", b"one again"), ("c/d/e.txt", b"deep")]:  # fmt: skip
        bucket.upload_bytes(data, name, file_info={"len": str(len(data))})
    bucket.hide_file("b.txt")
    source = bucket.get_file_info_by_name("a/2.txt").id_
    bucket.copy(source, "copied.txt")
    # (The simulator cannot copy a copy: it does not register copied ids as sources.)
    other.copy(source, "elsewhere.txt", content_type="text/x-other", file_info={"n": "1"})
    seen.append([(v.file_name, v.action, v.size, v.content_sha1, v.file_info)
                 for v, _ in bucket.ls(recursive=True)])  # fmt: skip
    seen.append([(v.file_name, folder) for v, folder in bucket.ls()])
    seen.append([(v.file_name, v.action, v.size)
                 for v, _ in bucket.ls(recursive=True, latest_only=False)])  # fmt: skip
    seen.append([(v.file_name, v.content_type, v.file_info) for v, _ in other.ls(recursive=True)])
    bucket.unhide_file("b.txt")
    newest = next(iter(bucket.list_file_versions("a/1.txt")))
    bucket.delete_file_version(newest.id_, "a/1.txt")
    out = io.BytesIO()
    bucket.download_file_by_name("a/1.txt").save(out)
    seen.append(out.getvalue())
    seen.append([(v.file_name, v.size) for v, _ in bucket.ls(recursive=True)])
    seen.append(sorted(b.name for b in api.list_buckets()))
    return seen


def test_emulator_matches_b2sdk_simulator(threaded_emulator: RunningEmulator) -> None:
    simulated = B2Api(
        InMemoryAccountInfo(), api_config=B2HttpApiConfig(_raw_api_class=RawSimulator)
    )
    key_id, key = simulated.session.raw_api.create_account()
    simulated.authorize_account("production", key_id, key)
    emulated = B2Api(InMemoryAccountInfo())
    emulated.authorize_account(
        threaded_emulator.url, threaded_emulator.key_id, threaded_emulator.key
    )
    assert _scenario(emulated) == _scenario(simulated)
