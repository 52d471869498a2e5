"""b2_authorize_account."""

from __future__ import annotations

import base64
import binascii
import hmac

from gateway.emulator.auth import allowed_buckets
from gateway.emulator.errors import B2Error
from gateway.emulator.state import Call
from gateway.emulator.views import JsonDict, authorize_json


def _credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key_id, sep, secret = decoded.partition(":")
    return (key_id, secret) if sep else None


def _bad_credentials() -> B2Error:
    # What the real v2 service answered to bad Basic credentials [obs bad_auth_account.yaml].
    return B2Error(401, "bad_auth_token", "")


async def authorize_account(call: Call) -> JsonDict:
    credentials = _credentials(call.request.headers.get("Authorization"))
    if credentials is None:
        raise _bad_credentials()
    key_id, secret = credentials
    key = call.state.keys.get(key_id)
    if key is None and key_id == call.account_id:  # the account id stands in for the master key
        key = next((k for k in call.state.keys.values() if k.is_master), None)
    if key is None or not hmac.compare_digest(key.secret.encode(), secret.encode()):
        raise _bad_credentials()
    if key.expires_ms is not None and key.expires_ms <= call.state.now_ms():
        raise _bad_credentials()
    if key.bucket_ids is not None and len(key.bucket_ids) > 1 and call.api_version < 4:
        raise B2Error(401, "unsupported", "multi-bucket keys need API version v4")
    buckets = {b.bucket_id: b for b in await call.state.store.meta(lambda db: db.list_buckets())}
    settings = call.state.settings
    return authorize_json(
        api_version=call.api_version,
        account_id=call.account_id,
        token=call.state.tokens.issue_account(key),
        base_url=call.base_url,
        key=key,
        allowed_buckets=allowed_buckets(key, buckets),
        recommended_part_size=settings.recommended_part_size,
        absolute_minimum_part_size=settings.absolute_minimum_part_size,
    )
