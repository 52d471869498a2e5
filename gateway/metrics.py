"""Prometheus metrics and the health endpoints, served on their own listener (never on the S3
port: a bucket may be called ``health`` or ``metrics``).

Names follow Prometheus conventions: base units (seconds, bytes) in the name, ``_total`` on
counters, and no bucket or key as a label (unbounded cardinality). One registry per gateway, so
several gateways can run in one process (the tests do).
"""

from __future__ import annotations

import collections
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import Collector

from gateway import __version__
from gateway.b2.stats import ClientStatsSnapshot
from gateway.s3 import errors
from gateway.s3.operations import Op

UNROUTED = "unknown"
"""The operation label of requests refused before routing (bad signature, unknown access key)."""

# Object stores answer in milliseconds to minutes: small requests, then big transfers.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

# Backblaze's published transaction classes, from "Pricing Organized by API Calls"
# (https://www.backblaze.com/cloud-storage/transaction-pricing, formerly
# https://www.backblaze.com/b2/b2-transactions-price.html): Class A is free; Class B (downloads,
# file info) is billed per 10,000 after 2,500 free a day; Class C (listings, authorisation, bucket
# changes, copies) per 1,000 after 2,500 free a day. Note copies are Class C, bucket deletion A.
B2_TRANSACTION_CLASS: Mapping[str, str] = {
    **dict.fromkeys(
        (
            "b2_cancel_large_file",
            "b2_delete_bucket",
            "b2_delete_file_version",
            "b2_delete_key",
            "b2_finish_large_file",
            "b2_get_upload_part_url",
            "b2_get_upload_url",
            "b2_hide_file",
            "b2_start_large_file",
            "b2_update_file_legal_hold",
            "b2_update_file_retention",
            "b2_upload_file",
            "b2_upload_part",
        ),
        "A",
    ),
    **dict.fromkeys(
        ("b2_download_file_by_id", "b2_download_file_by_name", "b2_get_file_info"), "B"
    ),
    **dict.fromkeys(
        (
            "b2_authorize_account",
            "b2_copy_file",
            "b2_copy_part",
            "b2_create_bucket",
            "b2_create_key",
            "b2_get_download_authorization",
            "b2_list_buckets",
            "b2_list_file_names",
            "b2_list_file_versions",
            "b2_list_keys",
            "b2_list_parts",
            "b2_list_unfinished_large_files",
            "b2_update_bucket",
            "b2_get_bucket_notification_rules",
            "b2_set_bucket_notification_rules",
        ),
        "C",
    ),
}


def transaction_class(endpoint: str) -> str:
    """ "A", "B" or "C"; "unknown" for a call Backblaze's table does not list."""
    return B2_TRANSACTION_CLASS.get(endpoint, "unknown")


_CHECKSUM_ERRORS = frozenset({"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"})


def checksum_failure(error: errors.S3Error, algorithm: str | None) -> str | None:
    """The algorithm label if ``error`` is a failed or malformed body checksum, else None.
    ``algorithm`` is the flexible checksum the request named (``x-amz-checksum-*``), if any."""
    if error.code == "XAmzContentSHA256Mismatch":
        return "sha256"  # the SigV4 payload hash
    if error.code == "InvalidDigest" or "ExpectedDigest" in error.values:
        return "md5"  # Content-MD5, malformed or not matching
    if error.code in _CHECKSUM_ERRORS or (
        error.code == "InvalidRequest" and "checksum" in error.detail.lower()
    ):
        return algorithm or "unknown"
    return None


class _BoundedLabel:
    """Client-chosen label values (header names) kept to a fixed number, then ``other``."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._seen: set[str] = set()

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        if len(self._seen) >= self._limit:
            return "other"
        self._seen.add(value)
        return value


M = TypeVar("M", bound=MetricWrapperBase)


class Children(Generic[M]):
    """``metric.labels(*values)``, remembered: the registry keeps every child it made anyway,
    so this holds no more than it does, and a dict lookup costs a fraction of ``labels`` (which
    converts every value and takes a lock). Values must already be strings."""

    def __init__(self, metric: M) -> None:
        self._metric = metric
        self._children: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self._metric.labels(*values)
        return child


class B2ClientCollector(Collector):
    """The B2 clients' own counters (authorisations, URL pool, retries), summed over every
    client, read from their stats snapshots at scrape time instead of copied around."""

    def __init__(self, snapshots: Callable[[], Iterable[ClientStatsSnapshot]]) -> None:
        self._snapshots = snapshots

    def describe(self) -> Iterator[Metric]:
        return iter(())  # values appear only once clients exist; nothing to check up front

    def collect(self) -> Iterator[Metric]:
        snapshots = list(self._snapshots())
        yield CounterMetricFamily(
            "b2_authorizations",
            "b2_authorize_account calls made, including each key's first (re-authorisations "
            "are the increase beyond the number of keys)",
            value=sum(s.authorizations for s in snapshots),
        )
        yield _labelled(
            "b2_upload_url_leases",
            "Upload URLs leased for an upload: reused from the pool, or fetched (pool miss)",
            "source",
            {
                "pool": sum(s.upload_url_hits for s in snapshots),
                "fetched": sum(s.upload_url_misses for s in snapshots),
            },
        )
        yield CounterMetricFamily(
            "b2_upload_url_discards",
            "Upload URLs thrown away after a failed upload",
            value=sum(s.upload_url_discards for s in snapshots),
        )
        pool = GaugeMetricFamily(
            "b2_upload_urls",
            "Upload URLs held by the gateway: idle in the pool, or leased to an upload now",
            labels=["state"],
        )
        pool.add_metric(["idle"], sum(s.upload_urls_idle for s in snapshots))
        pool.add_metric(["leased"], sum(s.upload_urls_leased for s in snapshots))
        yield pool
        causes: collections.Counter[str] = collections.Counter()
        for snapshot in snapshots:
            causes.update(snapshot.retries_by_cause)
        yield _labelled(
            "b2_retries",
            "B2 calls retried, by cause (B2 error code or connection)",
            "cause",
            causes,
        )


def _labelled(
    name: str, documentation: str, label: str, counts: Mapping[str, int]
) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=[label])
    for value, count in sorted(counts.items()):
        family.add_metric([value], count)
    return family


class GatewayMetrics:
    """One registry per gateway; the methods are the hooks the gateway's parts call."""

    def __init__(self, *, max_header_labels: int = 64) -> None:
        self.registry = registry = CollectorRegistry()
        Info("s3_b2_gateway_build", "The running version", registry=registry).info(
            {"version": __version__}
        )
        self.s3_requests = Counter(
            "s3_requests",
            "S3 requests answered, by operation and HTTP status",
            ["operation", "status"],
            registry=registry,
        )
        self.s3_latency = Histogram(
            "s3_request_duration_seconds",
            "Seconds from request arrival to the response headers, by S3 operation",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.s3_in_flight = Gauge(
            "s3_requests_in_flight", "S3 requests being handled now", registry=registry
        )
        self.s3_received = Counter(
            "s3_received_bytes",
            "Request body bytes read from S3 clients, counted as they arrive",
            ["operation"],
            registry=registry,
        )
        self.s3_sent = Counter(
            "s3_sent_bytes",
            "Response body bytes written to S3 clients, counted as they leave",
            ["operation"],
            registry=registry,
        )
        self.checksum_failures = Counter(
            "s3_checksum_failures",
            "Request bodies refused for a wrong or malformed checksum, by algorithm and S3 error",
            ["algorithm", "error"],
            registry=registry,
        )
        self.ignored_headers = Counter(
            "s3_ignored_headers",
            "Unknown x-amz-* request headers tolerated without being honoured",
            ["operation", "header"],
            registry=registry,
        )
        self._header_label = _BoundedLabel(max_header_labels)
        self.b2_calls = Counter(
            "b2_calls",
            "HTTP calls to Backblaze B2, by endpoint and HTTP status (0: no answer)",
            ["endpoint", "status"],
            registry=registry,
        )
        self.b2_latency = Histogram(
            "b2_call_duration_seconds",
            "Seconds per B2 call until its response headers, by endpoint",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.b2_transactions = Counter(
            "b2_transactions",
            "B2 calls that got an answer, by Backblaze billing class (A free; B, C billed)",
            ["class"],
            registry=registry,
        )
        # What every request and B2 call touches, by label values.
        self.s3_requests_by = Children(self.s3_requests)
        self.s3_latency_by = Children(self.s3_latency)
        self.s3_received_by = Children(self.s3_received)
        self.s3_sent_by = Children(self.s3_sent)
        self._b2_calls_by = Children(self.b2_calls)
        self._b2_latency_by = Children(self.b2_latency)
        self._b2_transactions_by = Children(self.b2_transactions)

    def on_ignored_header(self, op: Op, header: str) -> None:
        self.ignored_headers.labels(str(op), self._header_label(header)).inc()

    def on_b2_call(self, endpoint: str, status: int, seconds: float) -> None:
        self._b2_calls_by(endpoint, str(status)).inc()
        self._b2_latency_by(endpoint).observe(seconds)
        if status != 0:  # no answer: B2 never saw it
            self._b2_transactions_by(transaction_class(endpoint)).inc()

    def watch_b2_clients(self, snapshots: Callable[[], Iterable[ClientStatsSnapshot]]) -> None:
        self.registry.register(B2ClientCollector(snapshots))

    def render(self) -> bytes:
        return generate_latest(self.registry)


@dataclass
class B2Reachability:
    """Whether B2 answered lately, learnt from the calls the gateway makes anyway (a probe
    must not cost a B2 transaction). After ``window`` seconds a failure is forgotten, so an
    idle, unready gateway becomes ready again and its next request tests B2 afresh."""

    window: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _last_answer: float | None = None
    _last_failure: float | None = None

    def on_b2_call(self, endpoint: str, status: int, seconds: float) -> None:
        del endpoint, seconds
        if status == 0:
            self._last_failure = self.clock()
        else:
            self._last_answer = self.clock()

    def reachable(self) -> bool:
        failed = self._last_failure
        if failed is None or self.clock() - failed >= self.window:
            return True
        return self._last_answer is not None and self._last_answer > failed


Readiness = Callable[[], Awaitable[str | None]]
"""None when ready, else why not (shown in the 503 body)."""


def build_metrics_app(metrics: GatewayMetrics, readiness: Readiness) -> web.Application:
    async def scrape(_: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def live(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def ready(_: web.Request) -> web.Response:
        reason = await readiness()
        if reason is None:
            return web.Response(text="ready\n")
        return web.Response(status=503, text=f"not ready: {reason}\n")

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    app.router.add_get("/health/live", live)
    app.router.add_get("/health/ready", ready)
    return app
