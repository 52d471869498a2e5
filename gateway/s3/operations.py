"""Which S3 operation a request is: the ``Op`` enum and the pure ``parse_route``.

The operation name (exactly as AWS spells it) is the spine of the gateway: dispatch key, metrics
label and log field. Routing is one pure function of the request line and headers, so it can be
tested against a table of AWS documentation examples without a server.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, unquote_to_bytes

from gateway.s3 import errors


class Op(enum.StrEnum):
    """Every operation an S3 client can call (botocore's S3 model plus the HTML-form POST)."""

    AbortMultipartUpload = "AbortMultipartUpload"
    CompleteMultipartUpload = "CompleteMultipartUpload"
    CopyObject = "CopyObject"
    CreateBucket = "CreateBucket"
    CreateBucketMetadataConfiguration = "CreateBucketMetadataConfiguration"
    CreateBucketMetadataTableConfiguration = "CreateBucketMetadataTableConfiguration"
    CreateMultipartUpload = "CreateMultipartUpload"
    CreateSession = "CreateSession"
    DeleteBucket = "DeleteBucket"
    DeleteBucketAnalyticsConfiguration = "DeleteBucketAnalyticsConfiguration"
    DeleteBucketCors = "DeleteBucketCors"
    DeleteBucketEncryption = "DeleteBucketEncryption"
    DeleteBucketIntelligentTieringConfiguration = "DeleteBucketIntelligentTieringConfiguration"
    DeleteBucketInventoryConfiguration = "DeleteBucketInventoryConfiguration"
    DeleteBucketLifecycle = "DeleteBucketLifecycle"
    DeleteBucketMetadataConfiguration = "DeleteBucketMetadataConfiguration"
    DeleteBucketMetadataTableConfiguration = "DeleteBucketMetadataTableConfiguration"
    DeleteBucketMetricsConfiguration = "DeleteBucketMetricsConfiguration"
    DeleteBucketOwnershipControls = "DeleteBucketOwnershipControls"
    DeleteBucketPolicy = "DeleteBucketPolicy"
    DeleteBucketReplication = "DeleteBucketReplication"
    DeleteBucketTagging = "DeleteBucketTagging"
    DeleteBucketWebsite = "DeleteBucketWebsite"
    DeleteObject = "DeleteObject"
    DeleteObjectAnnotation = "DeleteObjectAnnotation"
    DeleteObjectTagging = "DeleteObjectTagging"
    DeleteObjects = "DeleteObjects"
    DeletePublicAccessBlock = "DeletePublicAccessBlock"
    GetBucketAbac = "GetBucketAbac"
    GetBucketAccelerateConfiguration = "GetBucketAccelerateConfiguration"
    GetBucketAcl = "GetBucketAcl"
    GetBucketAnalyticsConfiguration = "GetBucketAnalyticsConfiguration"
    GetBucketCors = "GetBucketCors"
    GetBucketEncryption = "GetBucketEncryption"
    GetBucketIntelligentTieringConfiguration = "GetBucketIntelligentTieringConfiguration"
    GetBucketInventoryConfiguration = "GetBucketInventoryConfiguration"
    GetBucketLifecycleConfiguration = "GetBucketLifecycleConfiguration"
    GetBucketLocation = "GetBucketLocation"
    GetBucketLogging = "GetBucketLogging"
    GetBucketMetadataConfiguration = "GetBucketMetadataConfiguration"
    GetBucketMetadataTableConfiguration = "GetBucketMetadataTableConfiguration"
    GetBucketMetricsConfiguration = "GetBucketMetricsConfiguration"
    GetBucketNotificationConfiguration = "GetBucketNotificationConfiguration"
    GetBucketOwnershipControls = "GetBucketOwnershipControls"
    GetBucketPolicy = "GetBucketPolicy"
    GetBucketPolicyStatus = "GetBucketPolicyStatus"
    GetBucketReplication = "GetBucketReplication"
    GetBucketRequestPayment = "GetBucketRequestPayment"
    GetBucketTagging = "GetBucketTagging"
    GetBucketVersioning = "GetBucketVersioning"
    GetBucketWebsite = "GetBucketWebsite"
    GetObject = "GetObject"
    GetObjectAcl = "GetObjectAcl"
    GetObjectAnnotation = "GetObjectAnnotation"
    GetObjectAttributes = "GetObjectAttributes"
    GetObjectLegalHold = "GetObjectLegalHold"
    GetObjectLockConfiguration = "GetObjectLockConfiguration"
    GetObjectRetention = "GetObjectRetention"
    GetObjectTagging = "GetObjectTagging"
    GetObjectTorrent = "GetObjectTorrent"
    GetPublicAccessBlock = "GetPublicAccessBlock"
    HeadBucket = "HeadBucket"
    HeadObject = "HeadObject"
    ListBucketAnalyticsConfigurations = "ListBucketAnalyticsConfigurations"
    ListBucketIntelligentTieringConfigurations = "ListBucketIntelligentTieringConfigurations"
    ListBucketInventoryConfigurations = "ListBucketInventoryConfigurations"
    ListBucketMetricsConfigurations = "ListBucketMetricsConfigurations"
    ListBuckets = "ListBuckets"
    ListMultipartUploads = "ListMultipartUploads"
    ListObjectAnnotations = "ListObjectAnnotations"
    ListObjectVersions = "ListObjectVersions"
    ListObjects = "ListObjects"
    ListObjectsV2 = "ListObjectsV2"
    ListParts = "ListParts"
    PostObject = "PostObject"
    PutBucketAbac = "PutBucketAbac"
    PutBucketAccelerateConfiguration = "PutBucketAccelerateConfiguration"
    PutBucketAcl = "PutBucketAcl"
    PutBucketAnalyticsConfiguration = "PutBucketAnalyticsConfiguration"
    PutBucketCors = "PutBucketCors"
    PutBucketEncryption = "PutBucketEncryption"
    PutBucketIntelligentTieringConfiguration = "PutBucketIntelligentTieringConfiguration"
    PutBucketInventoryConfiguration = "PutBucketInventoryConfiguration"
    PutBucketLifecycleConfiguration = "PutBucketLifecycleConfiguration"
    PutBucketLogging = "PutBucketLogging"
    PutBucketMetricsConfiguration = "PutBucketMetricsConfiguration"
    PutBucketNotificationConfiguration = "PutBucketNotificationConfiguration"
    PutBucketOwnershipControls = "PutBucketOwnershipControls"
    PutBucketPolicy = "PutBucketPolicy"
    PutBucketReplication = "PutBucketReplication"
    PutBucketRequestPayment = "PutBucketRequestPayment"
    PutBucketTagging = "PutBucketTagging"
    PutBucketVersioning = "PutBucketVersioning"
    PutBucketWebsite = "PutBucketWebsite"
    PutObject = "PutObject"
    PutObjectAcl = "PutObjectAcl"
    PutObjectAnnotation = "PutObjectAnnotation"
    PutObjectLegalHold = "PutObjectLegalHold"
    PutObjectLockConfiguration = "PutObjectLockConfiguration"
    PutObjectRetention = "PutObjectRetention"
    PutObjectTagging = "PutObjectTagging"
    PutPublicAccessBlock = "PutPublicAccessBlock"
    RenameObject = "RenameObject"
    RestoreObject = "RestoreObject"
    SelectObjectContent = "SelectObjectContent"
    UpdateBucketMetadataAnnotationTableConfiguration = (
        "UpdateBucketMetadataAnnotationTableConfiguration"
    )
    UpdateBucketMetadataInventoryTableConfiguration = (
        "UpdateBucketMetadataInventoryTableConfiguration"
    )
    UpdateBucketMetadataJournalTableConfiguration = "UpdateBucketMetadataJournalTableConfiguration"
    UpdateObjectEncryption = "UpdateObjectEncryption"
    UploadPart = "UploadPart"
    UploadPartCopy = "UploadPartCopy"
    WriteGetObjectResponse = "WriteGetObjectResponse"


Level = Literal["service", "bucket", "object"]

# (level, method, sub-resource keyword) -> operation. A keyword is a query parameter that selects
# the resource; ``None`` stands for "no keyword". Configuration families whose Get and List share
# a keyword are told apart by ``id`` (see _BY_ID).
_TABLE: Mapping[tuple[Level, str, str | None], Op] = {
    ("service", "GET", None): Op.ListBuckets,
    # --- bucket, GET
    ("bucket", "GET", None): Op.ListObjects,
    ("bucket", "GET", "abac"): Op.GetBucketAbac,
    ("bucket", "GET", "accelerate"): Op.GetBucketAccelerateConfiguration,
    ("bucket", "GET", "acl"): Op.GetBucketAcl,
    ("bucket", "GET", "analytics"): Op.ListBucketAnalyticsConfigurations,
    ("bucket", "GET", "cors"): Op.GetBucketCors,
    ("bucket", "GET", "encryption"): Op.GetBucketEncryption,
    ("bucket", "GET", "intelligent-tiering"): Op.ListBucketIntelligentTieringConfigurations,
    ("bucket", "GET", "inventory"): Op.ListBucketInventoryConfigurations,
    ("bucket", "GET", "lifecycle"): Op.GetBucketLifecycleConfiguration,
    ("bucket", "GET", "location"): Op.GetBucketLocation,
    ("bucket", "GET", "logging"): Op.GetBucketLogging,
    ("bucket", "GET", "metadataConfiguration"): Op.GetBucketMetadataConfiguration,
    ("bucket", "GET", "metadataTable"): Op.GetBucketMetadataTableConfiguration,
    ("bucket", "GET", "metrics"): Op.ListBucketMetricsConfigurations,
    ("bucket", "GET", "notification"): Op.GetBucketNotificationConfiguration,
    ("bucket", "GET", "object-lock"): Op.GetObjectLockConfiguration,
    ("bucket", "GET", "ownershipControls"): Op.GetBucketOwnershipControls,
    ("bucket", "GET", "policy"): Op.GetBucketPolicy,
    ("bucket", "GET", "policyStatus"): Op.GetBucketPolicyStatus,
    ("bucket", "GET", "publicAccessBlock"): Op.GetPublicAccessBlock,
    ("bucket", "GET", "replication"): Op.GetBucketReplication,
    ("bucket", "GET", "requestPayment"): Op.GetBucketRequestPayment,
    ("bucket", "GET", "session"): Op.CreateSession,
    ("bucket", "GET", "tagging"): Op.GetBucketTagging,
    ("bucket", "GET", "uploads"): Op.ListMultipartUploads,
    ("bucket", "GET", "versioning"): Op.GetBucketVersioning,
    ("bucket", "GET", "versions"): Op.ListObjectVersions,
    ("bucket", "GET", "website"): Op.GetBucketWebsite,
    # --- bucket, PUT
    ("bucket", "PUT", None): Op.CreateBucket,
    ("bucket", "PUT", "abac"): Op.PutBucketAbac,
    ("bucket", "PUT", "accelerate"): Op.PutBucketAccelerateConfiguration,
    ("bucket", "PUT", "acl"): Op.PutBucketAcl,
    ("bucket", "PUT", "analytics"): Op.PutBucketAnalyticsConfiguration,
    ("bucket", "PUT", "cors"): Op.PutBucketCors,
    ("bucket", "PUT", "encryption"): Op.PutBucketEncryption,
    ("bucket", "PUT", "intelligent-tiering"): Op.PutBucketIntelligentTieringConfiguration,
    ("bucket", "PUT", "inventory"): Op.PutBucketInventoryConfiguration,
    ("bucket", "PUT", "lifecycle"): Op.PutBucketLifecycleConfiguration,
    ("bucket", "PUT", "logging"): Op.PutBucketLogging,
    ("bucket", "PUT", "metadataAnnotationTable"): (
        Op.UpdateBucketMetadataAnnotationTableConfiguration
    ),
    ("bucket", "PUT", "metadataInventoryTable"): Op.UpdateBucketMetadataInventoryTableConfiguration,
    ("bucket", "PUT", "metadataJournalTable"): Op.UpdateBucketMetadataJournalTableConfiguration,
    ("bucket", "PUT", "metrics"): Op.PutBucketMetricsConfiguration,
    ("bucket", "PUT", "notification"): Op.PutBucketNotificationConfiguration,
    ("bucket", "PUT", "object-lock"): Op.PutObjectLockConfiguration,
    ("bucket", "PUT", "ownershipControls"): Op.PutBucketOwnershipControls,
    ("bucket", "PUT", "policy"): Op.PutBucketPolicy,
    ("bucket", "PUT", "publicAccessBlock"): Op.PutPublicAccessBlock,
    ("bucket", "PUT", "replication"): Op.PutBucketReplication,
    ("bucket", "PUT", "requestPayment"): Op.PutBucketRequestPayment,
    ("bucket", "PUT", "tagging"): Op.PutBucketTagging,
    ("bucket", "PUT", "versioning"): Op.PutBucketVersioning,
    ("bucket", "PUT", "website"): Op.PutBucketWebsite,
    # --- bucket, DELETE
    ("bucket", "DELETE", None): Op.DeleteBucket,
    ("bucket", "DELETE", "analytics"): Op.DeleteBucketAnalyticsConfiguration,
    ("bucket", "DELETE", "cors"): Op.DeleteBucketCors,
    ("bucket", "DELETE", "encryption"): Op.DeleteBucketEncryption,
    ("bucket", "DELETE", "intelligent-tiering"): Op.DeleteBucketIntelligentTieringConfiguration,
    ("bucket", "DELETE", "inventory"): Op.DeleteBucketInventoryConfiguration,
    ("bucket", "DELETE", "lifecycle"): Op.DeleteBucketLifecycle,
    ("bucket", "DELETE", "metadataConfiguration"): Op.DeleteBucketMetadataConfiguration,
    ("bucket", "DELETE", "metadataTable"): Op.DeleteBucketMetadataTableConfiguration,
    ("bucket", "DELETE", "metrics"): Op.DeleteBucketMetricsConfiguration,
    ("bucket", "DELETE", "ownershipControls"): Op.DeleteBucketOwnershipControls,
    ("bucket", "DELETE", "policy"): Op.DeleteBucketPolicy,
    ("bucket", "DELETE", "publicAccessBlock"): Op.DeletePublicAccessBlock,
    ("bucket", "DELETE", "replication"): Op.DeleteBucketReplication,
    ("bucket", "DELETE", "tagging"): Op.DeleteBucketTagging,
    ("bucket", "DELETE", "website"): Op.DeleteBucketWebsite,
    # --- bucket, POST and HEAD
    ("bucket", "POST", None): Op.PostObject,
    ("bucket", "POST", "delete"): Op.DeleteObjects,
    ("bucket", "POST", "metadataConfiguration"): Op.CreateBucketMetadataConfiguration,
    ("bucket", "POST", "metadataTable"): Op.CreateBucketMetadataTableConfiguration,
    ("bucket", "HEAD", None): Op.HeadBucket,
    # --- object
    ("object", "GET", None): Op.GetObject,
    ("object", "GET", "acl"): Op.GetObjectAcl,
    ("object", "GET", "annotation"): Op.ListObjectAnnotations,
    ("object", "GET", "attributes"): Op.GetObjectAttributes,
    ("object", "GET", "legal-hold"): Op.GetObjectLegalHold,
    ("object", "GET", "retention"): Op.GetObjectRetention,
    ("object", "GET", "tagging"): Op.GetObjectTagging,
    ("object", "GET", "torrent"): Op.GetObjectTorrent,
    ("object", "GET", "uploadId"): Op.ListParts,
    ("object", "HEAD", None): Op.HeadObject,
    ("object", "PUT", None): Op.PutObject,
    ("object", "PUT", "acl"): Op.PutObjectAcl,
    ("object", "PUT", "annotation"): Op.PutObjectAnnotation,
    ("object", "PUT", "encryption"): Op.UpdateObjectEncryption,
    ("object", "PUT", "legal-hold"): Op.PutObjectLegalHold,
    ("object", "PUT", "renameObject"): Op.RenameObject,
    ("object", "PUT", "retention"): Op.PutObjectRetention,
    ("object", "PUT", "tagging"): Op.PutObjectTagging,
    ("object", "PUT", "uploadId"): Op.UploadPart,
    ("object", "POST", "restore"): Op.RestoreObject,
    ("object", "POST", "select"): Op.SelectObjectContent,
    ("object", "POST", "uploadId"): Op.CompleteMultipartUpload,
    ("object", "POST", "uploads"): Op.CreateMultipartUpload,
    ("object", "DELETE", None): Op.DeleteObject,
    ("object", "DELETE", "annotation"): Op.DeleteObjectAnnotation,
    ("object", "DELETE", "tagging"): Op.DeleteObjectTagging,
    ("object", "DELETE", "uploadId"): Op.AbortMultipartUpload,
}

# Operations whose request carries a distinguishing query parameter besides the keyword.
_BY_ID: Mapping[Op, Op] = {
    Op.ListBucketAnalyticsConfigurations: Op.GetBucketAnalyticsConfiguration,
    Op.ListBucketIntelligentTieringConfigurations: Op.GetBucketIntelligentTieringConfiguration,
    Op.ListBucketInventoryConfigurations: Op.GetBucketInventoryConfiguration,
    Op.ListBucketMetricsConfigurations: Op.GetBucketMetricsConfiguration,
}
_COPIES: Mapping[Op, Op] = {Op.PutObject: Op.CopyObject, Op.UploadPart: Op.UploadPartCopy}

_METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE"})
KEYWORDS: frozenset[str] = frozenset(kw for (_, _, kw) in _TABLE if kw is not None)

_BUCKET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{1,61}[A-Za-z0-9]")


@dataclass(frozen=True)
class Route:
    """What a request addresses: its operation, bucket, key and (decoded) query parameters."""

    op: Op
    bucket: str | None = None
    key: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    virtual_host: bool = False


def parse_query(raw_query: str) -> list[tuple[str, str]]:
    """Decode a raw query string once, in wire order. A raw ``+`` is a space; ``%2B`` is ``+``."""
    pairs = []
    for piece in raw_query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append((_unquote_query(name), _unquote_query(value)))
    return pairs


def parse_route(
    method: str,
    host: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, str],
    *,
    base_domains: tuple[str, ...] = (),
    trusted_proxy: bool = False,
) -> Route:
    """Map one request to its operation. ``raw_path`` is the path as sent (no query string);
    ``query`` the raw query string; ``headers`` a case-insensitive or lower-cased mapping.

    ``X-Forwarded-Host`` replaces ``host`` only when the caller vouches for the peer
    (``trusted_proxy``): otherwise any client could pick the bucket of a signed request.
    """
    if trusted_proxy and headers.get("x-forwarded-host"):
        host = headers["x-forwarded-host"].split(",")[0].strip()
    params = _single_valued(parse_query(query))
    vhost_bucket = virtual_host_bucket(host, base_domains)
    if vhost_bucket is None and method == "POST" and raw_path == "/WriteGetObjectResponse":
        return Route(Op.WriteGetObjectResponse, params=params)  # Object Lambda's fixed path
    bucket, key = _split_path(raw_path, vhost_bucket)
    if bucket is not None:
        _check_bucket_name(bucket)
    level: Level = "service" if bucket is None else "bucket" if key is None else "object"
    op = _operation(level, method, params, headers)
    return Route(op, bucket, key, params, virtual_host=vhost_bucket is not None)


def _operation(
    level: Level, method: str, params: Mapping[str, str], headers: Mapping[str, str]
) -> Op:
    present = sorted(KEYWORDS.intersection(params))
    if len(present) > 1:
        raise errors.InvalidRequest(f"Conflicting query string parameters: {', '.join(present)}")
    keyword = present[0] if present else None
    if method == "HEAD":
        keyword = None  # HEAD has a single meaning per level; S3 ignores sub-resources on it
    op = _TABLE.get((level, method, keyword))
    if op is None:
        if method not in _METHODS:
            raise errors.NotImplemented(f"The {method} method is not implemented", Header="Method")
        raise errors.MethodNotAllowed(Method=method, ResourceType=level.upper())
    if op in _BY_ID and "id" in params:
        op = _BY_ID[op]
    if op is Op.ListObjects and "list-type" in params:
        if params["list-type"] != "2":
            raise errors.InvalidArgument(
                "Invalid List Type specified",
                ArgumentName="list-type",
                ArgumentValue=params["list-type"],
            )
        op = Op.ListObjectsV2
    if op is Op.ListObjectAnnotations and "annotationName" in params:
        op = Op.GetObjectAnnotation
    if op is Op.UploadPart and "partNumber" not in params:
        raise errors.InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
        )
    if op in _COPIES and "x-amz-copy-source" in headers:
        op = _COPIES[op]
    return op


def _single_valued(pairs: list[tuple[str, str]]) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise errors.InvalidArgument(
                f"Query parameter {name} is repeated", ArgumentName=name, ArgumentValue=value
            )
        params[name] = value
    return params


def virtual_host_bucket(host: str, base_domains: tuple[str, ...]) -> str | None:
    """The bucket named by a ``<bucket>.<base domain>`` Host, else None (path style)."""
    hostname = _strip_port(host).lower().rstrip(".")
    for domain in base_domains:
        base = domain.lower().rstrip(".")
        if hostname.endswith("." + base):
            return hostname[: -len(base) - 1]
    return None


def _strip_port(host: str) -> str:
    if host.startswith("["):  # [v6]:port
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _split_path(raw_path: str, vhost_bucket: str | None) -> tuple[str | None, str | None]:
    """Bucket and key from the raw path. The key is decoded exactly once; ``//``, a trailing
    ``/`` and a literal ``+`` are kept as sent (botocore encodes ``+`` as ``%2B``)."""
    if not raw_path.startswith("/"):
        raise errors.InvalidURI(URI=raw_path)
    rest = raw_path[1:]
    if vhost_bucket is not None:
        return vhost_bucket, (_decode_key(rest) if rest else None)
    if not rest:
        return None, None
    raw_bucket, slash, raw_key = rest.partition("/")
    bucket = _decode_path(raw_bucket)
    return bucket, (_decode_key(raw_key) if slash and raw_key else None)


def _decode_key(raw: str) -> str:
    key = _decode_path(raw)
    if len(key.encode()) > 1024:
        raise errors.KeyTooLongError(MaxSizeAllowed=1024, Size=len(key.encode()))
    return key


def _decode_path(raw: str) -> str:
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.InvalidURI(URI=raw) from exc


def _unquote_query(raw: str) -> str:
    try:
        return unquote(raw.replace("+", " "), errors="strict")
    except UnicodeDecodeError as exc:
        raise errors.InvalidURI(URI=raw) from exc


def _check_bucket_name(bucket: str) -> None:
    """S3's DNS-compatible rules, keeping upper case because B2 bucket names may have it."""
    valid = bool(_BUCKET_NAME.fullmatch(bucket)) and ".." not in bucket and not _is_ip(bucket)
    if not valid:
        raise errors.InvalidBucketName(BucketName=bucket)


def _is_ip(name: str) -> bool:
    if name.strip("0123456789."):
        return False  # not digits and dots only: skip the costly failed parse
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True
