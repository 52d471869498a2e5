from __future__ import annotations

import pytest

from gateway.b2.errors import (
    B2Error,
    BadRequestError,
    InvalidAuthTokenError,
    ServiceUnavailableError,
    TooManyRequestsError,
)
from gateway.b2.retry import Retrier, RetryPolicy

POLICY = RetryPolicy(max_attempts=5, initial_delay=1.0, multiplier=2.0, max_delay=5.0, max_total=60)


def test_backoff_grows_exponentially_and_caps() -> None:
    assert [POLICY.backoff(n, draw=0.0) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_backoff_jitter_scales_down_by_at_most_jitter_fraction() -> None:
    assert POLICY.backoff(2, draw=0.999999) == pytest.approx(1.0, rel=1e-5)
    assert POLICY.backoff(2, draw=0.5) == 1.5


def test_delay_honours_retry_after_over_backoff() -> None:
    error = TooManyRequestsError("slow down", status=429, retry_after=17.0)
    assert POLICY.delay(attempt=1, error=error, elapsed=0, draw=0.3) == 17.0


def test_delay_for_reauthorisation_is_immediate() -> None:
    error = InvalidAuthTokenError("expired", status=401)
    assert POLICY.delay(attempt=1, error=error, elapsed=0, draw=0.3) == 0.0


def test_delay_gives_up_after_max_attempts() -> None:
    error = ServiceUnavailableError("busy", status=503)
    assert POLICY.delay(attempt=4, error=error, elapsed=0, draw=0) == 5.0
    assert POLICY.delay(attempt=5, error=error, elapsed=0, draw=0) is None


def test_delay_gives_up_when_wait_would_pass_total_budget() -> None:
    error = TooManyRequestsError("slow down", status=429, retry_after=30.0)
    assert POLICY.delay(attempt=1, error=error, elapsed=29.0, draw=0) == 30.0
    assert POLICY.delay(attempt=1, error=error, elapsed=31.0, draw=0) is None


def test_retry_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="invalid retry policy"):
        RetryPolicy(max_attempts=0)


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _retrier(time: FakeTime, retried: list[B2Error]) -> Retrier:
    return Retrier(
        policy=POLICY,
        clock=time.clock,
        sleep=time.sleep,
        random=lambda: 0.0,
        on_retry=retried.append,
    )


async def test_retrier_retries_until_success_with_backoff_and_retry_after() -> None:
    time, retried = FakeTime(), []
    failures: list[B2Error] = [
        ServiceUnavailableError("busy", status=503),
        TooManyRequestsError("later", status=429, retry_after=9.0),
        ServiceUnavailableError("busy", status=503),
    ]

    async def attempt() -> str:
        if failures:
            raise failures.pop(0)
        return "ok"

    result = await _retrier(time, retried).run(attempt, retry_on=lambda e: e.retryable)
    assert result == "ok"
    assert time.sleeps == [1.0, 9.0, 4.0]
    assert [e.status for e in retried] == [503, 429, 503]


async def test_retrier_raises_last_error_when_attempts_run_out() -> None:
    time, retried = FakeTime(), []
    calls = 0

    async def attempt() -> None:
        nonlocal calls
        calls += 1
        raise ServiceUnavailableError(f"busy {calls}", status=503)

    with pytest.raises(ServiceUnavailableError, match="busy 5"):
        await _retrier(time, retried).run(attempt, retry_on=lambda e: e.retryable)
    assert calls == 5
    assert time.sleeps == [1.0, 2.0, 4.0, 5.0]


async def test_retrier_does_not_retry_what_retry_on_declines() -> None:
    time, retried = FakeTime(), []

    async def attempt() -> None:
        raise BadRequestError("no", status=400)

    with pytest.raises(BadRequestError):
        await _retrier(time, retried).run(attempt, retry_on=lambda e: e.retryable)
    assert time.sleeps == []
    assert retried == []
