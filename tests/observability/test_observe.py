"""Unit tests of gateway.observe (one request's exchange) and gateway.log's formatters."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.log import AccessRecord, configure, log_access, redact
from gateway.metrics import GatewayMetrics
from gateway.observe import RequestObserver
from gateway.s3 import errors
from gateway.s3.messages import Headers, S3Request
from gateway.s3.operations import Op, parse_route


class Clock:
    def __init__(self) -> None:
        self.now = 10.0

    def __call__(self) -> float:
        return self.now


def _request(op_headers: dict[str, str] | None = None) -> S3Request:
    headers = Headers({"host": "gw", **(op_headers or {})}.items())
    route = parse_route("PUT", "gw", "/bucket/some/key", "", headers)
    assert route.op is Op.PutObject

    return S3Request(route.op, route, None, "PUT", headers, None, "RID")  # type: ignore[arg-type]


def _value(metrics: GatewayMetrics, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return sample.value
    return 0.0


def _observer() -> tuple[GatewayMetrics, RequestObserver, list[AccessRecord], Clock]:
    metrics, records, clock = GatewayMetrics(), [], Clock()
    return metrics, RequestObserver(metrics, records.append, clock=clock), records, clock


async def test_exchange_feeds_metrics_as_it_happens_and_logs_one_record_at_the_end() -> None:
    metrics, observer, records, clock = _observer()
    exchange = observer.start("PUT", "RID")
    assert _value(metrics, "s3_requests_in_flight") == 1
    exchange.routed(_request())
    exchange.received(1000)
    exchange.received(1 << 20)  # counted once a MiB has passed, not per piece
    assert _value(metrics, "s3_received_bytes_total", operation="PutObject") == 1000 + (1 << 20)
    exchange.received(24)
    observer.on_b2_call("b2_upload_file", 200, 0.2)
    observer.on_b2_call("b2_upload_file", 200, 0.2)
    clock.now += 0.25
    exchange.responding(200, None)
    exchange.sent(0)
    clock.now += 0.25
    exchange.finished(completed=True)
    assert _value(metrics, "s3_received_bytes_total", operation="PutObject") == 1024 + (1 << 20)
    assert _value(metrics, "s3_requests_in_flight") == 0
    assert _value(metrics, "s3_requests_total", operation="PutObject", status="200") == 1
    assert _value(metrics, "s3_request_duration_seconds_sum", operation="PutObject") == 0.25
    [record] = records
    assert (record.operation, record.bucket, record.key, record.status) == (
        "PutObject",
        "bucket",
        "some/key",
        200,
    )
    assert (record.bytes_in, record.duration_seconds, record.completed) == (
        1024 + (1 << 20),
        0.5,
        True,
    )
    assert (record.b2_calls, record.b2_calls_by_endpoint) == (2, {"b2_upload_file": 2})
    observer.on_b2_call("b2_list_buckets", 200, 0.1)  # after the request: nobody's
    assert record.b2_calls == 2


async def test_exchange_refused_before_routing_counts_as_unknown_operation() -> None:
    metrics, observer, records, _ = _observer()
    exchange = observer.start("GET", "RID")
    exchange.responding(403, errors.SignatureDoesNotMatch())
    exchange.finished(completed=True)
    assert _value(metrics, "s3_requests_total", operation="unknown", status="403") == 1
    assert (records[0].operation, records[0].error, records[0].bucket) == (
        "unknown",
        "SignatureDoesNotMatch",
        None,
    )


async def test_exchange_counts_checksum_failure_with_the_algorithm_the_request_named() -> None:
    metrics, observer, _, _ = _observer()
    exchange = observer.start("PUT", "RID")
    exchange.routed(_request({"x-amz-trailer": "x-amz-checksum-crc64nvme"}))
    exchange.responding(400, errors.BadDigest("The CRC64NVME you specified did not match"))
    exchange.finished(completed=True)
    labels = {"algorithm": "crc64nvme", "error": "BadDigest"}
    assert _value(metrics, "s3_checksum_failures_total", **labels) == 1


async def test_b2_calls_of_concurrent_requests_and_their_subtasks_stay_apart() -> None:
    _, observer, records, _ = _observer()

    async def request(calls: int) -> None:
        exchange = observer.start("GET", f"R{calls}")

        async def part() -> None:
            await asyncio.sleep(0)
            observer.on_b2_call("b2_upload_part", 200, 0.0)

        await asyncio.gather(*(part() for _ in range(calls)))
        exchange.finished(completed=False)

    await asyncio.gather(asyncio.create_task(request(2)), asyncio.create_task(request(3)))
    assert sorted((r.request_id, r.b2_calls, r.completed) for r in records) == [
        ("R2", 2, False),
        ("R3", 3, False),
    ]


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, its handlers and level put back afterwards (``configure`` replaces them)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield root
    finally:
        root.handlers[:], root.level = handlers, level


def test_json_log_lines_carry_the_access_fields(root_logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure("INFO", "json", stream)
    log_access(AccessRecord("RID", "GET", "GetObject", "b", "k", 200, None, 0, 5, 0.1, True, 1, {}))
    configure("INFO", "text", stream)
    log_access(
        AccessRecord("RID2", "GET", "GetObject", "b", "k", 404, "NoSuchKey", 0, 5, 0.1, True, 0, {})
    )
    first, second = stream.getvalue().splitlines()
    entry = json.loads(first)
    assert entry["logger"] == "gateway.access"
    assert (entry["request_id"], entry["operation"], entry["bytes_out"]) == ("RID", "GetObject", 5)
    assert "request_id=RID2" in second
    assert "error=NoSuchKey" in second


def test_access_line_fields_are_the_records_fields_in_order(root_logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure("INFO", "json", stream)
    record = AccessRecord(
        "RID", "PUT", "PutObject", "b", "k/é", 200, None, 7, 0, 0.25, True, 2, {"b2_upload_file": 2}
    )
    log_access(record)
    entry = json.loads(stream.getvalue())
    access = dataclasses.asdict(record)
    assert list(entry)[4:] == list(access)  # after time, level, logger, message
    assert {name: entry[name] for name in access} == access


def test_access_line_below_the_log_level_is_not_written(root_logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure("WARNING", "json", stream)
    log_access(AccessRecord("RID", "GET", "GetObject", "b", "k", 200, None, 0, 5, 0.1, True, 1, {}))
    assert stream.getvalue() == ""


@pytest.mark.parametrize(
    "line",
    [
        "GET /b/k?X-AMZ-SIGNATURE=f00dfeed",  # upper case
        "GET /b/k?x-amz-\u017fignature=f00dfeed",  # U+017F matches "s" case-insensitively
        "key=ünïcode authorization: f00dfeed",
    ],
)
def test_redact_scrubs_credentials_in_any_case_and_script(line: str) -> None:
    assert "f00dfeed" not in redact(line)


def test_redact_leaves_lines_without_credentials_alone() -> None:
    line = "GET GetObject 200 request_id=RID bucket=b key=signatures/are/not/secret"
    assert redact(line) == line
