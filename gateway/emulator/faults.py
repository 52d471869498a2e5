"""Fault injection: queued faults per B2 call (the /_emulator control surface), call counters,
and the real service's ``X-Bz-Test-Mode`` header, driven by an injectable random source."""

from __future__ import annotations

import random
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from gateway.emulator.errors import B2Error, bad_request

DROP_MODES = ("before_response", "mid_body")
# What the header values do, per the Java SDK's B2TestMode and the integration checklist.
TEST_MODE_FAIL_UPLOADS = "fail_some_uploads"
TEST_MODE_EXPIRE_TOKENS = "expire_some_account_authorization_tokens"
TEST_MODE_CAP_EXCEEDED = "force_cap_exceeded"
TEST_MODE_FAILURE_RATE = 0.25
UPLOAD_CALLS = frozenset({"b2_upload_file", "b2_upload_part"})


@dataclass(frozen=True)
class Fault:
    status: int | None = None
    code: str = "service_unavailable"
    message: str = "injected fault"
    retry_after: float | None = None
    delay: float = 0.0
    drop: str | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> tuple[str, int, Fault]:
        """Parse a POST /_emulator/faults body into (endpoint, count, fault)."""
        endpoint = body.get("endpoint")
        count = body.get("count", 1)
        status = body.get("status")
        drop = body.get("drop")
        delay = body.get("delay") or 0.0
        retry_after = body.get("retry_after")
        if not isinstance(endpoint, str) or not endpoint.startswith("b2_"):
            raise bad_request("endpoint must be a B2 call name such as b2_upload_file")
        if not isinstance(count, int) or count < 1:
            raise bad_request("count must be a positive integer")
        if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
            raise bad_request("status must be an HTTP error status")
        if drop is not None and drop not in DROP_MODES:
            raise bad_request(f"drop must be one of {DROP_MODES}")
        if not isinstance(delay, int | float) or delay < 0:
            raise bad_request("delay must be a non-negative number of seconds")
        if retry_after is not None and not isinstance(retry_after, int | float):
            raise bad_request("retry_after must be a number of seconds")
        if status is None and drop is None and not delay:
            raise bad_request("a fault needs a status, a delay or a drop")
        fault = cls(
            status=status,
            code=str(body.get("code") or "service_unavailable"),
            message=str(body.get("message") or "injected fault"),
            retry_after=retry_after,
            delay=float(delay),
            drop=drop,
        )
        return endpoint, count, fault

    def error(self) -> B2Error | None:
        return None if self.status is None else B2Error(self.status, self.code, self.message)


class Faults:
    def __init__(self, *, enabled: bool, rng: random.Random) -> None:
        self.enabled = enabled
        self._rng = rng
        self._queued: dict[str, deque[Fault]] = {}
        self.counters: Counter[str] = Counter()

    def queue(self, endpoint: str, count: int, fault: Fault) -> None:
        self._queued.setdefault(endpoint, deque()).extend([fault] * count)

    def clear(self) -> None:
        self._queued.clear()

    def take(self, endpoint: str) -> Fault | None:
        """Count a call and hand back the fault queued for it, if any."""
        self.counters[endpoint] += 1
        queue = self._queued.get(endpoint)
        return queue.popleft() if queue else None

    def test_mode_error(self, endpoint: str, mode: str | None) -> B2Error | None:
        """The error a real-service ``X-Bz-Test-Mode`` header asks for on this call, if any."""
        if mode == TEST_MODE_CAP_EXCEEDED:
            return B2Error(403, "cap_exceeded", "Cap exceeded (X-Bz-Test-Mode)")
        if mode == TEST_MODE_FAIL_UPLOADS and endpoint in UPLOAD_CALLS and self._unlucky():
            return B2Error(503, "service_unavailable", "Injected failure (X-Bz-Test-Mode)")
        return None

    def should_expire_token(self, mode: str | None) -> bool:
        return mode == TEST_MODE_EXPIRE_TOKENS and self._unlucky()

    def _unlucky(self) -> bool:
        return self._rng.random() < TEST_MODE_FAILURE_RATE
