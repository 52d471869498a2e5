"""b2_create_bucket, b2_list_buckets, b2_update_bucket, b2_delete_bucket."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gateway.emulator.errors import B2Error, bad_request, unauthorized
from gateway.emulator.ids import new_bucket_id
from gateway.emulator.models import Bucket
from gateway.emulator.params import Params
from gateway.emulator.rules import check_bucket_name
from gateway.emulator.state import Call
from gateway.emulator.views import JsonDict, bucket_json

CREATABLE_TYPES = ("allPublic", "allPrivate")
LISTABLE_TYPES = ("allPublic", "allPrivate", "snapshot", "shared", "restricted")
DEFAULT_LISTED_TYPES = ("allPublic", "allPrivate", "snapshot")


def _bucket_type(value: str) -> str:
    if value not in CREATABLE_TYPES:
        raise bad_request(f"Invalid bucketType: {value}")
    return value


def _sse_mode(params: Params) -> str | None:
    setting = params.dict_or_none("defaultServerSideEncryption")
    if setting is None or setting.get("mode") in (None, "none"):
        return None
    if setting.get("mode") != "SSE-B2" or setting.get("algorithm", "AES256") != "AES256":
        raise bad_request("defaultServerSideEncryption must be SSE-B2 with AES256, or none")
    return "SSE-B2"


def _apply_common(bucket: Bucket, params: Params) -> Bucket:
    changes: dict[str, Any] = {}
    if (info := params.dict_or_none("bucketInfo")) is not None:
        changes["info"] = info
    if (cors := params.list_or_none("corsRules")) is not None:
        changes["cors_rules"] = cors
    if (lifecycle := params.list_or_none("lifecycleRules")) is not None:
        changes["lifecycle_rules"] = lifecycle
    if params.has("defaultServerSideEncryption"):
        changes["sse_mode"] = _sse_mode(params)
    if (replication := params.dict_or_none("replicationConfiguration")) is not None:
        changes["replication"] = replication
    return replace(bucket, **changes)


async def create_bucket(call: Call) -> JsonDict:
    grant = call.account("writeBuckets")
    call.check_account_id()
    if grant.key.bucket_ids is not None:
        raise unauthorized("a key restricted to buckets cannot create buckets")
    name = check_bucket_name(call.params.text("bucketName"))
    bucket = Bucket(
        bucket_id=new_bucket_id(call.state.rng),
        name=name,
        bucket_type=_bucket_type(call.params.text("bucketType")),
    )
    if call.state.settings.encrypt_by_default:
        bucket = replace(bucket, sse_mode="SSE-B2")
    bucket = _apply_common(bucket, call.params)
    if call.params.bool_or_none("fileLockEnabled"):
        grant.require("writeBucketRetentions")
        bucket = replace(bucket, file_lock_enabled=True)
    limit = call.state.settings.max_buckets
    created = await call.state.store.meta(lambda db: db.create_bucket(bucket, limit))
    return bucket_json(created, call.view(grant))


async def list_buckets(call: Call) -> JsonDict:
    grant = call.account("listBuckets")
    call.check_account_id()
    bucket_id = call.params.str_or_none("bucketId")
    bucket_name = call.params.str_or_none("bucketName")
    types = _listed_types(call.params.str_list_or_none("bucketTypes"))
    buckets = await call.state.store.meta(lambda db: db.list_buckets())
    allowed = grant.key.bucket_ids
    if allowed is not None:
        named = [b.bucket_id for b in buckets if b.name == bucket_name]
        if bucket_id not in allowed and not set(named) & set(allowed):
            raise unauthorized("a key restricted to buckets must name one of them")
    selected = [
        b
        for b in buckets
        if b.bucket_type in types
        and (bucket_id is None or b.bucket_id == bucket_id)
        and (bucket_name is None or b.name == bucket_name)
        and (allowed is None or b.bucket_id in allowed)
    ]
    return {"buckets": [bucket_json(b, call.view(grant)) for b in selected]}


def _listed_types(requested: list[str] | None) -> tuple[str, ...]:
    if requested is None:
        return DEFAULT_LISTED_TYPES
    if requested == ["all"]:
        return LISTABLE_TYPES
    if not requested or "all" in requested:
        raise bad_request("bucketTypes must be ['all'] or a non-empty list of bucket types")
    for bucket_type in requested:
        if bucket_type not in LISTABLE_TYPES:
            raise bad_request(f"Invalid bucketType: {bucket_type}")
    return tuple(requested)


async def update_bucket(call: Call) -> JsonDict:
    grant = call.account("writeBuckets")
    call.check_account_id(required=False)
    bucket = await call.bucket_for(grant, call.params.text("bucketId"))
    updated = _apply_common(bucket, call.params)
    if (bucket_type := call.params.str_or_none("bucketType")) is not None:
        updated = replace(updated, bucket_type=_bucket_type(bucket_type))
    lock = call.params.bool_or_none("fileLockEnabled")
    if lock is False and bucket.file_lock_enabled:
        raise B2Error(400, "file_lock_conflict", "File lock cannot be disabled once enabled")
    if lock:
        grant.require("writeBucketRetentions")
        updated = replace(updated, file_lock_enabled=True)
    if (retention := call.params.dict_or_none("defaultRetention")) is not None:
        grant.require("writeBucketRetentions")
        if not updated.file_lock_enabled:
            raise B2Error(400, "bucket_missing_file_lock", "The bucket is not file lock enabled")
        updated = replace(updated, default_retention=retention)
    if_revision = call.params.int_or_none("ifRevisionIs")
    stored = await call.state.store.meta(lambda db: db.replace_bucket(updated, if_revision))
    return bucket_json(stored, call.view(grant))


async def delete_bucket(call: Call) -> JsonDict:
    grant = call.account("deleteBuckets")
    call.check_account_id()
    bucket_id = call.params.text("bucketId")
    grant.require_bucket(bucket_id)
    deleted = await call.state.store.meta(lambda db: db.delete_bucket(bucket_id))
    return bucket_json(deleted, call.view(grant))
