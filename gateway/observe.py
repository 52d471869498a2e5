"""Per-request observation: what the S3 funnel reports about each request (``s3.http.Exchange``)
feeds the metrics as it happens and becomes one access-log line at the end.

B2 calls are attributed to the request that made them through a context variable: the B2
client's ``on_call`` hook runs in the request's task (or a task it started, which copies the
context), so it finds that request's exchange there. Calls outside any request (start-up
authorisation) find none.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar

from gateway.log import AccessRecord
from gateway.metrics import UNROUTED, GatewayMetrics, checksum_failure
from gateway.s3 import errors
from gateway.s3.checksums import CHECKSUM_PREFIX, ChecksumAlgorithm
from gateway.s3.messages import S3Request

_ALGORITHMS: frozenset[str] = frozenset(str(algorithm.value) for algorithm in ChecksumAlgorithm)
_current: ContextVar[RequestExchange | None] = ContextVar("gateway_exchange", default=None)


def _requested_checksum(request: S3Request) -> str | None:
    """The flexible checksum algorithm a request names: a header, a trailer, or the SDK's."""
    headers = request.headers
    names: list[str] = [
        *headers,
        *(t.strip().lower() for t in headers.get("x-amz-trailer", "").split(",")),
    ]
    names.append(CHECKSUM_PREFIX + headers.get("x-amz-sdk-checksum-algorithm", "").lower())
    for name in names:
        algorithm = name.removeprefix(CHECKSUM_PREFIX)
        if name.startswith(CHECKSUM_PREFIX) and algorithm in _ALGORITHMS:
            return algorithm
    return None


# Body bytes reach the byte counters every MiB and when the request ends, not per 64 KiB
# piece: a Prometheus increment per piece was ~7% of a large GET's CPU.
_COUNT_EVERY_BYTES = 1 << 20


class RequestExchange:
    """One request; implements ``gateway.s3.http.Exchange``."""

    def __init__(
        self,
        observer: RequestObserver,
        method: str,
        request_id: str,
    ) -> None:
        self._observer = observer
        self._metrics = metrics = observer.metrics
        self._started = observer.clock()
        self._method = method
        self._request_id = request_id
        self._operation = UNROUTED
        self._request: S3Request | None = None
        self._status = 0
        self._error: str | None = None
        self._bytes_in = 0
        self._bytes_out = 0
        self._uncounted_in = 0
        self._uncounted_out = 0
        self.b2_calls: Counter[str] = Counter()
        self._received = metrics.s3_received_by(UNROUTED)
        self._sent = metrics.s3_sent_by(UNROUTED)
        metrics.s3_in_flight.inc()
        _current.set(self)

    def routed(self, request: S3Request) -> None:
        self._count_bytes()  # what arrived before routing belongs to the unrouted series
        self._request = request
        self._operation = str(request.op)
        self._received = self._metrics.s3_received_by(self._operation)
        self._sent = self._metrics.s3_sent_by(self._operation)

    def received(self, size: int) -> None:
        self._bytes_in += size
        self._uncounted_in += size
        if self._uncounted_in >= _COUNT_EVERY_BYTES:
            self._count_bytes()

    def responding(self, status: int, error: errors.S3Error | None) -> None:
        self._status = status
        self._metrics.s3_latency_by(self._operation).observe(self._elapsed())
        if error is None:
            return
        self._error = error.code
        requested = _requested_checksum(self._request) if self._request else None
        algorithm = checksum_failure(error, requested)
        if algorithm is not None:
            self._metrics.checksum_failures.labels(algorithm, error.code).inc()

    def sent(self, size: int) -> None:
        self._bytes_out += size
        self._uncounted_out += size
        if self._uncounted_out >= _COUNT_EVERY_BYTES:
            self._count_bytes()

    def _count_bytes(self) -> None:
        if self._uncounted_in:
            self._received.inc(self._uncounted_in)
            self._uncounted_in = 0
        if self._uncounted_out:
            self._sent.inc(self._uncounted_out)
            self._uncounted_out = 0

    def finished(self, *, completed: bool) -> None:
        self._count_bytes()
        _current.set(None)
        self._metrics.s3_in_flight.dec()
        self._metrics.s3_requests_by(self._operation, str(self._status)).inc()
        request = self._request
        self._observer.access_log(
            AccessRecord(
                request_id=self._request_id,
                method=self._method,
                operation=self._operation,
                bucket=request.bucket if request else None,
                key=request.key if request else None,
                status=self._status,
                error=self._error,
                bytes_in=self._bytes_in,
                bytes_out=self._bytes_out,
                duration_seconds=round(self._elapsed(), 6),
                completed=completed,
                b2_calls=self.b2_calls.total(),
                b2_calls_by_endpoint=dict(self.b2_calls),
            )
        )

    def _elapsed(self) -> float:
        return self._observer.clock() - self._started


class RequestObserver:
    """Starts an exchange per request (``start`` is the funnel's ``exchanges`` argument) and
    attributes B2 calls to the request that made them (``on_b2_call`` is the client's hook)."""

    def __init__(
        self,
        metrics: GatewayMetrics,
        access_log: Callable[[AccessRecord], None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.metrics = metrics
        self.access_log = access_log
        self.clock = clock

    def start(self, method: str, request_id: str) -> RequestExchange:
        return RequestExchange(self, method, request_id)

    def on_b2_call(self, endpoint: str, status: int, seconds: float) -> None:
        self.metrics.on_b2_call(endpoint, status, seconds)
        exchange = _current.get()
        if exchange is not None:
            exchange.b2_calls[endpoint] += 1
