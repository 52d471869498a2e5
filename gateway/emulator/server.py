"""Starting and stopping the emulator: programmatically (tests, embedded mode) or from the CLI."""

from __future__ import annotations

import asyncio
import random
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from gateway.emulator.app import build_app
from gateway.emulator.auth import Tokens
from gateway.emulator.faults import Faults
from gateway.emulator.ids import new_account_id, new_secret
from gateway.emulator.models import ALL_CAPABILITIES, AppKey
from gateway.emulator.settings import EmulatorSettings
from gateway.emulator.state import EmulatorState
from gateway.emulator.store import Store

__all__ = ["EmulatorSettings", "RunningEmulator", "run_from_cli", "start_emulator"]


@dataclass
class RunningEmulator:
    url: str  # realm / API base, e.g. "http://127.0.0.1:PORT"
    key_id: str  # the master application key
    key: str
    state: EmulatorState = field(repr=False)
    _runner: web.AppRunner = field(repr=False)

    _closed: bool = field(default=False, repr=False)

    async def close(self) -> None:
        """Stop serving and release the store; calling it again does nothing."""
        if self._closed:
            return
        self._closed = True
        await self._runner.cleanup()
        await self.state.store.close()


async def _master_key(store: Store, rng: random.Random) -> tuple[str, AppKey]:
    """The account id and master key: made on first start, then read back on every restart."""
    account_id = await store.meta(lambda db: db.set_setting_once("account_id", new_account_id(rng)))
    keys = await store.meta(lambda db: db.all_keys())
    master = next((k for k in keys if k.is_master), None)
    if master is None:
        master = AppKey(
            key_id=account_id,
            secret=new_secret(rng),
            name="master",
            capabilities=ALL_CAPABILITIES,
            is_master=True,
        )
        await store.meta(lambda db: db.put_key(master))
    return account_id, master


async def start_emulator(settings: EmulatorSettings) -> RunningEmulator:
    rng: random.Random = random.SystemRandom()
    if settings.seed is not None:
        rng = random.Random(settings.seed)  # noqa: S311 - reproducible ids for tests
    store = Store(settings.data_dir, rng)
    try:
        await store.recover()
        account_id, master = await _master_key(store, rng)
        keys = await store.meta(lambda db: db.all_keys())
        state = EmulatorState(
            settings=settings,
            store=store,
            tokens=Tokens(
                clock=settings.clock,
                rng=rng,
                account_ttl=settings.token_ttl_seconds,
                upload_ttl=settings.upload_token_ttl_seconds,
            ),
            faults=Faults(enabled=settings.faults, rng=rng),
            rng=rng,
            account_id=account_id,
            keys={k.key_id: k for k in keys},
        )
        runner = web.AppRunner(build_app(state), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
    except BaseException:
        await store.close()
        raise
    port = runner.addresses[0][1]
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "") else settings.host  # noqa: S104
    return RunningEmulator(f"http://{host}:{port}", master.key_id, master.secret, state, runner)


async def _serve(settings: EmulatorSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)  # before printing: callers signal right after
    emulator = await start_emulator(settings)
    try:
        sys.stdout.write(
            f"B2_APPLICATION_KEY_ID={emulator.key_id}\n"
            f"B2_APPLICATION_KEY={emulator.key}\n"
            f"B2_ENVIRONMENT={emulator.url}\n"
        )
        sys.stdout.flush()
        await stop.wait()
    finally:
        await emulator.close()


def run_from_cli(
    *,
    host: str,
    port: int,
    data_dir: str | None,
    faults: bool = False,
    token_ttl: float = 86400,
    in_memory: bool = False,
    absolute_minimum_part_size: int = 5_000_000,
    recommended_part_size: int = 100_000_000,
    encrypt_by_default: bool = False,
) -> int:
    settings = EmulatorSettings(
        host=host,
        port=port,
        data_dir=None if in_memory or data_dir is None else Path(data_dir),
        faults=faults,
        token_ttl_seconds=token_ttl,
        absolute_minimum_part_size=absolute_minimum_part_size,
        recommended_part_size=recommended_part_size,
        encrypt_by_default=encrypt_by_default,
    )
    asyncio.run(_serve(settings))
    return 0
