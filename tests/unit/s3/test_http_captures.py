"""The raw botocore captures, replayed byte for byte against a running front door."""

from __future__ import annotations

import asyncio
import hashlib
import re
from urllib.parse import unquote

import pytest

from tests.unit.s3.conftest import StartServer, fixed_clock, send_raw
from tests.unit.s3.vectors import VECTORS

CAPTURES = {p.stem: p.read_bytes() for p in sorted((VECTORS / "captures").glob("*.http"))}
PRESIGNED_URL = (VECTORS / "captures" / "botocore-presigned-url.txt").read_text().strip()
CAPTURE_TIME = "20261123T214827Z"


def _expected_body(name: str) -> bytes:
    if "put-bytes" in name:
        return b"hello world"
    if "put-stream" in name:
        return b"a" * 70000
    return b""


@pytest.mark.parametrize("name", CAPTURES)
async def test_botocore_capture_verifies_and_decodes(start_server: StartServer, name: str) -> None:
    url = await start_server(clock=fixed_clock(CAPTURE_TIME))
    response = await send_raw(url, CAPTURES[name])
    assert response.status == 200, response.body
    body = _expected_body(name)
    assert response.headers["x-echo-length"] == str(len(body))
    assert response.headers["x-echo-md5"] == hashlib.md5(body).hexdigest()
    if body:
        assert response.headers["x-echo-checksums"].startswith("crc32=")
    target = CAPTURES[name].split(b" ", 2)[1].decode()
    path = target.split("?")[0]
    assert response.headers["x-echo-bucket"] == "bkt"
    key = unquote(response.headers["x-echo-key"])
    assert key == (unquote(path.split("/", 2)[2]) if path.count("/") > 1 else "")


@pytest.mark.parametrize("name", CAPTURES)
async def test_botocore_capture_with_one_changed_signature_byte_is_refused(
    start_server: StartServer, name: str
) -> None:
    url = await start_server(clock=fixed_clock(CAPTURE_TIME))
    data = re.sub(
        rb"Signature=([0-9a-f])",
        lambda m: b"Signature=" + (b"0" if m.group(1) != b"0" else b"1"),
        CAPTURES[name],
    )
    response = await send_raw(url, data)
    assert response.status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in response.body


async def test_botocore_presigned_url_replays(start_server: StartServer) -> None:
    url = await start_server(clock=fixed_clock("20261123T220000Z"))
    presigned = PRESIGNED_URL
    target = "/" + presigned.split("/", 3)[3]
    request = f"GET {target} HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n".encode()
    response = await send_raw(url, request)
    assert response.status == 200, response.body
    assert unquote(response.headers["x-echo-key"]) == "dir/a b+c~ü=.txt"
    assert response.headers["x-echo-op"] == "GetObject"


async def test_botocore_presigned_url_after_expiry_is_refused(start_server: StartServer) -> None:
    url = await start_server(clock=fixed_clock("20261123T224828Z"))  # 3600 s + 1
    presigned = PRESIGNED_URL
    target = "/" + presigned.split("/", 3)[3]
    response = await send_raw(
        url, f"GET {target} HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n".encode()
    )
    assert response.status == 403
    assert b"<Message>Request has expired</Message>" in response.body
    assert b"<X-Amz-Expires>3600</X-Amz-Expires>" in response.body
    assert b"<Expires>2026-11-23T22:48:27Z</Expires>" in response.body
    assert b"<ServerTime>2026-11-23T22:48:28Z</ServerTime>" in response.body


async def test_expect_100_continue_refuses_a_bad_signature_before_the_body_is_sent(
    start_server: StartServer,
) -> None:
    url = await start_server(clock=fixed_clock(CAPTURE_TIME))
    capture = CAPTURES["botocore-http-put-stream"]
    head = capture.split(b"\r\n\r\n", 1)[0].replace(b"Signature=4", b"Signature=5")
    response = await send_raw(url, head + b"\r\n\r\n")  # headers only: no body follows
    assert response.status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in response.body
    # The announced body never comes, so the connection must not carry another request.
    assert response.headers["connection"] == "close"


async def test_expect_100_continue_invites_the_body_once_authenticated(
    start_server: StartServer,
) -> None:
    url = await start_server(clock=fixed_clock(CAPTURE_TIME))
    head, body = CAPTURES["botocore-http-put-stream"].split(b"\r\n\r\n", 1)
    host, port = url.split("//")[1].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head + b"\r\n\r\n")
        assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(body)
        status = await reader.readuntil(b"\r\n")
    finally:
        writer.close()
        await writer.wait_closed()
    assert status.startswith(b"HTTP/1.1 200")
