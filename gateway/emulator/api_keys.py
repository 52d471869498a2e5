"""b2_create_key, b2_delete_key, b2_list_keys: application keys with capability, bucket and
name-prefix restrictions (enforced by ``AccountGrant`` on every call)."""

from __future__ import annotations

import re

from gateway.emulator.errors import B2Error, bad_request
from gateway.emulator.ids import new_key_id, new_secret
from gateway.emulator.models import ALL_CAPABILITIES, AppKey
from gateway.emulator.rules import check_max_count
from gateway.emulator.state import Call
from gateway.emulator.views import JsonDict, key_json

_KEY_NAME = re.compile(r"[A-Za-z0-9-]{1,100}")
MAX_KEY_SECONDS = 86_400_000
DEFAULT_KEY_COUNT = 100
MAX_KEY_COUNT = 10_000


def _bucket_ids(call: Call) -> tuple[str, ...] | None:
    if call.api_version >= 4:
        ids = call.params.str_list_or_none("bucketIds")
        return None if ids is None else tuple(ids)
    single = call.params.str_or_none("bucketId")
    return None if single is None else (single,)


async def create_key(call: Call) -> JsonDict:
    grant = call.account("writeKeys")
    call.check_account_id()
    capabilities = call.params.str_list_or_none("capabilities")
    if not capabilities or any(c not in ALL_CAPABILITIES for c in capabilities):
        raise bad_request(f"Invalid capabilities: {capabilities}")
    name = call.params.text("keyName")
    if not _KEY_NAME.fullmatch(name):
        raise bad_request("keyName must be 1 to 100 letters, digits or '-'")
    duration = call.params.int_or_none("validDurationInSeconds")
    if duration is not None and not 1 <= duration <= MAX_KEY_SECONDS:
        raise bad_request(f"validDurationInSeconds out of range: {duration}")
    bucket_ids = _bucket_ids(call)
    for bucket_id in bucket_ids or ():
        grant.require_bucket(bucket_id)
        await call.state.bucket(bucket_id)
    key = AppKey(
        key_id=new_key_id(call.state.rng, call.account_id),
        secret=new_secret(call.state.rng),
        name=name,
        capabilities=tuple(capabilities),
        bucket_ids=bucket_ids if bucket_ids is not None else grant.key.bucket_ids,
        name_prefix=call.params.str_or_none("namePrefix"),
        expires_ms=None if duration is None else call.state.now_ms() + duration * 1000,
    )
    await call.state.store.meta(lambda db: db.put_key(key))
    call.state.keys[key.key_id] = key
    # The real v2 answer also carried an authorizationToken [obs auth_account.yaml]: a token
    # for the new key, so a client can use it without a separate authorize.
    return key_json(key, call.account_id, call.api_version) | {
        "applicationKey": key.secret,
        "authorizationToken": call.state.tokens.issue_account(key),
    }


async def delete_key(call: Call) -> JsonDict:
    call.account("deleteKeys")
    key_id = call.params.text("applicationKeyId")
    key = call.state.keys.get(key_id)
    if key is None or key.is_master:
        raise B2Error(400, "bad_request", f"Invalid applicationKeyId: {key_id}")
    await call.state.store.meta(lambda db: db.delete_key(key_id))
    del call.state.keys[key_id]
    call.state.tokens.revoke_key(key_id)
    return key_json(key, call.account_id, call.api_version)


async def list_keys(call: Call) -> JsonDict:
    call.account("listKeys")
    call.check_account_id()
    count = check_max_count(
        call.params.int_or_none("maxKeyCount"), DEFAULT_KEY_COUNT, MAX_KEY_COUNT, "maxKeyCount"
    )
    start = call.params.str_or_none("startApplicationKeyId") or ""
    keys = sorted(
        (
            k
            for k in call.state.keys.values()
            if not k.is_master
            and k.key_id >= start
            # Multi-bucket keys exist only from v4 on; older versions skip them.
            and (call.api_version >= 4 or k.bucket_ids is None or len(k.bucket_ids) == 1)
        ),
        key=lambda k: k.key_id,
    )
    page, rest = keys[:count], keys[count:]
    return {
        "keys": [key_json(k, call.account_id, call.api_version) for k in page],
        "nextApplicationKeyId": rest[0].key_id if rest else None,
    }
