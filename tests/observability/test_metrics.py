"""Unit tests of gateway.metrics: the B2 billing-class table, checksum-failure classes, the B2
client collector, bounded header labels, B2 reachability and the readiness endpoint."""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from gateway.b2.stats import ClientStatsSnapshot
from gateway.metrics import (
    B2Reachability,
    Children,
    GatewayMetrics,
    build_metrics_app,
    checksum_failure,
    transaction_class,
)
from gateway.s3 import errors
from gateway.s3.operations import Op

RAW = Path(__file__).parents[2] / "gateway" / "b2" / "raw.py"


def _samples(metrics: GatewayMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics.render().decode())
        for s in family.samples
    }


def test_transaction_class_covers_every_endpoint_the_b2_client_calls() -> None:
    endpoints = set(re.findall(r'"(b2_[a-z_]+)"', RAW.read_text()))
    assert len(endpoints) >= 20
    unclassified = {e for e in endpoints if transaction_class(e) not in ("A", "B", "C")}
    assert unclassified == set()


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("b2_upload_file", "A"),
        ("b2_upload_part", "A"),
        ("b2_get_upload_url", "A"),
        ("b2_delete_bucket", "A"),
        ("b2_hide_file", "A"),
        ("b2_cancel_large_file", "A"),
        ("b2_download_file_by_name", "B"),
        ("b2_get_file_info", "B"),
        ("b2_copy_file", "C"),
        ("b2_copy_part", "C"),
        ("b2_list_file_names", "C"),
        ("b2_authorize_account", "C"),
        ("b2_create_bucket", "C"),
        ("b2_not_a_call", "unknown"),
    ],
)
def test_transaction_class_follows_backblaze_pricing_page(endpoint: str, expected: str) -> None:
    assert transaction_class(endpoint) == expected


@pytest.mark.parametrize(
    ("error", "requested", "expected"),
    [
        (errors.XAmzContentSHA256Mismatch(), None, "sha256"),
        (errors.BadDigest(ExpectedDigest="00", CalculatedDigest="11"), None, "md5"),
        (errors.InvalidDigest(), None, "md5"),
        (errors.BadDigest("The CRC32C you specified did not match"), "crc32c", "crc32c"),
        (errors.InvalidRequest("Value for x-amz-checksum-sha1 header is invalid."), "sha1", "sha1"),
        (errors.InvalidRequest("Expecting a single x-amz-checksum- header."), None, "unknown"),
        (errors.InvalidRequest("Conflicting query string parameters"), None, None),
        (errors.NoSuchKey(), "crc32", None),
    ],
)
def test_checksum_failure_names_the_algorithm_of_checksum_errors_only(
    error: errors.S3Error, requested: str | None, expected: str | None
) -> None:
    assert checksum_failure(error, requested) == expected


def _snapshot(hits: int, misses: int, retries: dict[str, int]) -> ClientStatsSnapshot:
    return ClientStatsSnapshot(
        authorizations=2,
        upload_url_hits=hits,
        upload_url_misses=misses,
        upload_url_discards=1,
        retries_by_cause=MappingProxyType(retries),
    )


def test_b2_client_collector_sums_every_client_at_scrape_time() -> None:
    metrics = GatewayMetrics()
    clients = [_snapshot(3, 1, {"connection": 2}), _snapshot(5, 2, {"connection": 1, "x": 4})]
    metrics.watch_b2_clients(lambda: clients)
    samples = _samples(metrics)
    assert samples["b2_authorizations_total", ()] == 4
    assert samples["b2_upload_url_leases_total", (("source", "pool"),)] == 8
    assert samples["b2_upload_url_leases_total", (("source", "fetched"),)] == 3
    assert samples["b2_upload_url_discards_total", ()] == 2
    assert samples["b2_retries_total", (("cause", "connection"),)] == 3
    assert samples["b2_retries_total", (("cause", "x"),)] == 4
    clients.append(_snapshot(0, 0, {}))  # read live, not copied at registration
    assert _samples(metrics)["b2_authorizations_total", ()] == 6


def test_b2_calls_count_transactions_only_for_answered_calls() -> None:
    metrics = GatewayMetrics()
    metrics.on_b2_call("b2_get_file_info", 200, 0.01)
    metrics.on_b2_call("b2_get_file_info", 404, 0.01)
    metrics.on_b2_call("b2_list_file_names", 0, 0.5)  # no answer: B2 never billed it
    samples = _samples(metrics)
    assert samples["b2_transactions_total", (("class", "B"),)] == 2
    assert ("b2_transactions_total", (("class", "C"),)) not in samples
    assert samples["b2_calls_total", (("endpoint", "b2_list_file_names"), ("status", "0"))] == 1
    assert samples["b2_call_duration_seconds_count", (("endpoint", "b2_get_file_info"),)] == 2


def test_children_are_the_registrys_own_children_made_once() -> None:
    metrics = GatewayMetrics()
    by_operation = Children(metrics.s3_sent)
    first = by_operation("GetObject")
    assert by_operation("GetObject") is first is metrics.s3_sent.labels("GetObject")
    first.inc(3)
    by_operation("PutObject").inc(1)
    samples = _samples(metrics)
    assert samples["s3_sent_bytes_total", (("operation", "GetObject"),)] == 3
    assert samples["s3_sent_bytes_total", (("operation", "PutObject"),)] == 1


def test_ignored_header_labels_are_bounded() -> None:
    metrics = GatewayMetrics(max_header_labels=2)
    for header in ("x-amz-a", "x-amz-b", "x-amz-c", "x-amz-d", "x-amz-a"):
        metrics.on_ignored_header(Op.PutObject, header)
    headers = {
        dict(labels)["header"]: v
        for (name, labels), v in _samples(metrics).items()
        if name == "s3_ignored_headers_total"
    }
    assert headers == {"x-amz-a": 2, "x-amz-b": 1, "other": 2}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_b2_reachability_fails_after_a_connection_failure_until_an_answer_or_the_window() -> None:
    clock = Clock()
    reach = B2Reachability(window=30, clock=clock)
    assert reach.reachable()
    reach.on_b2_call("b2_list_buckets", 0, 1.0)
    assert not reach.reachable()
    clock.now += 1
    reach.on_b2_call("b2_list_buckets", 503, 0.1)  # an answer, even an error, means reachable
    assert reach.reachable()
    clock.now += 1
    reach.on_b2_call("b2_list_buckets", 0, 1.0)
    clock.now += 29
    assert not reach.reachable()
    clock.now += 1
    assert reach.reachable()  # forgotten: an idle gateway must not stay unready forever


async def test_metrics_app_serves_metrics_and_readiness_with_its_reason() -> None:
    reasons: list[str | None] = [None, "draining"]

    async def readiness() -> str | None:
        return reasons.pop(0)

    async with TestClient(TestServer(build_metrics_app(GatewayMetrics(), readiness))) as client:
        scrape = await client.get("/metrics")
        assert scrape.status == 200
        assert "s3_b2_gateway_build_info" in await scrape.text()
        assert (await client.get("/health/live")).status == 200
        ready = await client.get("/health/ready")
        assert (ready.status, await ready.text()) == (200, "ready\n")
        unready = await client.get("/health/ready")
        assert (unready.status, await unready.text()) == (503, "not ready: draining\n")
