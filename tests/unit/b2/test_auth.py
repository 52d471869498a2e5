from __future__ import annotations

import asyncio

import pytest

from gateway.b2.auth import Authorizer
from gateway.b2.errors import UnauthorizedError
from gateway.b2.models import AccountAuthorization, Allowed


def _authorization(n: int) -> AccountAuthorization:
    return AccountAuthorization(
        account_id="acct",
        authorization_token=f"token-{n}",
        api_url="http://api",
        download_url="http://dl",
        recommended_part_size=100,
        absolute_minimum_part_size=5,
        allowed=Allowed(capabilities=(), buckets=None, name_prefix=None),
    )


class FakeAuthorize:
    def __init__(self, *, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self) -> AccountAuthorization:
        self.calls += 1
        await self.gate.wait()
        if self.fail:
            raise UnauthorizedError("bad keys", status=401, code="unauthorized")
        return _authorization(self.calls)


async def test_authorizer_caches_the_token() -> None:
    authorize = FakeAuthorize()
    auth = Authorizer(authorize, clock=lambda: 0.0, refresh_after=100)
    first, second = await auth.current(), await auth.current()
    assert first is second
    assert authorize.calls == 1


async def test_reauthorize_burst_of_50_runs_one_authorization() -> None:
    authorize = FakeAuthorize()
    auth = Authorizer(authorize, clock=lambda: 0.0, refresh_after=100)
    stale = await auth.current()
    authorize.gate.clear()
    waiters = [asyncio.create_task(auth.reauthorize(stale)) for _ in range(50)]
    await asyncio.sleep(0)
    authorize.gate.set()
    states = await asyncio.gather(*waiters)
    assert authorize.calls == 2
    assert {s.authorization.authorization_token for s in states} == {"token-2"}


async def test_reauthorize_after_someone_else_refreshed_reuses_theirs() -> None:
    authorize = FakeAuthorize()
    auth = Authorizer(authorize, clock=lambda: 0.0, refresh_after=100)
    stale = await auth.current()
    fresh = await auth.reauthorize(stale)
    again = await auth.reauthorize(stale)  # a late caller still holding the old state
    assert again is fresh
    assert authorize.calls == 2


async def test_authorizer_refreshes_proactively_after_refresh_after() -> None:
    now = [0.0]
    authorize = FakeAuthorize()
    auth = Authorizer(authorize, clock=lambda: now[0], refresh_after=100)
    first = await auth.current()
    now[0] = 99.0
    assert await auth.current() is first
    now[0] = 100.0
    second = await auth.current()
    assert second is not first
    assert second.authorization.authorization_token == "token-2"


async def test_authorizer_bad_keys_fail_a_burst_once() -> None:
    authorize = FakeAuthorize(fail=True)
    auth = Authorizer(authorize, clock=lambda: 0.0, refresh_after=100)
    authorize.gate.clear()
    waiters = [asyncio.create_task(auth.current()) for _ in range(20)]
    await asyncio.sleep(0)
    authorize.gate.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, UnauthorizedError) for r in results)
    assert authorize.calls == 1


async def test_authorizer_cancelled_waiter_does_not_cancel_the_flight() -> None:
    authorize = FakeAuthorize()
    auth = Authorizer(authorize, clock=lambda: 0.0, refresh_after=100)
    authorize.gate.clear()
    cancelled = asyncio.create_task(auth.current())
    patient = asyncio.create_task(auth.current())
    await asyncio.sleep(0)
    cancelled.cancel()
    authorize.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert (await patient).authorization.authorization_token == "token-1"
    assert authorize.calls == 1
