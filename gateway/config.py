"""Configuration: frozen dataclasses built from a file, the environment and flags.

Imports nothing from the rest of ``gateway`` so every layer may depend on it.

Credentials. The gateway verifies SigV4 itself, so it must know every S3 secret. Two mappings:

* default: the S3 access key id *is* a B2 application key id and the S3 secret the B2 application
  key (what Backblaze's own S3 endpoint does), so existing configurations work unchanged;
* sidecar: a local S3 key pair is mapped to a B2 key that never leaves the gateway. Several S3
  identities may share one B2 key, and each may be limited to a set of buckets.

Sources, in order (the first to define an access key id wins): a TOML credentials file, then the
environment. The file looks like::

    [[b2_keys]]
    name = "main"                      # referenced by s3_identities
    key_id = "0041234..."
    application_key = "K004..."
    s3_access = true                   # default mapping: usable as an S3 key pair itself

    [[s3_identities]]
    access_key_id = "app-photos"
    secret_access_key = "a long random secret"
    b2_key = "main"
    buckets = ["photos"]               # optional; absent means every bucket the B2 key allows

Environment: ``B2_APPLICATION_KEY_ID`` + ``B2_APPLICATION_KEY`` (default mapping), and
optionally ``GATEWAY_S3_ACCESS_KEY_ID`` + ``GATEWAY_S3_SECRET_ACCESS_KEY`` (+ comma-separated
``GATEWAY_S3_BUCKETS``), a sidecar identity for the environment's B2 key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """The configuration is unusable; the message says where and why."""


@dataclass(frozen=True)
class B2Key:
    key_id: str
    application_key: str = field(repr=False)


@dataclass(frozen=True)
class Identity:
    """One S3 key pair and the B2 key its requests are made with."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    b2_key: B2Key
    buckets: frozenset[str] | None = None  # None: every bucket the B2 key may reach

    def allows_bucket(self, bucket: str) -> bool:
        return self.buckets is None or bucket in self.buckets


@dataclass(frozen=True)
class CredentialStore:
    identities: Mapping[str, Identity] = field(default_factory=dict)

    def secret_for(self, access_key_id: str) -> Identity | None:
        return self.identities.get(access_key_id)

    def merged_with(self, later: CredentialStore) -> CredentialStore:
        """Earlier sources win: ``later`` only adds access key ids not defined yet."""
        return CredentialStore({**later.identities, **self.identities})


def load_credentials(path: Path | None, environ: Mapping[str, str]) -> CredentialStore:
    """The credentials file (if any) first, then the environment."""
    store = CredentialStore()
    if path is not None:
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        store = credentials_from_document(document, source=str(path))
    return store.merged_with(credentials_from_environment(environ))


def credentials_from_document(document: Mapping[str, Any], *, source: str) -> CredentialStore:
    keys: dict[str, B2Key] = {}
    identities: dict[str, Identity] = {}
    for index, entry in enumerate(_tables(document, "b2_keys", source)):
        where = f"{source}: b2_keys[{index}]"
        key = B2Key(_string(entry, "key_id", where), _string(entry, "application_key", where))
        name = _string(entry, "name", where) if "name" in entry else key.key_id
        if name in keys:
            raise ConfigError(f"{where}: duplicate name {name!r}")
        keys[name] = key
        if entry.get("s3_access", True):
            _add(identities, Identity(key.key_id, key.application_key, key), where)
    for index, entry in enumerate(_tables(document, "s3_identities", source)):
        where = f"{source}: s3_identities[{index}]"
        b2_name = _string(entry, "b2_key", where)
        if b2_name not in keys:
            raise ConfigError(f"{where}: unknown b2_key {b2_name!r}")
        buckets = entry.get("buckets")
        if buckets is not None and not (
            isinstance(buckets, list) and all(isinstance(b, str) and b for b in buckets)
        ):
            raise ConfigError(f"{where}: buckets must be a list of bucket names")
        identity = Identity(
            _string(entry, "access_key_id", where),
            _string(entry, "secret_access_key", where),
            keys[b2_name],
            None if buckets is None else frozenset(buckets),
        )
        _add(identities, identity, where)
    return CredentialStore(identities)


def credentials_from_environment(environ: Mapping[str, str]) -> CredentialStore:
    key_id, app_key = environ.get("B2_APPLICATION_KEY_ID"), environ.get("B2_APPLICATION_KEY")
    if not key_id or not app_key:
        return CredentialStore()
    key = B2Key(key_id, app_key)
    identities = {key_id: Identity(key_id, app_key, key)}
    s3_id = environ.get("GATEWAY_S3_ACCESS_KEY_ID")
    s3_secret = environ.get("GATEWAY_S3_SECRET_ACCESS_KEY")
    if bool(s3_id) != bool(s3_secret):
        raise ConfigError(
            "environment: GATEWAY_S3_ACCESS_KEY_ID and GATEWAY_S3_SECRET_ACCESS_KEY go together"
        )
    if s3_id and s3_secret:
        names = [b.strip() for b in environ.get("GATEWAY_S3_BUCKETS", "").split(",") if b.strip()]
        buckets = frozenset(names) if names else None
        identities[s3_id] = Identity(s3_id, s3_secret, key, buckets)
    return CredentialStore(identities)


def _tables(document: Mapping[str, Any], name: str, source: str) -> list[Mapping[str, Any]]:
    tables = document.get(name, [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{source}: {name} must be an array of tables ([[{name}]])")
    return tables


def _string(entry: Mapping[str, Any], name: str, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: {name} must be a non-empty string")
    return value


def _add(identities: dict[str, Identity], identity: Identity, where: str) -> None:
    if identity.access_key_id in identities:
        raise ConfigError(f"{where}: access key id {identity.access_key_id!r} is defined twice")
    identities[identity.access_key_id] = identity


# --- serve settings ---------------------------------------------------------------------------

DEFAULT_REALM = "https://api.backblazeb2.com"


@dataclass(frozen=True)
class ServeSettings:
    """How ``s3-b2-gateway serve`` runs. Sources, later wins: defaults, the config file's
    ``[server]`` table, ``GATEWAY_*`` environment variables (and ``B2_ENVIRONMENT``), flags."""

    host: str = "127.0.0.1"
    port: int = 8080
    tls: bool = False  # also serve HTTPS on tls_port
    tls_port: int = 8443
    tls_cert: Path | None = None  # None with tls: a self-signed certificate in data_dir
    tls_key: Path | None = None
    metrics_port: int | None = None  # None: no metrics/health listener
    data_dir: Path = Path("s3-b2-gateway-data")
    region: str = "us-east-1"
    base_domains: tuple[str, ...] = ()  # virtual-host style: <bucket>.<base domain>
    realm_url: str = DEFAULT_REALM
    put_buffer_bytes: int = 8 * 1024 * 1024
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one object per line (gateway.log)
    # B2's limit for one upload or copy; larger objects become B2 large files. Lowered in tests.
    b2_max_simple_bytes: int = 5_000_000_000
    # On SIGTERM/SIGINT: how long in-flight requests may take to finish before they are cut off.
    shutdown_grace_seconds: float = 30.0
    # Accept AWS Signature Version 2 (the legacy presigned URLs of boto3, awscli v1, s3cmd).
    sigv2: bool = True
    # Request bodies held in memory at once, across all requests; past it, bodies stream.
    buffer_budget_bytes: int = 256 * 1024 * 1024
    # A request body that goes this long without a byte ends in RequestTimeout (as S3).
    body_idle_timeout_seconds: float = 30.0


_SERVE_ENV: Mapping[str, str] = {
    "GATEWAY_HOST": "host",
    "GATEWAY_PORT": "port",
    "GATEWAY_TLS": "tls",
    "GATEWAY_TLS_PORT": "tls_port",
    "GATEWAY_TLS_CERT": "tls_cert",
    "GATEWAY_TLS_KEY": "tls_key",
    "GATEWAY_METRICS_PORT": "metrics_port",
    "GATEWAY_DATA_DIR": "data_dir",
    "GATEWAY_REGION": "region",
    "GATEWAY_BASE_DOMAINS": "base_domains",
    "B2_ENVIRONMENT": "realm_url",
    "GATEWAY_PUT_BUFFER_BYTES": "put_buffer_bytes",
    "GATEWAY_LOG_LEVEL": "log_level",
    "GATEWAY_LOG_FORMAT": "log_format",
    "GATEWAY_SHUTDOWN_GRACE_SECONDS": "shutdown_grace_seconds",
    "GATEWAY_SIGV2": "sigv2",
    "GATEWAY_BUFFER_BUDGET_BYTES": "buffer_budget_bytes",
    "GATEWAY_BODY_IDLE_TIMEOUT_SECONDS": "body_idle_timeout_seconds",
}


_NUMBERS: Mapping[str, type[int] | type[float]] = {
    "port": int,
    "tls_port": int,
    "metrics_port": int,
    "put_buffer_bytes": int,
    "shutdown_grace_seconds": float,
    "buffer_budget_bytes": int,
    "body_idle_timeout_seconds": float,
}


def _serve_value(name: str, value: object, where: str) -> object:
    """Convert one setting from TOML or environment text to its field's type."""
    try:
        if name in _NUMBERS:
            kind = _NUMBERS[name]
            number = kind(value) if isinstance(value, int | str | kind) else -1
            if number >= 0:
                return number
        if name in ("tls", "sigv2"):
            if isinstance(value, bool):
                return value
            return str(value).strip().lower() in ("1", "true", "yes", "on")
        if name in ("tls_cert", "tls_key", "data_dir"):
            return Path(str(value))
        if name == "base_domains":
            items = value if isinstance(value, list) else str(value).split(",")
            return tuple(str(d).strip() for d in items if str(d).strip())
        if isinstance(value, str) and value and name not in _NUMBERS:
            return value
    except ValueError:
        pass
    raise ConfigError(f"{where}: invalid value {value!r} for {name}")


def load_serve_settings(
    path: Path | None, environ: Mapping[str, str], flags: Mapping[str, object]
) -> ServeSettings:
    """``flags`` holds only the options given on the command line (already typed)."""
    values: dict[str, object] = {}
    if path is not None:
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        table = document.get("server", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [server] must be a table")
        known = ServeSettings.__dataclass_fields__
        for name, value in table.items():
            if name not in known:
                raise ConfigError(f"{path}: [server] has no setting {name!r}")
            values[name] = _serve_value(name, value, f"{path}: [server]")
    for variable, name in _SERVE_ENV.items():
        if environ.get(variable):
            values[name] = _serve_value(name, environ[variable], f"environment: {variable}")
    values.update(flags)
    settings = ServeSettings(**values)  # type: ignore[arg-type]
    if (settings.tls_cert is None) != (settings.tls_key is None):
        raise ConfigError("tls_cert and tls_key go together")
    if settings.body_idle_timeout_seconds <= 0:
        raise ConfigError("body_idle_timeout_seconds must be above 0")
    return settings
