"""Everything a handler needs: the emulator's state, and one call's parsed context."""

from __future__ import annotations

import random
from dataclasses import dataclass

from aiohttp import web

from gateway.emulator.auth import AccountGrant, Tokens
from gateway.emulator.errors import B2Error, bad_bucket_id
from gateway.emulator.faults import Fault, Faults
from gateway.emulator.models import AppKey, Bucket
from gateway.emulator.params import Params
from gateway.emulator.settings import EmulatorSettings
from gateway.emulator.store import Store
from gateway.emulator.views import View

STATE_KEY: web.AppKey[EmulatorState] = web.AppKey("b2_emulator_state")
FAULT_KEY: web.RequestKey[Fault] = web.RequestKey("b2_emulator_fault", Fault)
TEST_MODE_HEADER = "X-Bz-Test-Mode"


@dataclass
class EmulatorState:
    settings: EmulatorSettings
    store: Store
    tokens: Tokens
    faults: Faults
    rng: random.Random
    account_id: str
    keys: dict[str, AppKey]  # key id -> key, mirrored from the store

    def now_ms(self) -> int:
        return int(self.settings.clock() * 1000)

    async def bucket(self, bucket_id: str) -> Bucket:
        bucket = await self.store.meta(lambda db: db.get_bucket(bucket_id))
        if bucket is None:
            raise bad_bucket_id(bucket_id)
        return bucket


@dataclass(frozen=True)
class Call:
    """One B2 API call: which one, under which version, with which parameters."""

    request: web.Request
    state: EmulatorState
    endpoint: str
    api_version: int
    params: Params

    @property
    def base_url(self) -> str:
        # Echo the Host the client used, so a client that reached us by any name keeps working.
        return f"{self.request.scheme}://{self.request.host}"

    @property
    def account_id(self) -> str:
        return self.state.account_id

    def drops(self, mode: str) -> bool:
        """Whether an injected fault asks this call to drop its connection in ``mode``."""
        fault = self.request.get(FAULT_KEY)
        return fault is not None and fault.drop == mode

    def token(self) -> str | None:
        return self.request.headers.get("Authorization") or self.request.query.get("Authorization")

    def account(self, capability: str | None = None) -> AccountGrant:
        token = self.token()
        if token and self.state.faults.should_expire_token(
            self.request.headers.get(TEST_MODE_HEADER)
        ):
            self.state.tokens.expire_account(token)
        grant = self.state.tokens.account(token)
        if capability is not None:
            grant.require(capability)
        return grant

    def view(self, who: AccountGrant | AppKey) -> View:
        key = who.key if isinstance(who, AccountGrant) else who
        return View(self.account_id, self.api_version, frozenset(key.capabilities))

    def check_account_id(self, required: bool = True) -> None:
        account_id = self.params.str_or_none("accountId")
        if account_id is None and required:
            raise B2Error(400, "bad_request", "required field accountId is missing")
        if account_id is not None and account_id != self.state.account_id:
            raise B2Error(401, "unauthorized", "accountId does not match the authorization")

    async def bucket_for(self, grant: AccountGrant, bucket_id: str) -> Bucket:
        grant.require_bucket(bucket_id)
        return await self.state.bucket(bucket_id)
