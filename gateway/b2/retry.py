"""When and how long to wait before trying a B2 call again.

`RetryPolicy.delay()` is pure (attempt, error, elapsed time, a random draw → seconds or give up),
so the arithmetic is tested without clocks; `Retrier` runs attempts with injected clock, sleep,
random.
"""

from __future__ import annotations

import asyncio
import random as _random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from gateway.b2.errors import B2Error

T = TypeVar("T")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
Random = Callable[[], float]


@dataclass(frozen=True)
class RetryPolicy:
    """Jittered exponential backoff (b2sdk's constants), bounded by attempts and total elapsed time.

    The n-th retry waits `min(max_delay, initial_delay * multiplier**(n-1))`, scaled by a factor
    drawn uniformly from [1 - jitter, 1] so a burst of failed calls does not come back in lockstep.
    A server `Retry-After` replaces the computed wait: B2 says exactly when to come back.
    A re-authorisation retry waits nothing: the new token is the fix.
    """

    max_attempts: int = 5
    initial_delay: float = 1.0
    multiplier: float = 1.5
    max_delay: float = 64.0
    max_total: float = 300.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or not 0 <= self.jitter <= 1 or self.initial_delay < 0:
            raise ValueError(f"invalid retry policy {self}")

    def backoff(self, retry_number: int, draw: float) -> float:
        """The jittered wait before retry number `retry_number` (1-based); `draw` is in [0, 1)."""
        base = min(self.max_delay, self.initial_delay * self.multiplier ** (retry_number - 1))
        return base * (1 - self.jitter * draw)

    def delay(self, *, attempt: int, error: B2Error, elapsed: float, draw: float) -> float | None:
        """Seconds to wait after failed attempt number `attempt` (1-based), or None to give up."""
        if attempt >= self.max_attempts:
            return None
        if error.reauthorize:
            wait = 0.0
        elif error.retry_after is not None:
            wait = error.retry_after
        else:
            wait = self.backoff(attempt, draw)
        if elapsed + wait > self.max_total:
            return None
        return wait


@dataclass
class Retrier:
    """Runs an attempt function until it succeeds, `retry_on` declines, or the policy gives up."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep
    random: Random = _random.random
    on_retry: Callable[[B2Error], None] = lambda _error: None

    async def run(
        self, attempt: Callable[[], Awaitable[T]], *, retry_on: Callable[[B2Error], bool]
    ) -> T:
        start = self.clock()
        number = 0
        while True:
            number += 1
            try:
                return await attempt()
            except B2Error as error:
                if not retry_on(error):
                    raise
                wait = self.policy.delay(
                    attempt=number,
                    error=error,
                    elapsed=self.clock() - start,
                    draw=self.random(),
                )
                if wait is None:
                    raise
                self.on_retry(error)
                if wait > 0:
                    await self.sleep(wait)
