"""``s3-b2-gateway check-config``: is a configuration usable, before it is deployed?

Loads the settings and credentials exactly as ``serve`` does (file, then environment), then
authorises every B2 key with B2 and, for a key restricted to buckets, checks that each of those
buckets is visible with it. Prints one line per finding and never a secret (key ids only).

Exit codes: 0 usable, 1 the configuration is invalid, 2 B2 refused a key or was unreachable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import aiohttp

from gateway.b2 import AccountAuthorization, B2Client, RetryPolicy
from gateway.b2.errors import B2Error, UnauthorizedError
from gateway.b2.session import DEFAULT_TIMEOUT
from gateway.config import (
    B2Key,
    ConfigError,
    CredentialStore,
    Identity,
    ServeSettings,
    load_credentials,
    load_serve_settings,
)

OK, INVALID, B2_REFUSED = 0, 1, 2
KEY_TIMEOUT_SECONDS = 60.0  # per key: authorisation and bucket look-ups, retries included
# A check answers quickly: one retry for a transient failure, not serve's patient schedule.
_RETRIES = RetryPolicy(max_attempts=2, initial_delay=1.0, max_total=30.0)


@dataclass(frozen=True)
class Finding:
    """One line of the report; ``problem`` findings make the check fail."""

    message: str
    problem: bool = False


def check_config(config: Path | None, environ: Mapping[str, str], out: TextIO) -> int:
    """Check the configuration ``serve --config config`` would use; report to ``out``."""
    try:
        settings = load_serve_settings(config, environ, {})
        credentials = load_credentials(config, environ)
        _check_files(settings)
    except ConfigError as exc:
        out.write(f"invalid configuration: {exc}\n")
        return INVALID
    out.write(f"configuration: {config if config is not None else '(environment only)'}\n")
    if not credentials.identities:
        out.write(
            "ok: no B2 credentials, so serve runs the embedded B2 emulator "
            f"(data in {settings.data_dir})\n"
        )
        return OK
    out.write(f"B2 realm: {settings.realm_url}\n")
    for identity in credentials.identities.values():
        scope = ", ".join(sorted(identity.buckets)) if identity.buckets else "all buckets"
        out.write(
            f"S3 access key {identity.access_key_id} -> B2 key {identity.b2_key.key_id} ({scope})\n"
        )
    findings = asyncio.run(check_keys(settings.realm_url, credentials))
    for finding in findings:
        out.write(f"{'FAIL' if finding.problem else 'ok'}: {finding.message}\n")
    return B2_REFUSED if any(f.problem for f in findings) else OK


def _check_files(settings: ServeSettings) -> None:
    for path in (settings.tls_cert, settings.tls_key):
        if path is not None and not path.is_file():
            raise ConfigError(f"TLS file {path} does not exist")


async def check_keys(realm_url: str, credentials: CredentialStore) -> list[Finding]:
    """Authorise each distinct B2 key once and check what its S3 identities expect of it."""
    by_key: dict[str, tuple[B2Key, list[Identity]]] = {}
    for identity in credentials.identities.values():
        by_key.setdefault(identity.b2_key.key_id, (identity.b2_key, []))[1].append(identity)
    findings: list[Finding] = []
    async with aiohttp.ClientSession(auto_decompress=False, timeout=DEFAULT_TIMEOUT) as session:
        for key, identities in by_key.values():
            client = B2Client(
                realm_url,
                key.key_id,
                key.application_key,
                session=session,
                retry_policy=_RETRIES,
            )
            try:
                async with asyncio.timeout(KEY_TIMEOUT_SECONDS):
                    findings += await _check_key(client, key, identities)
            except UnauthorizedError as exc:
                findings.append(Finding(f"B2 refused key {key.key_id}: {exc}", problem=True))
            except (B2Error, aiohttp.ClientError, OSError, TimeoutError) as exc:
                reason = str(exc) or type(exc).__name__
                findings.append(
                    Finding(f"B2 unreachable at {realm_url} for key {key.key_id}: {reason}", True)
                )
            finally:
                await client.close()
    return findings


async def _check_key(client: B2Client, key: B2Key, identities: list[Identity]) -> list[Finding]:
    await client.open()
    account = await client.account()
    findings = [Finding(f"B2 key {key.key_id} authorised ({_describe(account)})")]
    allowed = account.allowed.buckets
    if allowed is None:
        return findings
    visible: set[str] = set()
    for bucket in allowed:
        if bucket.bucket_name is None:
            findings.append(
                Finding(
                    f"B2 key {key.key_id} is restricted to bucket id {bucket.bucket_id}, "
                    "which no longer exists",
                    problem=True,
                )
            )
        elif await client.get_bucket(bucket.bucket_name) is None:
            findings.append(
                Finding(
                    f"B2 key {key.key_id} cannot see its bucket {bucket.bucket_name}", problem=True
                )
            )
        else:
            visible.add(bucket.bucket_name)
    for identity in identities:
        outside = sorted((identity.buckets or frozenset()) - visible)
        if outside:
            findings.append(
                Finding(
                    f"S3 access key {identity.access_key_id} lists buckets its B2 key cannot "
                    f"reach: {', '.join(outside)}",
                    problem=True,
                )
            )
    return findings


def _describe(account: AccountAuthorization) -> str:
    allowed = account.allowed
    parts = [f"capabilities: {', '.join(allowed.capabilities) or 'none'}"]
    if allowed.buckets is not None:
        names = [b.bucket_name or f"(deleted {b.bucket_id})" for b in allowed.buckets]
        parts.append(f"buckets: {', '.join(names)}")
    if allowed.name_prefix:
        parts.append(f"name prefix: {allowed.name_prefix}")
    return "; ".join(parts)
