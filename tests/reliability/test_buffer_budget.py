"""Buffered PUT bodies share one byte budget: however many arrive at once, the gateway holds at
most the budget in memory; the rest stream to B2 (same result, no in-gateway retry)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from gateway.translate.budget import ByteBudget
from tests.integration.conftest import PUT_BUFFER, Stack
from tests.reliability.conftest import Door, S3Client, open_door, queue_fault, versions_of
from tests.reliability.rawhttp import (
    UNSIGNED,
    connection,
    read_answer,
    request_head,
    signed_headers,
)

SIZE = PUT_BUFFER // 2  # small enough to be buffered


def test_byte_budget_grants_within_limit_and_returns_on_exit() -> None:
    budget = ByteBudget(10)
    with budget.hold(6) as first, budget.hold(5) as second, budget.hold(4) as third:
        assert (first, second, third) == (True, False, True)
        assert budget.held == 10
    assert (budget.held, budget.refusals) == (0, 1)


def test_byte_budget_returns_bytes_when_the_block_raises() -> None:
    budget = ByteBudget(10)
    with pytest.raises(RuntimeError), budget.hold(10):
        raise RuntimeError
    assert budget.held == 0


def test_byte_budget_refuses_a_negative_limit() -> None:
    with pytest.raises(ValueError, match="negative"):
        ByteBudget(-1)


def _put_head(door: Door, bucket: str, key: str, length: int) -> bytes:
    path = f"/{bucket}/{key}"
    headers = signed_headers(
        door.endpoint, "PUT", path, payload_hash=UNSIGNED, headers={"Content-Length": str(length)}
    )
    return request_head("PUT", path, headers)


@pytest.fixture
def tight(stack: Stack) -> Iterator[Door]:
    """Room for two buffered bodies at once."""
    with open_door(stack, buffer_budget=ByteBudget(2 * SIZE + SIZE // 2)) as opened:
        yield opened


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_concurrent_puts_beyond_the_budget_stream_and_all_succeed(
    stack: Stack, tight: Door, bucket: str, s3: S3Client
) -> None:
    budget = tight.ctx.buffer_budget
    bodies = {f"k{n}": os.urandom(SIZE) for n in range(6)}
    with ExitStack() as sockets:
        open_ = {key: sockets.enter_context(connection(tight.endpoint)) for key in bodies}
        for key, sock in open_.items():  # every upload under way, none finished
            sock.sendall(_put_head(tight, bucket, key, SIZE) + bodies[key][: SIZE // 2])
        _wait_until(
            lambda: budget.held // SIZE + budget.refusals == len(bodies), "all PUTs started"
        )
        assert (budget.held, budget.refusals) == (2 * SIZE, 4)
        for key, sock in open_.items():
            sock.sendall(bodies[key][SIZE // 2 :])
        statuses = [read_answer(sock).status for sock in open_.values()]
    assert statuses == [200] * len(bodies)
    assert budget.held == 0
    for key, data in bodies.items():
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data


def test_put_over_a_spent_budget_streams_so_a_b2_failure_is_not_retried(
    stack: Stack, bucket: str
) -> None:
    """Evidence the fallback really streams: a buffered body survives one B2 503 (retried from
    memory); the same body under a spent budget cannot be replayed, so the client gets 503."""
    data = os.urandom(SIZE)
    with open_door(stack, buffer_budget=ByteBudget(0)) as spent:
        queue_fault(stack, "b2_upload_file", status=503, code="service_unavailable", retry_after=0)
        with connection(spent.endpoint) as sock:
            sock.sendall(_put_head(spent, bucket, "k", SIZE) + data)
            answer = read_answer(sock)
    assert (answer.status, answer.code) == (503, "ServiceUnavailable")
    assert versions_of(stack, bucket) == []
    with open_door(stack) as roomy:
        queue_fault(stack, "b2_upload_file", status=503, code="service_unavailable", retry_after=0)
        with connection(roomy.endpoint) as sock:
            sock.sendall(_put_head(roomy, bucket, "k", SIZE) + data)
            assert read_answer(sock).status == 200


def test_upload_part_draws_on_the_same_budget(stack: Stack, bucket: str, s3: S3Client) -> None:
    """Parts share the PUT budget: under a spent budget a part streams (a B2 503 reaches the
    client and no part is kept); with room it is buffered and survives the 503."""
    data = os.urandom(SIZE)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    path = f"/{bucket}/k?partNumber=1&uploadId={upload_id}"
    for budget, status in ((ByteBudget(0), 503), (ByteBudget(), 200)):
        with open_door(stack, buffer_budget=budget) as door:
            queue_fault(
                stack, "b2_upload_file", status=503, code="service_unavailable", retry_after=0
            )
            headers = signed_headers(
                door.endpoint,
                "PUT",
                path,
                payload_hash=UNSIGNED,
                headers={"Content-Length": str(SIZE)},
            )
            with connection(door.endpoint) as sock:
                sock.sendall(request_head("PUT", path, headers) + data)
                assert read_answer(sock).status == status
        parts = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id).get("Parts", [])
        assert len(parts) == (status == 200)
