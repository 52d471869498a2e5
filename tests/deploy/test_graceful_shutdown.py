"""SIGTERM on a real ``serve``: readiness fails at once, the S3 port stops accepting, in-flight
transfers finish within the grace period, and an upload cut off at the deadline stores nothing."""

from __future__ import annotations

import hashlib
import http.client
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from gateway.config import ConfigError, load_serve_settings
from tests.deploy.served import MiB, Served, StreamingPut, blocks, restarted, serve

BUCKET = "drain-test"
SIZE = 500 * MiB


def _port_refuses(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=10).close()
    except ConnectionRefusedError:
        return True
    return False


def _serve_with_bucket(data_dir: Path, grace: str) -> tuple[Served, Any]:
    served = serve(data_dir, f"--shutdown-grace={grace}")
    s3: Any = served.s3()
    s3.create_bucket(Bucket=BUCKET)
    return served, s3


def _versions(s3: Any, key: str) -> list[Any]:
    listing = s3.list_object_versions(Bucket=BUCKET, Prefix=key)
    return [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sigterm_lets_inflight_upload_and_download_finish(tmp_path: Path) -> None:
    served, s3 = _serve_with_bucket(tmp_path, "300")
    small = b"".join(blocks(8 * MiB))
    s3.put_object(Bucket=BUCKET, Key="small.bin", Body=small)
    download = s3.get_object(Bucket=BUCKET, Key="small.bin")["Body"]
    head = download.read(MiB)
    upload = StreamingPut(served, BUCKET, "big.bin", SIZE)
    pieces = blocks(SIZE)
    upload.send(pieces, count=100)

    served.terminate()
    assert served.wait_until_unready() == 503
    assert _port_refuses(served.endpoint)
    assert head + download.read() == small
    upload.send(pieces)
    answer = upload.response()
    assert (answer.status, answer.read()) == (200, b"")
    assert served.wait() == 0

    with restarted(tmp_path) as again:
        stored = again.s3().get_object(Bucket=BUCKET, Key="big.bin")
        assert stored["ContentLength"] == SIZE
        received = hashlib.sha256()
        for chunk in stored["Body"].iter_chunks(MiB):
            received.update(chunk)
        assert received.hexdigest() == upload.sent.hexdigest()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigterm_cuts_off_upload_past_grace_period_and_stores_nothing(tmp_path: Path) -> None:
    served, _ = _serve_with_bucket(tmp_path, "0.5")
    upload = StreamingPut(served, BUCKET, "cut.bin", SIZE)
    upload.send(blocks(SIZE), count=50)

    served.terminate()
    assert served.wait_until_unready() == 503
    # The client stalls past the grace period: the server gives up on the body.
    try:
        answer = upload.response()
        assert answer.status >= 400
    except (http.client.RemoteDisconnected, ConnectionResetError):
        pass
    assert served.wait() == 0

    with restarted(tmp_path) as again:
        assert _versions(again.s3(), "cut.bin") == []


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, 30.0), ({"GATEWAY_SHUTDOWN_GRACE_SECONDS": "2.5"}, 2.5)],
)
def test_shutdown_grace_setting_from_environment(environ: dict[str, str], expected: float) -> None:
    assert load_serve_settings(None, environ, {}).shutdown_grace_seconds == expected


@pytest.mark.parametrize("value", ["-1", "soon", "nan"])
def test_shutdown_grace_setting_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="shutdown_grace_seconds"):
        load_serve_settings(None, {"GATEWAY_SHUTDOWN_GRACE_SECONDS": value}, {})
