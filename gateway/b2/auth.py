"""The account token: cached, refreshed before it expires, re-obtained once for many callers.

B2 account tokens live at most 24 h and can be revoked sooner (`expired_auth_token`). When a burst
of calls all find the token dead, exactly one `b2_authorize_account` runs and every caller shares
its outcome, success or failure, so bad keys fail each burst once instead of looping.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gateway.b2.models import AccountAuthorization
from gateway.b2.retry import Clock


@dataclass(frozen=True, eq=False)
class AuthState:
    """One authorisation; compared by identity so a caller can say which one failed for it."""

    authorization: AccountAuthorization
    obtained_at: float


class Authorizer:
    def __init__(
        self,
        authorize: Callable[[], Awaitable[AccountAuthorization]],
        *,
        clock: Clock,
        refresh_after: float,
        on_authorize: Callable[[], None] = lambda: None,
    ) -> None:
        self._authorize = authorize
        self._clock = clock
        self._refresh_after = refresh_after
        self._on_authorize = on_authorize
        self._state: AuthState | None = None
        self._inflight: asyncio.Future[AuthState] | None = None

    async def current(self) -> AuthState:
        """The cached authorisation, obtaining a new one first if there is none or it is old."""
        state = self._state
        if state is None or self._clock() - state.obtained_at >= self._refresh_after:
            return await self._refresh()
        return state

    async def reauthorize(self, failed: AuthState) -> AuthState:
        """Replace `failed` (a token B2 refused); if someone already replaced it, use theirs."""
        if self._state is not failed and self._state is not None:
            return self._state
        return await self._refresh()

    async def _refresh(self) -> AuthState:
        if self._inflight is None:
            self._inflight = asyncio.ensure_future(self._authorize_once())
            self._inflight.add_done_callback(self._flight_done)
        # shield: one cancelled caller must not cancel the authorisation the others wait for.
        return await asyncio.shield(self._inflight)

    async def _authorize_once(self) -> AuthState:
        self._on_authorize()
        authorization = await self._authorize()
        state = AuthState(authorization, self._clock())
        self._state = state
        return state

    def _flight_done(self, flight: asyncio.Future[AuthState]) -> None:
        self._inflight = None
        # Mark the outcome retrieved: if every waiter was cancelled nobody else will look at it.
        if not flight.cancelled():
            with contextlib.suppress(Exception):
                flight.exception()
