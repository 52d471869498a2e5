"""Prometheus metrics and the health endpoints, served on their own listener.

``/metrics``: S3 requests by operation and status, S3 latency by operation, request headers
tolerated without being honoured, and every B2 call by endpoint and status.
``/health/live``: the process answers. ``/health/ready``: B2 is authorised and not draining.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from gateway.s3.operations import Op

Ready = Callable[[], Awaitable[bool]]


class GatewayMetrics:
    """One registry per gateway (tests run several in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.s3_requests = Counter(
            "s3_requests",
            "S3 requests answered, by operation and HTTP status",
            ["operation", "status"],
            registry=self.registry,
        )
        self.s3_latency = Histogram(
            "s3_request_seconds",
            "Seconds until the response headers, by S3 operation",
            ["operation"],
            registry=self.registry,
        )
        self.ignored_headers = Counter(
            "s3_ignored_headers",
            "x-amz-* request headers tolerated without being honoured",
            ["operation", "header"],
            registry=self.registry,
        )
        self.b2_calls = Counter(
            "b2_calls",
            "HTTP calls to Backblaze B2, by endpoint and status",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.b2_latency = Histogram(
            "b2_call_seconds",
            "Seconds per B2 call, by endpoint",
            ["endpoint"],
            registry=self.registry,
        )

    def on_handled(self, op: Op, status: int, seconds: float) -> None:
        self.s3_requests.labels(str(op), str(status)).inc()
        self.s3_latency.labels(str(op)).observe(seconds)

    def on_ignored_header(self, op: Op, header: str) -> None:
        self.ignored_headers.labels(str(op), header).inc()

    def on_b2_call(self, endpoint: str, status: int, seconds: float) -> None:
        self.b2_calls.labels(endpoint, str(status)).inc()
        self.b2_latency.labels(endpoint).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def build_metrics_app(metrics: GatewayMetrics, ready: Ready) -> web.Application:
    async def scrape(_: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def live(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def is_ready(_: web.Request) -> web.Response:
        if await ready():
            return web.Response(text="ready\n")
        return web.Response(status=503, text="not ready\n")

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    app.router.add_get("/health/live", live)
    app.router.add_get("/health/ready", is_ready)
    return app
