"""Clients that break off, lie about their length or stall: nothing is stored, and the gateway
lets go of everything the request held (tasks, sockets, B2 upload URLs).

These run against a front door composed like the gateway's (same S3Frontend, handlers and B2
client code) but with a short body idle timeout, so a stalled sender is refused in half a
second, and with the test's own B2 client, whose upload-URL counters the test reads.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.integration.conftest import B2_SIMPLE_LIMIT, PUT_BUFFER, Stack
from tests.reliability.conftest import (
    Door,
    S3Client,
    open_door,
    open_fds,
    task_count,
    versions_of,
)
from tests.reliability.rawhttp import (
    UNSIGNED,
    closed_by_peer,
    connection,
    read_answer,
    request_head,
    sha256_hex,
    signed_headers,
)

IDLE_TIMEOUT = 0.5
SIZES = [
    pytest.param(64 * 1024, id="buffered"),
    pytest.param(PUT_BUFFER + 64 * 1024, id="streamed"),
    pytest.param(B2_SIMPLE_LIMIT + 64 * 1024, id="large-file"),
]


@pytest.fixture(scope="module")
def door(stack: Stack) -> Iterator[Door]:
    with open_door(stack, body_idle_timeout=IDLE_TIMEOUT) as opened:
        yield opened


@dataclass(frozen=True)
class Held:
    tasks: int
    fds: int


def _held(stack: Stack) -> Held:
    return Held(task_count(stack), open_fds())


def _let_go(stack: Stack, door: Door, baseline: Held | None) -> None:
    """Wait (bounded) until the request's upload URLs and, with a ``baseline``, its tasks and
    sockets are released."""
    deadline = time.monotonic() + 10
    while True:
        now = _held(stack) if baseline is not None else Held(0, 0)
        leased = door.b2.stats().upload_urls_leased
        floor = baseline or Held(0, 0)
        if (now.tasks <= floor.tasks and now.fds <= floor.fds and leased == 0) or (
            time.monotonic() > deadline
        ):
            break
        time.sleep(0.05)
    assert leased == 0
    if baseline is None:
        return
    assert now.tasks <= baseline.tasks
    assert now.fds <= baseline.fds
    assert leased == 0


def _put_head(door: Door, bucket: str, length: int, payload_hash: str, **extra: str) -> bytes:
    path = f"/{bucket}/k"
    headers = signed_headers(
        door.endpoint,
        "PUT",
        path,
        payload_hash=payload_hash,
        headers={"Content-Length": str(length), **extra},
    )
    return request_head("PUT", path, headers)


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
@pytest.mark.parametrize("size", SIZES)
def test_put_client_disconnects_mid_body_stores_nothing_and_leaks_nothing(
    stack: Stack, door: Door, bucket: str, size: int, signed: bool
) -> None:
    data = os.urandom(size)
    baseline = _held(stack)
    with connection(door.endpoint) as sock:
        sock.sendall(_put_head(door, bucket, size, sha256_hex(data) if signed else UNSIGNED))
        sock.sendall(data[: size // 2])
    _let_go(stack, door, baseline)
    assert versions_of(stack, bucket) == []


@pytest.mark.parametrize("size", SIZES)
def test_put_sender_stalls_mid_body_is_request_timeout_storing_nothing(
    stack: Stack, door: Door, bucket: str, size: int
) -> None:
    """The client keeps the connection open but sends nothing more: RequestTimeout (400, as S3)
    and nothing is stored. (aiohttp then lingers up to 10 s for the rest of the body before it
    closes the connection, even when the client has gone: bounded, so not awaited here.)"""
    data = os.urandom(size)
    with connection(door.endpoint) as sock:
        sock.sendall(_put_head(door, bucket, size, UNSIGNED))
        sock.sendall(data[: size // 2])
        answer = read_answer(sock)
        assert (answer.status, answer.code) == (400, "RequestTimeout")
    _let_go(stack, door, None)
    assert versions_of(stack, bucket) == []


def test_put_content_length_longer_than_body_then_half_close_stores_nothing(
    stack: Stack, door: Door, bucket: str
) -> None:
    data = os.urandom(PUT_BUFFER + 64 * 1024)
    baseline = _held(stack)
    with connection(door.endpoint) as sock:
        sock.sendall(_put_head(door, bucket, len(data) + 10, UNSIGNED))
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)  # the promised last 10 bytes never come
        assert closed_by_peer(sock) or read_answer(sock).status == 400
    _let_go(stack, door, baseline)
    assert versions_of(stack, bucket) == []


def test_put_content_length_longer_than_body_then_silence_is_request_timeout(
    stack: Stack, door: Door, bucket: str
) -> None:
    data = os.urandom(1000)
    with connection(door.endpoint) as sock:
        sock.sendall(_put_head(door, bucket, len(data) + 10, UNSIGNED))
        sock.sendall(data)
        answer = read_answer(sock)
    assert (answer.status, answer.code) == (400, "RequestTimeout")
    assert versions_of(stack, bucket) == []


@pytest.mark.parametrize("size", [1000, PUT_BUFFER + 64 * 1024], ids=["buffered", "streamed"])
def test_put_content_length_shorter_than_signed_body_is_sha256_mismatch(
    stack: Stack, door: Door, bucket: str, size: int
) -> None:
    """The gateway reads Content-Length bytes; they are not what was signed. (The 10 bytes
    too many then arrive as a malformed next request: when they come in the same read as the
    body, aiohttp's own 400 for them may be the only answer.)"""
    data = os.urandom(size)
    with connection(door.endpoint) as sock:
        sock.sendall(_put_head(door, bucket, size - 10, sha256_hex(data)))
        sock.sendall(data)
        answer = read_answer(sock)
    assert answer.status == 400
    assert answer.code in ("XAmzContentSHA256Mismatch", None)
    assert versions_of(stack, bucket) == []


def _chunked(chunks: list[bytes]) -> bytes:
    framed = [f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in chunks]
    return b"".join(framed) + b"0\r\n\r\n"


def _chunked_head(door: Door, bucket: str, framed_length: int, decoded: int) -> bytes:
    return _put_head(
        door,
        bucket,
        framed_length,
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        **{"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": str(decoded)},
    )


Framing = Callable[[bytes], bytes]

TRUNCATIONS: list[Any] = [
    pytest.param(lambda d: _chunked([d[:500]]), id="fewer-bytes-than-declared"),
    pytest.param(lambda d: _chunked([d])[:-5], id="final-chunk-cut"),
    pytest.param(lambda d: _chunked([d])[:600], id="chunk-cut-mid-data"),
    pytest.param(lambda d: b"zz\r\n" + d, id="garbage-chunk-size"),
    pytest.param(lambda d: _chunked([d[:400], d[400:]]).replace(b"\r\n", b"\n", 1), id="bare-lf"),
]


@pytest.mark.parametrize("frame", TRUNCATIONS)
def test_put_truncated_or_malformed_aws_chunked_body_is_refused_storing_nothing(
    stack: Stack, door: Door, bucket: str, frame: Framing
) -> None:
    data = os.urandom(1000)
    body = frame(data)
    baseline = _held(stack)
    with connection(door.endpoint) as sock:
        sock.sendall(_chunked_head(door, bucket, len(body), len(data)))
        sock.sendall(body)
        answer = read_answer(sock)
    assert (answer.status, answer.code) == (400, "IncompleteBody")
    _let_go(stack, door, baseline)
    assert versions_of(stack, bucket) == []


def test_put_aws_chunked_client_disconnects_mid_body_stores_nothing(
    stack: Stack, door: Door, bucket: str
) -> None:
    data = os.urandom(PUT_BUFFER + 64 * 1024)
    body = _chunked([data[i : i + 65536] for i in range(0, len(data), 65536)])
    baseline = _held(stack)
    with connection(door.endpoint) as sock:
        sock.sendall(_chunked_head(door, bucket, len(body), len(data)))
        sock.sendall(body[: len(body) // 2])
    _let_go(stack, door, baseline)
    assert versions_of(stack, bucket) == []


def test_door_accepts_a_well_formed_put(
    stack: Stack, door: Door, bucket: str, s3: S3Client
) -> None:
    """The control: the same raw requests, sent whole, are stored (the refusals above are not
    an artefact of the raw client)."""
    data = os.urandom(1000)
    body = _chunked([data[:400], data[400:]])
    with connection(door.endpoint) as sock:
        sock.sendall(_chunked_head(door, bucket, len(body), len(data)))
        sock.sendall(body)
        answer = read_answer(sock)
    assert answer.status == 200, answer.body
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == data
