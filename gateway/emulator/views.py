"""The JSON shapes B2 answers with, per API version (v1 also says ``size``; authorize differs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.emulator.models import AppKey, Bucket, FileVersion, Part

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class View:
    """Who is looking: JSON differs by API version and by what the key may read."""

    account_id: str
    api_version: int
    capabilities: frozenset[str]

    def may_read(self, capability: str) -> bool:
        return capability in self.capabilities


def _guarded(view: View, capability: str, value: Any) -> JsonDict:
    """B2's ``{"isClientAuthorizedToRead", "value"}`` wrapper: value hidden without the right."""
    allowed = view.may_read(capability)
    return {"isClientAuthorizedToRead": allowed, "value": value if allowed else None}


_NO_SSE: JsonDict = {"algorithm": None, "mode": None}
EMPTY_SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def sse_json(mode: str | None) -> JsonDict:
    return {"algorithm": "AES256", "mode": mode} if mode else dict(_NO_SSE)


def _lengths(api_version: int, length: int) -> JsonDict:
    """v1 objects carry ``size`` beside ``contentLength``: v1 clients read both (rclone 1.60 reads
    ``size`` from listings and ``contentLength`` from upload and file-info answers)."""
    if api_version == 1:
        return {"contentLength": length, "size": length}
    return {"contentLength": length}


def file_json(version: FileVersion, view: View, *, action: str | None = None) -> JsonDict:
    body: JsonDict = {
        "accountId": view.account_id,
        "action": action or version.action,
        "bucketId": version.bucket_id,
        **_lengths(view.api_version, version.content_length),
        "contentMd5": version.md5,
        "contentSha1": version.sha1,
        "contentType": version.content_type,
        "fileId": version.file_id,
        "fileInfo": dict(version.info),
        "fileName": version.name,
        "uploadTimestamp": version.upload_ts,
    }
    if version.action != "hide":
        # b2sdk refuses upload/start/copy objects without these (file_lock.py).
        retention = version.retention or {"mode": None, "retainUntilTimestamp": None}
        body["fileRetention"] = _guarded(view, "readFileRetentions", retention)
        body["legalHold"] = _guarded(view, "readFileLegalHolds", version.legal_hold)
        body["serverSideEncryption"] = sse_json(version.sse_mode)
    return body


def folder_json(name: str, api_version: int) -> JsonDict:
    return {
        "accountId": None,
        "action": "folder",
        "bucketId": None,
        **_lengths(api_version, 0),
        "contentMd5": None,
        "contentSha1": None,
        "contentType": None,
        "fileId": None,
        "fileInfo": {},
        "fileName": name,
        "uploadTimestamp": 0,
    }


def bucket_json(bucket: Bucket, view: View) -> JsonDict:
    lock = {
        "defaultRetention": dict(bucket.default_retention),
        "isFileLockEnabled": bucket.file_lock_enabled,
    }
    return {
        "accountId": view.account_id,
        "bucketId": bucket.bucket_id,
        "bucketInfo": dict(bucket.info),
        "bucketName": bucket.name,
        "bucketType": bucket.bucket_type,
        "corsRules": list(bucket.cors_rules),
        "defaultServerSideEncryption": _guarded(
            view, "readBucketEncryption", sse_json(bucket.sse_mode)
        ),
        "fileLockConfiguration": _guarded(view, "readBucketRetentions", lock),
        "lifecycleRules": list(bucket.lifecycle_rules),
        "options": ["s3"],
        "replicationConfiguration": _guarded(view, "readBucketReplications", bucket.replication),
        "revision": bucket.revision,
    }


def part_json(part: Part, sse_mode: str | None, api_version: int) -> JsonDict:
    return {
        "contentMd5": part.md5,
        "contentSha1": part.sha1,
        **_lengths(api_version, part.length),
        "fileId": part.file_id,
        "partNumber": part.part_number,
        "serverSideEncryption": sse_json(sse_mode),
        "uploadTimestamp": part.upload_ts,
    }


def key_json(key: AppKey, account_id: str, api_version: int) -> JsonDict:
    body: JsonDict = {
        "accountId": account_id,
        "applicationKeyId": key.key_id,
        "capabilities": list(key.capabilities),
        "expirationTimestamp": key.expires_ms,
        "keyName": key.name,
        "namePrefix": key.name_prefix,
        "options": ["s3"],
    }
    if api_version >= 4:
        body["bucketIds"] = None if key.bucket_ids is None else list(key.bucket_ids)
    else:
        body["bucketId"] = key.bucket_ids[0] if key.bucket_ids else None
    return body


def authorize_json(
    *,
    api_version: int,
    account_id: str,
    token: str,
    base_url: str,
    key: AppKey,
    allowed_buckets: list[dict[str, str | None]] | None,
    recommended_part_size: int,
    absolute_minimum_part_size: int,
) -> JsonDict:
    first = allowed_buckets[0] if allowed_buckets else {"id": None, "name": None}
    urls: JsonDict = {
        "absoluteMinimumPartSize": absolute_minimum_part_size,
        "apiUrl": base_url,
        "downloadUrl": base_url,
        "recommendedPartSize": recommended_part_size,
        "s3ApiUrl": base_url,
    }
    capabilities = list(key.capabilities)
    if api_version <= 2:
        return {
            **urls,
            "accountId": account_id,
            "allowed": {
                "bucketId": first["id"],
                "bucketName": first["name"],
                "capabilities": capabilities,
                "namePrefix": key.name_prefix,
            },
            "authorizationToken": token,
        }
    storage: JsonDict = {
        **urls,
        "capabilities": capabilities,
        "namePrefix": key.name_prefix,
        "infoType": "storageApi",
    }
    if api_version == 3:
        storage |= {"bucketId": first["id"], "bucketName": first["name"]}
    else:
        storage["allowed"] = {
            "buckets": allowed_buckets,
            "capabilities": capabilities,
            "namePrefix": key.name_prefix,
        }
    return {
        "accountId": account_id,
        "apiInfo": {"storageApi": storage},
        "applicationKeyExpirationTimestamp": key.expires_ms,
        "authorizationToken": token,
    }
