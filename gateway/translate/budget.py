"""A ceiling on the request bytes held in memory at once across all requests.

Bodies small enough to buffer are held whole so B2 failures can be retried, but 200 concurrent
8 MiB PUTs would hold 1.6 GB. Each buffered body takes its length from one shared budget first;
when the budget is spent the body streams instead (no in-gateway retry, still correct), so
memory stays bounded whatever the concurrency.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_BUFFER_BUDGET_BYTES = 256 * 1024 * 1024


class ByteBudget:
    """Bytes handed out and returned; never more than ``limit`` out at once. Not thread-safe:
    it lives on the event loop."""

    def __init__(self, limit: int = DEFAULT_BUFFER_BUDGET_BYTES) -> None:
        if limit < 0:
            raise ValueError("a byte budget cannot be negative")
        self.limit = limit
        self.held = 0
        self.refusals = 0  # bodies that streamed because the budget was spent

    @contextmanager
    def hold(self, size: int) -> Iterator[bool]:
        """Yields whether ``size`` bytes could be reserved; they are returned when the block
        ends. A refused reservation reserves nothing."""
        granted = self.held + size <= self.limit
        if not granted:
            self.refusals += 1
            yield False
            return
        self.held += size
        try:
            yield True
        finally:
            self.held -= size
