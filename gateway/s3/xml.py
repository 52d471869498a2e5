"""S3 XML responses: typed models rendered to bytes, so handlers never hand-write XML.

Listings live in ``gateway.s3.xml_listing``; request bodies are parsed by
``gateway.s3.xml_bodies``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Union
from urllib.parse import quote

from gateway.s3.checksums import ChecksumAlgorithm

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"

Value = str | int | bool | dt.datetime | None
Node = tuple[str, Union[Value, "Sequence[Node]"]]


def timestamp(moment: dt.datetime) -> str:
    """S3's ISO 8601 form with milliseconds: ``2009-10-12T17:50:30.000Z``."""
    utc = moment if moment.tzinfo is dt.UTC else moment.astimezone(dt.UTC)
    return utc.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


def text(value: str) -> str:
    """``value`` escaped for element content (``&``, ``<``, ``>``; as ``saxutils.escape``)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(root: str, children: Sequence[Node], written: str = "") -> bytes:
    """``<?xml ...?><root xmlns="...">children</root>``; None-valued children are omitted.
    ``written`` is XML a hot path wrote itself, placed after ``children``."""
    body = "".join(element(name, value) for name, value in children)
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return f'{head}<{root} xmlns="{NAMESPACE}">{body}{written}</{root}>'.encode()


def element(name: str, value: Value | Sequence[Node]) -> str:
    """``name`` may carry attributes (``'Grantee xsi:type="CanonicalUser"'``), written as is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        content = "true" if value else "false"
    elif isinstance(value, dt.datetime):
        content = timestamp(value)
    elif isinstance(value, int | str):
        content = text(str(value))
    else:
        content = "".join(element(n, v) for n, v in value)
    return f"<{name}>{content}</{name.split(' ', 1)[0]}>"


def checksum_nodes(checksums: Mapping[ChecksumAlgorithm, str]) -> list[Node]:
    return [(f"Checksum{alg.name}", value) for alg, value in checksums.items()]


EncodeFn = Callable[[str | None], str | None]


def url_encode(value: str) -> str:
    """``encoding-type=url``: botocore url-decodes these fields (``+`` must be ``%2B``)."""
    return quote(value, safe="/")


def url_encoder(encoding_type: str | None) -> EncodeFn:
    if encoding_type == "url":
        return lambda value: None if value is None else url_encode(value)
    return lambda value: value


# --- response models --------------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    id: str
    display_name: str | None = None

    def nodes(self) -> list[Node]:
        return [("ID", self.id), ("DisplayName", self.display_name)]


@dataclass(frozen=True)
class InitiateMultipartUploadResult:
    bucket: str
    key: str
    upload_id: str

    def to_xml(self) -> bytes:
        return render(
            "InitiateMultipartUploadResult",
            [("Bucket", self.bucket), ("Key", self.key), ("UploadId", self.upload_id)],
        )


@dataclass(frozen=True)
class CompleteMultipartUploadResult:
    location: str
    bucket: str
    key: str
    etag: str
    checksums: Mapping[ChecksumAlgorithm, str] = field(default_factory=dict)

    def to_xml(self) -> bytes:
        return render(
            "CompleteMultipartUploadResult",
            [
                ("Location", self.location),
                ("Bucket", self.bucket),
                ("Key", self.key),
                ("ETag", self.etag),
                *checksum_nodes(self.checksums),
            ],
        )


@dataclass(frozen=True)
class CopyObjectResult:
    etag: str
    last_modified: dt.datetime
    checksums: Mapping[ChecksumAlgorithm, str] = field(default_factory=dict)
    root: str = "CopyObjectResult"

    def to_xml(self) -> bytes:
        return render(
            self.root,
            [
                ("ETag", self.etag),
                ("LastModified", self.last_modified),
                *checksum_nodes(self.checksums),
            ],
        )


def copy_part_result(
    etag: str,
    last_modified: dt.datetime,
    checksums: Mapping[ChecksumAlgorithm, str] | None = None,
) -> CopyObjectResult:
    """UploadPartCopy answers the same fields under ``CopyPartResult``."""
    return CopyObjectResult(etag, last_modified, checksums or {}, root="CopyPartResult")


@dataclass(frozen=True)
class Deleted:
    key: str
    version_id: str | None = None
    delete_marker: bool | None = None
    delete_marker_version_id: str | None = None


@dataclass(frozen=True)
class DeleteFailure:
    key: str
    code: str
    message: str
    version_id: str | None = None


@dataclass(frozen=True)
class DeleteResult:
    deleted: Sequence[Deleted] = ()
    failures: Sequence[DeleteFailure] = ()

    def to_xml(self) -> bytes:
        deleted: list[Node] = [
            (
                "Deleted",
                [
                    ("Key", d.key),
                    ("VersionId", d.version_id),
                    ("DeleteMarker", d.delete_marker),
                    ("DeleteMarkerVersionId", d.delete_marker_version_id),
                ],
            )
            for d in self.deleted
        ]
        failures: list[Node] = [
            (
                "Error",
                [
                    ("Key", f.key),
                    ("VersionId", f.version_id),
                    ("Code", f.code),
                    ("Message", f.message),
                ],
            )
            for f in self.failures
        ]
        return render("DeleteResult", [*deleted, *failures])


@dataclass(frozen=True)
class LocationConstraint:
    """GetBucketLocation: us-east-1 is the empty constraint, as S3 answers it."""

    region: str

    def to_xml(self) -> bytes:
        value = "" if self.region == "us-east-1" else text(self.region)
        head = '<?xml version="1.0" encoding="UTF-8"?>\n'
        return (
            f'{head}<LocationConstraint xmlns="{NAMESPACE}">{value}</LocationConstraint>'.encode()
        )


@dataclass(frozen=True)
class VersioningConfiguration:
    status: str | None = None  # "Enabled" | "Suspended" | None (never enabled)
    mfa_delete: str | None = None

    def to_xml(self) -> bytes:
        return render(
            "VersioningConfiguration", [("Status", self.status), ("MfaDelete", self.mfa_delete)]
        )


@dataclass(frozen=True)
class Tagging:
    tags: Sequence[tuple[str, str]] = ()

    def to_xml(self) -> bytes:
        tags: list[Node] = [("Tag", [("Key", k), ("Value", v)]) for k, v in self.tags]
        return render("Tagging", [("TagSet", tags)])


_CANONICAL_GRANTEE = (
    'Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"'
)


@dataclass(frozen=True)
class AccessControlPolicy:
    """Get{Bucket,Object}Acl: the owner and canonical-user grants (FULL_CONTROL, READ, ...)."""

    owner: Owner
    grants: Sequence[tuple[Owner, str]] = ()

    def to_xml(self) -> bytes:
        grants: list[Node] = [
            ("Grant", [(_CANONICAL_GRANTEE, grantee.nodes()), ("Permission", permission)])
            for grantee, permission in self.grants
        ]
        return render(
            "AccessControlPolicy",
            [("Owner", self.owner.nodes()), ("AccessControlList", grants)],
        )
