"""Composition root: B2 clients, the S3 front door, the metrics listener and, with no B2
credentials configured, the embedded emulator. Nothing else in ``gateway`` wires parts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

from gateway.b2 import B2Client
from gateway.b2.errors import UnauthorizedError
from gateway.b2.session import DEFAULT_TIMEOUT
from gateway.b2.stats import ClientStatsSnapshot, OnCall
from gateway.config import B2Key, ConfigError, CredentialStore, Identity, ServeSettings
from gateway.emulator.server import EmulatorSettings, RunningEmulator, start_emulator
from gateway.log import log_access, register_secrets
from gateway.metrics import B2Reachability, GatewayMetrics, build_metrics_app
from gateway.observe import RequestObserver
from gateway.s3.http import SERVER_SETTINGS, S3Frontend, build_app
from gateway.s3.sigv2 import SigV2Verifier
from gateway.s3.sigv4 import SigV4Verifier
from gateway.shutdown import CUT_OFF_SECONDS, InFlight, stop_serving
from gateway.tls import CertificatePaths, ensure_self_signed, server_context
from gateway.translate.budget import ByteBudget
from gateway.translate.context import Context
from gateway.translate.dispatch import build_handlers

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 5.0


class ClientPool:
    """One B2 client per B2 key (several S3 identities may share a key), one HTTP session."""

    def __init__(self, realm_url: str, on_call: OnCall) -> None:
        self._realm_url = realm_url
        self._on_call = on_call
        self._session = aiohttp.ClientSession(auto_decompress=False, timeout=DEFAULT_TIMEOUT)
        self._clients: dict[str, B2Client] = {}

    async def open(self, keys: Iterable[B2Key]) -> None:
        """Authorise every key now, so a wrong key fails at start-up, not on a request."""
        for key in keys:
            if key.key_id not in self._clients:
                client = B2Client(
                    self._realm_url,
                    key.key_id,
                    key.application_key,
                    session=self._session,
                    on_call=self._on_call,
                )
                try:
                    await client.open()
                except UnauthorizedError as exc:
                    raise ConfigError(f"Backblaze B2 refused key {key.key_id}: {exc}") from exc
                self._clients[key.key_id] = client

    async def client_for(self, identity: Identity) -> B2Client:
        return self._clients[identity.b2_key.key_id]

    def stats(self) -> list[ClientStatsSnapshot]:
        return [client.stats() for client in self._clients.values()]

    async def authorised(self) -> bool:
        """Every key holds an authorisation younger than the client's refresh age (normally
        cached: a B2 call only when it is due for renewal)."""
        try:
            async with asyncio.timeout(READY_TIMEOUT_SECONDS):
                for client in self._clients.values():
                    await client.account()
        except Exception:  # any failure means "not ready"
            return False
        return bool(self._clients)

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        await self._session.close()


@dataclass
class RunningGateway:
    http_url: str
    https_url: str | None
    metrics_url: str | None
    ca_bundle: Path | None  # the self-signed certificate clients should trust
    credentials: CredentialStore = field(repr=False)
    embedded: bool
    _runners: list[web.AppRunner] = field(repr=False)
    _pool: ClientPool = field(repr=False)
    _emulator: RunningEmulator | None = field(repr=False)
    _reachability: B2Reachability = field(repr=False, default_factory=B2Reachability)
    draining: bool = False  # set first on shutdown: readiness fails while requests finish
    _in_flight: InFlight = field(repr=False, default_factory=InFlight)
    shutdown_grace_seconds: float = 30.0

    async def ready(self) -> bool:
        return await self.unready_reason() is None

    async def unready_reason(self) -> str | None:
        """Why the gateway should get no traffic now, or None when it should."""
        if self.draining:
            return "draining"
        if not self._reachability.reachable():
            return "B2 unreachable"
        if not await self._pool.authorised():
            return "B2 not authorised"
        return None

    async def close(self) -> None:
        """Not ready first, then the S3 listener drains (see gateway.shutdown), then the rest."""
        self.draining = True
        s3_runner, *others = self._runners
        await stop_serving(s3_runner, self._in_flight, self.shutdown_grace_seconds)
        for runner in others:
            await runner.cleanup()
        await self._pool.close()
        if self._emulator is not None:
            await self._emulator.close()


def _display_host(host: str) -> str:
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - only to print a usable URL
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


async def _start_site(
    runner: web.AppRunner, host: str, port: int, ssl_context: object | None = None
) -> int:
    before = set(map(tuple, runner.addresses))
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)  # type: ignore[arg-type]
    await site.start()
    bound = [a for a in runner.addresses if tuple(a) not in before]
    return int(bound[0][1])


async def _embedded(settings: ServeSettings) -> tuple[RunningEmulator, CredentialStore]:
    emulator = await start_emulator(
        EmulatorSettings(host="127.0.0.1", port=0, data_dir=settings.data_dir / "b2")
    )
    key = B2Key(emulator.key_id, emulator.key)
    return emulator, CredentialStore({key.key_id: Identity(key.key_id, key.application_key, key)})


async def _s3_runner(frontend: S3Frontend) -> tuple[web.AppRunner, InFlight]:
    """The S3 app, its requests tracked so that shutdown can drain them."""
    app = build_app(frontend)
    in_flight = InFlight()
    in_flight.attach(app)
    runner = web.AppRunner(
        app, access_log=None, shutdown_timeout=CUT_OFF_SECONDS, **SERVER_SETTINGS
    )
    await runner.setup()
    return runner, in_flight


def _secrets(credentials: CredentialStore) -> list[str]:
    identities = credentials.identities.values()
    return [i.secret_access_key for i in identities] + [
        i.b2_key.application_key for i in identities
    ]


async def start_gateway(settings: ServeSettings, credentials: CredentialStore) -> RunningGateway:
    """Start everything; with no credentials, the embedded emulator and its master key."""
    emulator: RunningEmulator | None = None
    realm_url = settings.realm_url
    if not credentials.identities:
        emulator, credentials = await _embedded(settings)
        realm_url = emulator.url
    metrics = GatewayMetrics()
    observer = RequestObserver(metrics, log_access)
    reachability = B2Reachability()

    def on_b2_call(endpoint: str, status: int, seconds: float) -> None:
        observer.on_b2_call(endpoint, status, seconds)
        reachability.on_b2_call(endpoint, status, seconds)

    register_secrets(_secrets(credentials))
    pool = ClientPool(realm_url, on_b2_call)
    metrics.watch_b2_clients(pool.stats)
    runners: list[web.AppRunner] = []
    gateway: RunningGateway | None = None
    try:
        await pool.open(identity.b2_key for identity in credentials.identities.values())
        ctx = Context(
            pool.client_for,
            region=settings.region,
            put_buffer_bytes=settings.put_buffer_bytes,
            b2_max_simple_bytes=settings.b2_max_simple_bytes,
            on_ignored_header=metrics.on_ignored_header,
            buffer_budget=ByteBudget(settings.buffer_budget_bytes),
        )
        frontend = S3Frontend(
            build_handlers(ctx),
            SigV4Verifier(
                credentials,
                region=settings.region,
                sigv2=(
                    SigV2Verifier(credentials, base_domains=settings.base_domains)
                    if settings.sigv2
                    else None
                ),
            ),
            base_domains=settings.base_domains,
            exchanges=observer.start,
            body_idle_timeout=settings.body_idle_timeout_seconds,
        )
        s3_runner, in_flight = await _s3_runner(frontend)
        runners.append(s3_runner)
        host = _display_host(settings.host)
        port = await _start_site(s3_runner, settings.host, settings.port)
        https_url, ca_bundle = None, None
        if settings.tls:
            if settings.tls_cert is not None and settings.tls_key is not None:
                paths = CertificatePaths(settings.tls_cert, settings.tls_key)
            else:
                paths = ensure_self_signed(settings.data_dir / "tls")
                ca_bundle = paths.cert
            tls_port = await _start_site(
                s3_runner, settings.host, settings.tls_port, server_context(paths)
            )
            https_url = f"https://{host}:{tls_port}"
        gateway = RunningGateway(
            f"http://{host}:{port}",
            https_url,
            None,
            ca_bundle,
            credentials,
            emulator is not None,
            runners,
            pool,
            emulator,
            reachability,
            _in_flight=in_flight,
            shutdown_grace_seconds=settings.shutdown_grace_seconds,
        )
        if settings.metrics_port is not None:
            metrics_runner = web.AppRunner(
                build_metrics_app(metrics, gateway.unready_reason), access_log=None
            )
            await metrics_runner.setup()
            runners.append(metrics_runner)
            metrics_port = await _start_site(metrics_runner, settings.host, settings.metrics_port)
            gateway.metrics_url = f"http://{host}:{metrics_port}"
    except BaseException:
        for runner in runners:
            await runner.cleanup()
        await pool.close()
        if emulator is not None:
            await emulator.close()
        raise
    return gateway
