"""Verify AWS Signature Version 2 for S3: ``Authorization: AWS <akid>:<signature>`` and presigned
``?AWSAccessKeyId=..&Expires=..&Signature=..`` URLs.

Legacy, but still what botocore's ``generate_presigned_url`` (custom endpoint), ``aws s3 presign``
(awscli v1) and ``s3cmd signurl`` produce by default. The rules are those of S3's "Signing and
authenticating REST requests" page, cross-checked against botocore's own signer (``HmacV1Auth``,
``HmacV1QueryAuth``), which the unit tests use as their oracle::

    StringToSign = Verb \\n Content-MD5 \\n Content-Type \\n Date-or-Expires \\n
                   CanonicalizedAmzHeaders CanonicalizedResource
    Signature    = base64(HMAC-SHA1(secret, StringToSign))

SigV2 signs no payload: the body is only checked against Content-MD5 / x-amz-checksum-* if sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import unquote_plus

from gateway.s3 import canonical, errors
from gateway.s3.canonical import RawHeaders
from gateway.s3.operations import virtual_host_bucket
from gateway.s3.sigv4 import (
    MAX_SKEW,
    AuthContext,
    Clock,
    CredentialLookup,
    Payload,
    SignedRequest,
)

# The query parameters that are part of the signed resource: botocore's HmacV1Auth.QSAOfInterest
# (a superset of the list in S3's documentation, and of s3cmd's). Every other parameter is unsigned.
SUBRESOURCES = frozenset(
    {
        "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory",
        "lifecycle", "location", "logging", "metrics", "notification", "object-lock",
        "partNumber", "policy", "replication", "requestPayment", "restore", "select",
        "select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads",
        "versionId", "versioning", "versions", "website", "response-cache-control",
        "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires",
    }
)  # fmt: skip
HEADER_SCHEME = "AWS "

_EPOCH_SECONDS = re.compile(r"[0-9]{1,19}")
_BUCKET_ONLY = re.compile(r"/[^/]+")


def canonical_resource(raw_path: str, raw_query: str, bucket: str | None) -> str:
    """``/bucket`` (virtual-host style too) + the path exactly as sent + the signed
    sub-resources, sorted by name, with values decoded (S3 signs them unencoded)."""
    subresources: list[tuple[str, str]] = []
    for piece in raw_query.split("&"):
        raw_name, eq, raw_value = piece.partition("=")
        name = unquote_plus(raw_name)
        if name in SUBRESOURCES:
            subresources.append((name, f"{name}={unquote_plus(raw_value)}" if eq else name))
    subresources.sort(key=lambda pair: pair[0])  # stable: repeated names keep their order
    resource = (f"/{bucket}" if bucket is not None else "") + (raw_path or "/")
    if subresources:
        resource += "?" + "&".join(rendered for _, rendered in subresources)
    return resource


def string_to_sign(
    request: SignedRequest,
    *,
    date: str,
    resource: str,
    amz_headers: RawHeaders,
    collapse: bool = False,
) -> bytes:
    """Bytes, because x-amz-meta-* values may be any UTF-8 and are signed as sent."""
    names = sorted({name for name, _ in amz_headers if name.startswith("x-amz-")})
    return b"\n".join(
        [
            request.method.encode(),
            _first(request.headers, "content-md5"),
            _first(request.headers, "content-type"),
            date.encode(),
            canonical.canonical_headers(amz_headers, names, collapse=collapse) + resource.encode(),
        ]
    )


def signature(secret: str, text: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), text, hashlib.sha1).digest()).decode()


class SigV2Verifier:
    """Verifies SigV2 requests against a credentials store; ``base_domains`` must be the front
    door's, because a virtual-host request signs ``/bucket`` although its path lacks it."""

    def __init__(
        self,
        credentials: CredentialLookup,
        *,
        base_domains: tuple[str, ...] = (),
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._credentials = credentials
        self._base_domains = base_domains
        self._clock = clock

    def verify(self, request: SignedRequest) -> AuthContext:
        authorization = request.header("authorization")
        if authorization is not None:
            return self._verify_header(request, authorization)
        return self._verify_presigned(request)

    def _verify_header(self, request: SignedRequest, authorization: str) -> AuthContext:
        access_key_id, colon, provided = authorization.removeprefix(HEADER_SCHEME).partition(":")
        if not colon or not access_key_id.strip() or not provided.strip():
            raise errors.InvalidArgument(
                "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
                ArgumentName="Authorization",
                ArgumentValue=authorization,
            )
        access_key_id = access_key_id.strip()
        amz_date = request.header("x-amz-date")
        signed_at = _parse_time(amz_date if amz_date is not None else request.header("date"))
        if signed_at is None:
            raise errors.AccessDenied(
                "AWS authentication requires a valid Date or x-amz-date header"
            )
        now = self._clock()
        if abs(now - signed_at) > MAX_SKEW:
            raise errors.RequestTimeTooSkewed(
                RequestTime=amz_date if amz_date is not None else request.header("date"),
                ServerTime=_iso(now),
                MaxAllowedSkewMilliseconds=int(MAX_SKEW.total_seconds() * 1000),
            )
        # x-amz-date is then one of the signed x-amz-* headers, and the Date line stays empty.
        date = "" if amz_date is not None else request.header("date") or ""
        return self._authenticate(
            request,
            access_key_id=access_key_id,
            date=date,
            amz_headers=request.headers,
            provided=provided.strip(),
            presigned=False,
        )

    def _verify_presigned(self, request: SignedRequest) -> AuthContext:
        query = request.query_values()
        if "Expires" not in query:
            raise errors.AccessDenied(
                "Query-string authentication requires the Signature, Expires and "
                "AWSAccessKeyId parameters"
            )
        expires = query["Expires"]
        if not _EPOCH_SECONDS.fullmatch(expires):
            raise errors.AccessDenied(f"Invalid date (should be seconds since epoch): {expires}")
        now = self._clock()
        # No upper bound: S3 documents none for SigV2 (the seven-day limit is SigV4's).
        if now.timestamp() > int(expires):
            raise errors.AccessDenied.with_fields(
                "Request has expired",
                {
                    "Expires": _iso(datetime.fromtimestamp(int(expires), UTC)),
                    "ServerTime": _iso(now),
                },
            )
        # Signers move x-amz-* headers (x-amz-security-token, metadata) into the query.
        hoisted = [
            (name.decode("utf-8", "replace").lower(), value)
            for name, value in canonical.query_pairs(request.raw_query)
            if name.lower().startswith(b"x-amz-")
        ]
        # Base64 has no spaces: a space is a '+' the client left unencoded in the URL.
        provided = query["Signature"].replace(" ", "+")
        return self._authenticate(
            request,
            access_key_id=query["AWSAccessKeyId"],
            date=expires,
            amz_headers=[*request.headers, *hoisted],
            provided=provided,
            presigned=True,
        )

    def _authenticate(
        self,
        request: SignedRequest,
        *,
        access_key_id: str,
        date: str,
        amz_headers: RawHeaders,
        provided: str,
        presigned: bool,
    ) -> AuthContext:
        """The caller, once the signature over the request's StringToSign checks out."""
        principal = self._credentials.secret_for(access_key_id)
        if principal is None:
            raise errors.InvalidAccessKeyId(AWSAccessKeyId=access_key_id)
        bucket = virtual_host_bucket(request.header("host") or "", self._base_domains)
        paths = [request.raw_path]
        if bucket is None and _BUCKET_ONLY.fullmatch(request.raw_path):
            paths.insert(0, request.raw_path + "/")  # botocore signs path-style /bkt as /bkt/
        texts: Sequence[bytes] = [
            string_to_sign(
                request,
                date=date,
                resource=canonical_resource(path, request.raw_query, bucket),
                amz_headers=amz_headers,
                collapse=collapse,
            )
            for path in paths
            # botocore and s3cmd sign values trimmed only; the spec also folds whitespace.
            for collapse in (False, True)
        ]
        for candidate in texts:
            computed = signature(principal.secret_access_key, candidate)
            if canonical.signatures_equal(computed, provided):
                return AuthContext(access_key_id, principal, Payload.UNSIGNED, presigned=presigned)
        text = texts[0].decode("utf-8", "replace")
        raise errors.SignatureDoesNotMatch(
            AWSAccessKeyId=access_key_id,
            StringToSign=text,
            SignatureProvided=provided,
            StringToSignBytes=canonical.hex_bytes(text),
        )


def _first(headers: RawHeaders, name: str) -> bytes:
    return next((value.strip(b" \t") for header, value in headers if header == name), b"")


def _parse_time(value: str | None) -> datetime | None:
    """An HTTP date (RFC 1123, what SigV2 clients send) or, leniently, ISO 8601 basic."""
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
