"""Application keys and the tokens minted from them: account, upload and download tokens.

Tokens live in memory only: after a restart clients get ``bad_auth_token`` and re-authorize,
exactly what they do when the real service rotates tokens. Keys are persisted by the store.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from gateway.emulator.errors import B2Error, unauthorized
from gateway.emulator.ids import new_token
from gateway.emulator.models import AppKey, Bucket


@dataclass(frozen=True)
class AccountGrant:
    key: AppKey
    expires_at: float

    def require(self, capability: str) -> None:
        if capability not in self.key.capabilities:
            raise unauthorized(f"application key does not have capability {capability}")

    def require_bucket(self, bucket_id: str) -> None:
        if self.key.bucket_ids is not None and bucket_id not in self.key.bucket_ids:
            raise unauthorized(f"application key is not valid for bucket {bucket_id}")

    def require_name(self, name: str) -> None:
        prefix = self.key.name_prefix
        if prefix and not name.startswith(prefix):
            raise unauthorized(f"application key is restricted to names starting with {prefix}")


@dataclass
class UploadGrant:
    """An upload URL's token: one target (bucket or large file), one upload at a time."""

    key: AppKey
    target_id: str
    expires_at: float
    busy: bool = False


@dataclass(frozen=True)
class DownloadGrant:
    bucket_id: str
    prefix: str
    expires_at: float
    overrides: dict[str, str] = field(default_factory=dict)


class Tokens:
    def __init__(
        self,
        *,
        clock: Callable[[], float],
        rng: random.Random,
        account_ttl: float,
        upload_ttl: float,
    ) -> None:
        self._clock = clock
        self._rng = rng
        self._account_ttl = account_ttl
        self._upload_ttl = upload_ttl
        self._accounts: dict[str, AccountGrant] = {}
        self._uploads: dict[str, UploadGrant] = {}
        self._downloads: dict[str, DownloadGrant] = {}
        self._revoked_keys: set[str] = set()

    def issue_account(self, key: AppKey) -> str:
        token = new_token(self._rng, "4_acct")
        self._accounts[token] = AccountGrant(key, self._clock() + self._account_ttl)
        return token

    def issue_upload(self, key: AppKey, target_id: str) -> str:
        token = new_token(self._rng, "4_upld")
        self._uploads[token] = UploadGrant(key, target_id, self._clock() + self._upload_ttl)
        return token

    def issue_download(self, grant: DownloadGrant) -> str:
        token = new_token(self._rng, "4_dnld")
        self._downloads[token] = grant
        return token

    def account(self, token: str | None) -> AccountGrant:
        grant = self._accounts.get(_present(token))
        if grant is None or grant.key.key_id in self._revoked_keys:
            raise B2Error(401, "bad_auth_token", "Invalid authorization token")
        if self._clock() >= grant.expires_at:
            raise B2Error(401, "expired_auth_token", "Authorization token has expired")
        return grant

    def upload(self, token: str | None, target_id: str) -> UploadGrant:
        grant = self._uploads.get(_present(token))
        if grant is None or grant.target_id != target_id or grant.key.key_id in self._revoked_keys:
            raise B2Error(401, "bad_auth_token", "Invalid upload authorization token")
        if self._clock() >= grant.expires_at:
            raise B2Error(401, "expired_auth_token", "Upload authorization token has expired")
        return grant

    def download(self, token: str) -> DownloadGrant | None:
        """A download authorization's grant; raises if it expired, None if unknown."""
        grant = self._downloads.get(token)
        if grant is not None and self._clock() >= grant.expires_at:
            raise B2Error(401, "expired_auth_token", "Download authorization has expired")
        return grant

    def expire_accounts(self) -> None:
        now = self._clock()
        self._accounts = {t: replace(g, expires_at=now) for t, g in self._accounts.items()}

    def expire_account(self, token: str) -> None:
        grant = self._accounts.get(token)
        if grant is not None:
            self._accounts[token] = replace(grant, expires_at=self._clock())

    def revoke_key(self, key_id: str) -> None:
        self._revoked_keys.add(key_id)


def _present(token: str | None) -> str:
    if not token:
        raise B2Error(401, "missing_auth_token", "Authorization header is missing")
    return token


def allowed_buckets(key: AppKey, buckets: dict[str, Bucket]) -> list[dict[str, str | None]] | None:
    """``allowed.buckets`` for v4: each restricted bucket with its name (null once deleted)."""
    if key.bucket_ids is None:
        return None
    return [
        {"id": bid, "name": buckets[bid].name if bid in buckets else None} for bid in key.bucket_ids
    ]
