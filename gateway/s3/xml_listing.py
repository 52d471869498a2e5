"""S3 listing responses: buckets, objects (v1 and v2), versions, parts and uploads.

``encoding_type="url"`` url-encodes keys and prefixes as botocore expects (it decodes them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from gateway.s3.checksums import ChecksumAlgorithm
from gateway.s3.xml import (
    EncodeFn,
    Node,
    Owner,
    checksum_nodes,
    element,
    render,
    text,
    timestamp,
    url_encode,
    url_encoder,
)


@dataclass(frozen=True)
class BucketEntry:
    name: str
    creation_date: dt.datetime
    region: str | None = None


@dataclass(frozen=True)
class ListAllMyBucketsResult:
    owner: Owner
    buckets: Sequence[BucketEntry]
    continuation_token: str | None = None
    prefix: str | None = None

    def to_xml(self) -> bytes:
        buckets: list[Node] = [
            (
                "Bucket",
                [("Name", b.name), ("CreationDate", b.creation_date), ("BucketRegion", b.region)],
            )
            for b in self.buckets
        ]
        return render(
            "ListAllMyBucketsResult",
            [
                ("Owner", self.owner.nodes()),
                ("Buckets", buckets),
                ("ContinuationToken", self.continuation_token),
                ("Prefix", self.prefix),
            ],
        )


@dataclass(frozen=True, slots=True)  # one per listed entry: cheaper to make
class ObjectEntry:
    key: str
    last_modified: dt.datetime
    etag: str
    size: int
    storage_class: str = "STANDARD"
    owner: Owner | None = None
    checksum_algorithm: ChecksumAlgorithm | None = None


def _prefixes(prefixes: Iterable[str], encode: EncodeFn) -> list[Node]:
    return [("CommonPrefixes", [("Prefix", encode(p))]) for p in prefixes]


def _objects_xml(
    contents: Sequence[ObjectEntry], common_prefixes: Sequence[str], encoding_type: str | None
) -> str:
    """Every ``<Contents>`` then every ``<CommonPrefixes>`` of a listing page. Up to 1000 per
    page make this the listing's hot path, so it is written directly: the same bytes ``render``
    makes of the fields in this order, at a fraction of the cost."""
    url = encoding_type == "url"
    owners: dict[Owner, str] = {}
    parts = []
    for entry in contents:
        key = url_encode(entry.key) if url else entry.key
        algorithm = entry.checksum_algorithm
        checksum = f"<ChecksumAlgorithm>{algorithm.name}</ChecksumAlgorithm>" if algorithm else ""
        owner = ""
        if entry.owner is not None:
            owner = owners.get(entry.owner) or owners.setdefault(
                entry.owner, element("Owner", entry.owner.nodes())
            )
        parts.append(
            f"<Contents><Key>{text(key)}</Key>"
            f"<LastModified>{timestamp(entry.last_modified)}</LastModified>"
            f"<ETag>{text(entry.etag)}</ETag>{checksum}<Size>{entry.size}</Size>{owner}"
            f"<StorageClass>{text(entry.storage_class)}</StorageClass></Contents>"
        )
    for prefix in common_prefixes:
        written = url_encode(prefix) if url else prefix
        parts.append(f"<CommonPrefixes><Prefix>{text(written)}</Prefix></CommonPrefixes>")
    return "".join(parts)


@dataclass(frozen=True)
class ListBucketResult:
    """ListObjects (v1)."""

    name: str
    contents: Sequence[ObjectEntry] = ()
    common_prefixes: Sequence[str] = ()
    prefix: str = ""
    marker: str = ""
    next_marker: str | None = None
    delimiter: str | None = None
    max_keys: int = 1000
    is_truncated: bool = False
    encoding_type: str | None = None

    def to_xml(self) -> bytes:
        enc = url_encoder(self.encoding_type)
        return render(
            "ListBucketResult",
            [
                ("Name", self.name),
                ("Prefix", enc(self.prefix)),
                ("Marker", enc(self.marker)),
                ("NextMarker", enc(self.next_marker)),
                ("MaxKeys", self.max_keys),
                ("Delimiter", enc(self.delimiter)),
                ("IsTruncated", self.is_truncated),
                ("EncodingType", self.encoding_type),
            ],
            _objects_xml(self.contents, self.common_prefixes, self.encoding_type),
        )


@dataclass(frozen=True)
class ListBucketResultV2:
    """ListObjectsV2."""

    name: str
    contents: Sequence[ObjectEntry] = ()
    common_prefixes: Sequence[str] = ()
    prefix: str = ""
    delimiter: str | None = None
    max_keys: int = 1000
    is_truncated: bool = False
    continuation_token: str | None = None
    next_continuation_token: str | None = None
    start_after: str | None = None
    encoding_type: str | None = None

    def to_xml(self) -> bytes:
        enc = url_encoder(self.encoding_type)
        return render(
            "ListBucketResult",
            [
                ("Name", self.name),
                ("Prefix", enc(self.prefix)),
                ("Delimiter", enc(self.delimiter)),
                ("MaxKeys", self.max_keys),
                ("EncodingType", self.encoding_type),
                ("KeyCount", len(self.contents) + len(self.common_prefixes)),
                ("IsTruncated", self.is_truncated),
                ("ContinuationToken", self.continuation_token),
                ("NextContinuationToken", self.next_continuation_token),
                ("StartAfter", enc(self.start_after)),
            ],
            _objects_xml(self.contents, self.common_prefixes, self.encoding_type),
        )


@dataclass(frozen=True, slots=True)  # one per listed entry: cheaper to make
class VersionEntry:
    key: str
    version_id: str
    is_latest: bool
    last_modified: dt.datetime
    etag: str
    size: int
    storage_class: str = "STANDARD"
    owner: Owner | None = None

    def node(self, encode: EncodeFn) -> Node:
        return (
            "Version",
            [
                ("Key", encode(self.key)),
                ("VersionId", self.version_id),
                ("IsLatest", self.is_latest),
                ("LastModified", self.last_modified),
                ("ETag", self.etag),
                ("Size", self.size),
                ("Owner", self.owner.nodes() if self.owner else None),
                ("StorageClass", self.storage_class),
            ],
        )


@dataclass(frozen=True, slots=True)  # one per listed entry: cheaper to make
class DeleteMarkerEntry:
    key: str
    version_id: str
    is_latest: bool
    last_modified: dt.datetime
    owner: Owner | None = None

    def node(self, encode: EncodeFn) -> Node:
        return (
            "DeleteMarker",
            [
                ("Key", encode(self.key)),
                ("VersionId", self.version_id),
                ("IsLatest", self.is_latest),
                ("LastModified", self.last_modified),
                ("Owner", self.owner.nodes() if self.owner else None),
            ],
        )


@dataclass(frozen=True)
class ListVersionsResult:
    name: str
    entries: Sequence[VersionEntry | DeleteMarkerEntry] = ()  # in S3's (key, newest first) order
    common_prefixes: Sequence[str] = ()
    prefix: str = ""
    key_marker: str = ""
    version_id_marker: str = ""
    next_key_marker: str | None = None
    next_version_id_marker: str | None = None
    delimiter: str | None = None
    max_keys: int = 1000
    is_truncated: bool = False
    encoding_type: str | None = None

    def to_xml(self) -> bytes:
        enc = url_encoder(self.encoding_type)
        return render(
            "ListVersionsResult",
            [
                ("Name", self.name),
                ("Prefix", enc(self.prefix)),
                ("KeyMarker", enc(self.key_marker)),
                ("VersionIdMarker", self.version_id_marker),
                ("NextKeyMarker", enc(self.next_key_marker)),
                ("NextVersionIdMarker", self.next_version_id_marker),
                ("MaxKeys", self.max_keys),
                ("Delimiter", enc(self.delimiter)),
                ("IsTruncated", self.is_truncated),
                ("EncodingType", self.encoding_type),
                *[e.node(enc) for e in self.entries],
                *_prefixes(self.common_prefixes, enc),
            ],
        )


@dataclass(frozen=True)
class PartEntry:
    part_number: int
    last_modified: dt.datetime
    etag: str
    size: int
    checksums: Mapping[ChecksumAlgorithm, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ListPartsResult:
    bucket: str
    key: str
    upload_id: str
    parts: Sequence[PartEntry] = ()
    part_number_marker: int = 0
    next_part_number_marker: int | None = None
    max_parts: int = 1000
    is_truncated: bool = False
    owner: Owner | None = None
    storage_class: str = "STANDARD"

    def to_xml(self) -> bytes:
        owner = self.owner.nodes() if self.owner else None
        parts: list[Node] = [
            (
                "Part",
                [
                    ("PartNumber", p.part_number),
                    ("LastModified", p.last_modified),
                    ("ETag", p.etag),
                    ("Size", p.size),
                    *checksum_nodes(p.checksums),
                ],
            )
            for p in self.parts
        ]
        return render(
            "ListPartsResult",
            [
                ("Bucket", self.bucket),
                ("Key", self.key),
                ("UploadId", self.upload_id),
                ("Initiator", owner),
                ("Owner", owner),
                ("StorageClass", self.storage_class),
                ("PartNumberMarker", self.part_number_marker),
                ("NextPartNumberMarker", self.next_part_number_marker),
                ("MaxParts", self.max_parts),
                ("IsTruncated", self.is_truncated),
                *parts,
            ],
        )


@dataclass(frozen=True)
class UploadEntry:
    key: str
    upload_id: str
    initiated: dt.datetime
    storage_class: str = "STANDARD"
    owner: Owner | None = None


@dataclass(frozen=True)
class ListMultipartUploadsResult:
    bucket: str
    uploads: Sequence[UploadEntry] = ()
    common_prefixes: Sequence[str] = ()
    prefix: str = ""
    delimiter: str | None = None
    key_marker: str = ""
    upload_id_marker: str = ""
    next_key_marker: str | None = None
    next_upload_id_marker: str | None = None
    max_uploads: int = 1000
    is_truncated: bool = False
    encoding_type: str | None = None

    def to_xml(self) -> bytes:
        enc = url_encoder(self.encoding_type)
        uploads: list[Node] = []
        for u in self.uploads:
            owner = u.owner.nodes() if u.owner else None
            uploads.append(
                (
                    "Upload",
                    [
                        ("Key", enc(u.key)),
                        ("UploadId", u.upload_id),
                        ("Initiator", owner),
                        ("Owner", owner),
                        ("StorageClass", u.storage_class),
                        ("Initiated", u.initiated),
                    ],
                )
            )
        return render(
            "ListMultipartUploadsResult",
            [
                ("Bucket", self.bucket),
                ("KeyMarker", enc(self.key_marker)),
                ("UploadIdMarker", self.upload_id_marker),
                ("NextKeyMarker", enc(self.next_key_marker)),
                ("NextUploadIdMarker", self.next_upload_id_marker),
                ("Prefix", enc(self.prefix)),
                ("Delimiter", enc(self.delimiter)),
                ("MaxUploads", self.max_uploads),
                ("IsTruncated", self.is_truncated),
                ("EncodingType", self.encoding_type),
                *uploads,
                *_prefixes(self.common_prefixes, enc),
            ],
        )
