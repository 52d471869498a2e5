"""Frozen dataclasses for what goes to and comes from B2, built from JSON via `_json` readers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.b2 import _json
from gateway.b2._json import JsonObject
from gateway.b2.errors import B2ProtocolError

FOLDER = "folder"
UPLOAD = "upload"
HIDE = "hide"
START = "start"


@dataclass(frozen=True)
class AllowedBucket:
    bucket_id: str
    bucket_name: str | None  # None when the bucket was deleted


@dataclass(frozen=True)
class Allowed:
    """What the application key may do (v4 `apiInfo.storageApi.allowed`)."""

    capabilities: tuple[str, ...]
    buckets: tuple[AllowedBucket, ...] | None  # None = every bucket of the account
    name_prefix: str | None


@dataclass(frozen=True)
class AccountAuthorization:
    account_id: str
    authorization_token: str
    api_url: str
    download_url: str
    recommended_part_size: int
    absolute_minimum_part_size: int
    allowed: Allowed

    @classmethod
    def from_json(cls, obj: JsonObject) -> AccountAuthorization:
        storage = _json.req_object(_json.req_object(obj, "apiInfo"), "storageApi")
        allowed = _json.req_object(storage, "allowed")
        raw_buckets = allowed.get("buckets")
        buckets = (
            None
            if raw_buckets is None
            else tuple(
                AllowedBucket(_json.req_str(b, "id"), _json.opt_str(b, "name"))
                for b in _json.objects(allowed, "buckets")
            )
        )
        return cls(
            account_id=_json.req_str(obj, "accountId"),
            authorization_token=_json.req_str(obj, "authorizationToken"),
            api_url=_json.req_str(storage, "apiUrl"),
            download_url=_json.req_str(storage, "downloadUrl"),
            recommended_part_size=_json.req_int(storage, "recommendedPartSize"),
            absolute_minimum_part_size=_json.req_int(storage, "absoluteMinimumPartSize"),
            allowed=Allowed(
                capabilities=_json.str_list(allowed, "capabilities"),
                buckets=buckets,
                name_prefix=_json.opt_str(allowed, "namePrefix"),
            ),
        )


@dataclass(frozen=True)
class Bucket:
    bucket_id: str
    bucket_name: str
    bucket_type: str
    bucket_info: Mapping[str, str]
    revision: int

    @classmethod
    def from_json(cls, obj: JsonObject) -> Bucket:
        return cls(
            bucket_id=_json.req_str(obj, "bucketId"),
            bucket_name=_json.req_str(obj, "bucketName"),
            bucket_type=_json.req_str(obj, "bucketType"),
            bucket_info=_json.str_map(obj, "bucketInfo"),
            revision=_json.opt_int(obj, "revision") or 0,
        )


@dataclass(frozen=True)
class FileVersion:
    """B2's standard file object: an upload, a hide marker, an unfinished large file or a folder."""

    file_id: str | None  # None for folders
    file_name: str
    action: str
    bucket_id: str | None  # absent for folders
    content_length: int
    content_sha1: str | None  # "none" for large files; may be "unverified:<hex>"
    content_md5: str | None
    content_type: str | None
    file_info: Mapping[str, str]
    upload_timestamp: int  # ms since the epoch

    @classmethod
    def from_json(cls, obj: JsonObject) -> FileVersion:
        return cls(
            file_id=_json.opt_str(obj, "fileId"),
            file_name=_json.req_str(obj, "fileName"),
            action=_json.req_str(obj, "action"),
            bucket_id=_json.opt_str(obj, "bucketId"),
            content_length=_json.opt_int(obj, "contentLength") or 0,
            content_sha1=_json.opt_str(obj, "contentSha1"),
            content_md5=_json.opt_str(obj, "contentMd5"),
            content_type=_json.opt_str(obj, "contentType"),
            file_info=_json.str_map(obj, "fileInfo"),
            upload_timestamp=_json.opt_int(obj, "uploadTimestamp") or 0,
        )

    def require_id(self) -> str:
        if self.file_id is None:
            raise B2ProtocolError(f"{self.action} {self.file_name!r} has no fileId")
        return self.file_id


@dataclass(frozen=True)
class FileList:
    files: tuple[FileVersion, ...]
    next_file_name: str | None
    next_file_id: str | None

    @classmethod
    def from_json(cls, obj: JsonObject) -> FileList:
        return cls(
            files=tuple(FileVersion.from_json(f) for f in _json.objects(obj, "files")),
            next_file_name=_json.opt_str(obj, "nextFileName"),
            next_file_id=_json.opt_str(obj, "nextFileId"),
        )


@dataclass(frozen=True)
class UploadUrl:
    """One upload target: serves one upload at a time; bound to a bucket or a large file."""

    target_id: str  # bucketId (simple uploads) or fileId (parts)
    upload_url: str
    authorization_token: str = field(repr=False)

    @classmethod
    def from_json(cls, obj: JsonObject, target_key: str) -> UploadUrl:
        return cls(
            target_id=_json.req_str(obj, target_key),
            upload_url=_json.req_str(obj, "uploadUrl"),
            authorization_token=_json.req_str(obj, "authorizationToken"),
        )


@dataclass(frozen=True)
class Part:
    file_id: str
    part_number: int
    content_length: int
    content_sha1: str
    content_md5: str | None
    upload_timestamp: int

    @classmethod
    def from_json(cls, obj: JsonObject) -> Part:
        return cls(
            file_id=_json.req_str(obj, "fileId"),
            part_number=_json.req_int(obj, "partNumber"),
            content_length=_json.req_int(obj, "contentLength"),
            content_sha1=_json.req_str(obj, "contentSha1"),
            content_md5=_json.opt_str(obj, "contentMd5"),
            upload_timestamp=_json.opt_int(obj, "uploadTimestamp") or 0,
        )


@dataclass(frozen=True)
class PartList:
    parts: tuple[Part, ...]
    next_part_number: int | None

    @classmethod
    def from_json(cls, obj: JsonObject) -> PartList:
        return cls(
            parts=tuple(Part.from_json(p) for p in _json.objects(obj, "parts")),
            next_part_number=_json.opt_int(obj, "nextPartNumber"),
        )


@dataclass(frozen=True)
class FileRef:
    """The `{fileId, fileName}` answer of delete_file_version and cancel_large_file."""

    file_id: str
    file_name: str

    @classmethod
    def from_json(cls, obj: JsonObject) -> FileRef:
        return cls(_json.req_str(obj, "fileId"), _json.req_str(obj, "fileName"))


@dataclass(frozen=True)
class DownloadAuthorization:
    bucket_id: str
    file_name_prefix: str
    authorization_token: str = field(repr=False)

    @classmethod
    def from_json(cls, obj: JsonObject) -> DownloadAuthorization:
        return cls(
            bucket_id=_json.req_str(obj, "bucketId"),
            file_name_prefix=_json.req_str(obj, "fileNamePrefix"),
            authorization_token=_json.req_str(obj, "authorizationToken"),
        )


@dataclass(frozen=True)
class FileQuery:
    """Where a `b2_list_file_names` / `b2_list_file_versions` page starts and what it holds.

    `start_file_name` is inclusive; `start_file_id` (versions only) needs `start_file_name`.
    `max_file_count` None means B2's default (100); B2 bills per 1000 returned.
    """

    prefix: str | None = None
    delimiter: str | None = None
    start_file_name: str | None = None
    start_file_id: str | None = None
    max_file_count: int | None = None

    def __post_init__(self) -> None:
        if self.start_file_id is not None and self.start_file_name is None:
            raise ValueError("start_file_id needs start_file_name")

    def payload(self, bucket_id: str) -> dict[str, object]:
        return {
            "bucketId": bucket_id,
            "prefix": self.prefix,
            "delimiter": self.delimiter,
            "startFileName": self.start_file_name,
            "startFileId": self.start_file_id,
            "maxFileCount": self.max_file_count,
        }


@dataclass(frozen=True)
class ByteRange:
    """An HTTP byte range request: `start`..`end` inclusive; `end=None` means to EOF."""

    start: int
    end: int | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or (self.end is not None and self.end < self.start):
            raise ValueError(f"invalid byte range {self.start}-{self.end}")

    def header(self) -> str:
        return f"bytes={self.start}-{'' if self.end is None else self.end}"


@dataclass(frozen=True)
class ContentRange:
    """A `Content-Range: bytes start-end/total` response header."""

    start: int
    end: int
    total: int


@dataclass(frozen=True)
class DownloadInfo:
    """Typed headers of a download (GET or HEAD) response."""

    status: int  # 200, or 206 for a partial answer
    file_id: str
    file_name: str
    content_length: int  # of this response's body
    content_type: str
    content_sha1: str | None  # whole-file SHA-1; None for large files ("none")
    upload_timestamp: int
    file_info: Mapping[str, str]  # X-Bz-Info-*, decoded
    content_range: ContentRange | None
    content_disposition: str | None = None
    content_language: str | None = None
    content_encoding: str | None = None
    cache_control: str | None = None
    expires: str | None = None
    server_side_encryption: str | None = None
