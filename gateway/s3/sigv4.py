"""Verify AWS Signature Version 4 for S3: Authorization header and presigned URLs.

``SigV4Verifier.verify`` takes the raw request line and headers and returns an ``AuthContext``:
who signed, and how the body must be checked (its declared sha256, or the chunk-signing context
the aws-chunked decoder continues the signature chain with). Errors are the S3 catalogue's, with
the fields real S3 returns, because clients act on them (botocore and s3cmd read ``<Region>``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Protocol

from gateway.s3 import canonical, errors
from gateway.s3.canonical import RawHeaders, Scope

Clock = Callable[[], datetime]
MAX_SKEW = timedelta(minutes=15)
MAX_PRESIGN_EXPIRES = 604800  # seven days, in seconds

_UNSUPPORTED_MECHANISM = (
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
)
_PRESIGN_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)
_HEX64 = re.compile(r"[0-9a-f]{64}")
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_AMZ_DATE_FORM = re.compile(r"[0-9]{8}T[0-9]{6}Z")
# x-amz-* headers S3 acts on and therefore insists are signed.
_MUST_SIGN_PREFIXES = ("x-amz-meta-", "x-amz-grant-", "x-amz-copy-source", "x-amz-checksum-")
_MUST_SIGN = frozenset({"x-amz-acl", "x-amz-tagging", "x-amz-website-redirect-location"})


class Payload(enum.Enum):
    """How the body is covered, from ``x-amz-content-sha256``."""

    SHA256 = "sha256"  # a hex digest of the whole body, verified while streaming
    UNSIGNED = "UNSIGNED-PAYLOAD"
    STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

    @property
    def aws_chunked(self) -> bool:
        return self.value.startswith("STREAMING-")

    @property
    def signed_chunks(self) -> bool:
        return self in (Payload.STREAMING_SIGNED, Payload.STREAMING_SIGNED_TRAILER)

    @property
    def trailer(self) -> bool:
        return self.value.endswith("-TRAILER")


class Principal(Protocol):
    """Whatever the credentials store returns: it must at least know the secret."""

    @property
    def access_key_id(self) -> str: ...

    @property
    def secret_access_key(self) -> str: ...


class CredentialLookup(Protocol):
    def secret_for(self, access_key_id: str) -> Principal | None: ...


class RequestVerifier(Protocol):
    """Another signature scheme the verifier hands requests to (SigV2, see gateway.s3.sigv2)."""

    def verify(self, request: SignedRequest) -> AuthContext: ...


@dataclass(frozen=True)
class SignedRequest:
    """The parts of an HTTP request a signature covers, exactly as received."""

    method: str
    raw_path: str  # without the query string, not decoded
    raw_query: str
    headers: RawHeaders

    def header(self, name: str) -> str | None:
        """First occurrence of a header, decoded as UTF-8 (lenient)."""
        for header, value in self.headers:
            if header == name:
                return value.decode("utf-8", "replace").strip()
        return None

    def query_values(self) -> dict[str, str]:
        return {
            name.decode("utf-8", "replace"): value.decode("utf-8", "replace")
            for name, value in canonical.query_pairs(self.raw_query)
        }


@dataclass(frozen=True)
class ChunkSigning:
    """What the aws-chunked decoder needs to continue the signature chain."""

    key: bytes
    amz_date: str
    scope: Scope
    seed_signature: str

    def chunk_signature(self, previous: str, data_sha256: str) -> str:
        text = canonical.chunk_string_to_sign(self.amz_date, self.scope, previous, data_sha256)
        return canonical.signature(self.key, text)

    def trailer_signature(self, previous: str, trailer_sha256: str) -> str:
        text = canonical.trailer_string_to_sign(self.amz_date, self.scope, previous, trailer_sha256)
        return canonical.signature(self.key, text)


@dataclass(frozen=True)
class AuthContext:
    """A verified caller, plus what the body decoder must still check."""

    access_key_id: str
    identity: Principal
    payload: Payload
    content_sha256: str | None = None  # the declared digest when payload is SHA256
    chunk_signing: ChunkSigning | None = None
    presigned: bool = False


@dataclass(frozen=True)
class AuthorizationHeader:
    access_key_id: str
    scope: Scope
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> AuthorizationHeader:
    """Parse ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != canonical.ALGORITHM:
        raise errors.InvalidRequest(_UNSUPPORTED_MECHANISM)
    parts: dict[str, str] = {}
    for component in rest.split(","):
        name, eq, val = component.strip().partition("=")
        if not eq or name in parts:
            raise errors.AuthorizationHeaderMalformed(
                f"The authorization header is malformed; the authorization component "
                f'"{component.strip()}" is malformed.'
            )
        parts[name] = val
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if name not in parts]
    if missing:
        raise errors.AuthorizationHeaderMalformed(
            f"The authorization header is malformed; the authorization header requires "
            f"three components: Credential, SignedHeaders, and Signature. Missing: {missing[0]}."
        )
    access_key_id, scope = _parse_credential(
        parts["Credential"], errors.AuthorizationHeaderMalformed
    )
    return AuthorizationHeader(
        access_key_id, scope, tuple(parts["SignedHeaders"].split(";")), parts["Signature"]
    )


def _parse_credential(value: str, error: type[errors.S3Error]) -> tuple[str, Scope]:
    pieces = value.split("/")
    prefix = _message_prefix(error)
    if len(pieces) != 5 or not all(pieces):
        raise error(
            prefix + 'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/'
            'SERVICE/aws4_request".'
        )
    return pieces[0], Scope(*pieces[1:])


def _message_prefix(error: type[errors.S3Error]) -> str:
    """S3 words credential errors after where the credential came from."""
    if error is errors.AuthorizationQueryParametersError:
        return "Error parsing the X-Amz-Credential parameter; "
    return "The authorization header is malformed; "


class SigV4Verifier:
    """Verifies requests against a credentials store; one instance per gateway. SigV2 requests
    go to ``sigv2`` when given, and are refused as unsupported otherwise."""

    def __init__(
        self,
        credentials: CredentialLookup,
        *,
        region: str,
        service: str = "s3",
        clock: Clock = lambda: datetime.now(UTC),
        sigv2: RequestVerifier | None = None,
    ) -> None:
        self._credentials = credentials
        self._region = region
        self._service = service
        self._clock = clock
        self._sigv2 = sigv2

    def verify(self, request: SignedRequest) -> AuthContext:
        query = request.query_values()
        authorization = request.header("authorization")
        sigv2_query = "AWSAccessKeyId" in query and "Signature" in query
        if authorization is not None and ("X-Amz-Algorithm" in query or sigv2_query):
            raise errors.InvalidArgument(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                "Signature query string parameter or the Authorization header should be "
                "specified",
                ArgumentName="Authorization",
                ArgumentValue=authorization,
            )
        if sigv2_query or (authorization or "").startswith("AWS "):
            if self._sigv2 is not None:
                return self._sigv2.verify(request)
            raise errors.InvalidRequest(_UNSUPPORTED_MECHANISM)
        if authorization is not None:
            return self._verify_header(request, parse_authorization(authorization))
        if "X-Amz-Algorithm" in query:
            return self._verify_presigned(request, query)
        raise errors.AccessDenied()

    # --- Authorization header -----------------------------------------------------------------

    def _verify_header(self, request: SignedRequest, auth: AuthorizationHeader) -> AuthContext:
        self._check_scope(auth.scope, errors.AuthorizationHeaderMalformed)
        amz_date, signed_at = _signing_time(request)
        if auth.scope.date != amz_date[:8]:
            raise errors.AuthorizationHeaderMalformed(
                "The authorization header is malformed; Invalid credential date. "
                "Date is not the same as X-Amz-Date."
            )
        now = self._clock()
        if abs(now - signed_at) > MAX_SKEW:
            raise errors.RequestTimeTooSkewed(
                RequestTime=request.header("x-amz-date") or request.header("date"),
                ServerTime=_iso(now),
                MaxAllowedSkewMilliseconds=int(MAX_SKEW.total_seconds() * 1000),
            )
        payload, declared = _payload(request.header("x-amz-content-sha256"))
        principal = self._principal(auth.access_key_id)
        _check_signed_headers(request, auth.signed_headers, content_md5=True)
        self._check_signature(
            request,
            access_key_id=auth.access_key_id,
            secret=principal.secret_access_key,
            scope=auth.scope,
            amz_date=amz_date,
            signed_headers=auth.signed_headers,
            query_string=canonical.canonical_query(request.raw_query),
            payload_hash=payload.value if payload is not Payload.SHA256 else declared or "",
            provided=auth.signature,
        )
        chunk_signing = None
        if payload.signed_chunks:
            key = canonical.signing_key(principal.secret_access_key, auth.scope)
            chunk_signing = ChunkSigning(key, amz_date, auth.scope, auth.signature)
        return AuthContext(
            auth.access_key_id, principal, payload, declared, chunk_signing, presigned=False
        )

    # --- presigned URL ------------------------------------------------------------------------

    def _verify_presigned(self, request: SignedRequest, query: Mapping[str, str]) -> AuthContext:
        error = errors.AuthorizationQueryParametersError
        if any(name not in query for name in _PRESIGN_PARAMS):
            raise error(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                "and X-Amz-Expires parameters."
            )
        if query["X-Amz-Algorithm"] != canonical.ALGORITHM:
            raise error('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
        access_key_id, scope = _parse_credential(query["X-Amz-Credential"], error)
        self._check_scope(scope, error)
        expires = _presign_expires(query["X-Amz-Expires"])
        amz_date = query["X-Amz-Date"]
        signed_at = _parse_amz_date(amz_date)
        if signed_at is None:
            raise error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        if scope.date != amz_date[:8]:
            raise error(
                "Error parsing the X-Amz-Credential parameter; Invalid credential date. "
                "Date is not the same as X-Amz-Date."
            )
        now = self._clock()
        # No 15-minute skew rule here: a seven-day URL must work for seven days.
        if signed_at - now > MAX_SKEW:
            raise errors.AccessDenied("Request is not yet valid")
        if now > signed_at + timedelta(seconds=expires):
            raise errors.AccessDenied.with_fields(
                "Request has expired",
                {
                    "X-Amz-Expires": expires,
                    "Expires": _iso(signed_at + timedelta(seconds=expires)),
                    "ServerTime": _iso(now),
                },
            )
        principal = self._principal(access_key_id)
        signed_headers = tuple(query["X-Amz-SignedHeaders"].split(";"))
        _check_signed_headers(request, signed_headers, content_md5=False)
        self._check_signature(
            request,
            access_key_id=access_key_id,
            secret=principal.secret_access_key,
            scope=scope,
            amz_date=amz_date,
            signed_headers=signed_headers,
            query_string=canonical.canonical_query(request.raw_query, exclude=("X-Amz-Signature",)),
            payload_hash=query.get("X-Amz-Content-Sha256", canonical.UNSIGNED_PAYLOAD),
            provided=query["X-Amz-Signature"],
        )
        return AuthContext(access_key_id, principal, Payload.UNSIGNED, presigned=True)

    # --- shared steps -------------------------------------------------------------------------

    def _check_scope(self, scope: Scope, error: type[errors.S3Error]) -> None:
        prefix = _message_prefix(error)
        if scope.region != self._region:
            raise error(
                f"{prefix}the region '{scope.region}' is wrong; expecting '{self._region}'",
                Region=self._region,
            )
        if scope.service != self._service:
            raise error(
                f"{prefix}incorrect service '{scope.service}'. This endpoint belongs to 's3'."
            )
        if scope.terminator != "aws4_request":
            raise error(
                f"{prefix}incorrect terminal '{scope.terminator}'. "
                "This endpoint uses 'aws4_request'."
            )

    def _principal(self, access_key_id: str) -> Principal:
        principal = self._credentials.secret_for(access_key_id)
        if principal is None:
            raise errors.InvalidAccessKeyId(AWSAccessKeyId=access_key_id)
        return principal

    def _check_signature(
        self,
        request: SignedRequest,
        *,
        access_key_id: str,
        secret: str,
        scope: Scope,
        amz_date: str,
        signed_headers: Sequence[str],
        query_string: str,
        payload_hash: str,
        provided: str,
    ) -> None:
        key = canonical.signing_key(secret, scope)
        first: tuple[str, bytes] | None = None
        # The spec collapses inner whitespace; s3cmd signs values without collapsing them.
        for collapse in (True, False):
            creq = canonical.canonical_request(
                request.method,
                request.raw_path,
                query_string,
                request.headers,
                signed=signed_headers,
                payload_hash=payload_hash,
                collapse=collapse,
            )
            text = canonical.string_to_sign(amz_date, scope, creq)
            if canonical.signatures_equal(canonical.signature(key, text), provided):
                return
            first = first or (text, creq)
        assert first is not None
        text, creq = first
        creq_text = creq.decode("utf-8", "replace")
        raise errors.SignatureDoesNotMatch(
            AWSAccessKeyId=access_key_id,
            StringToSign=text,
            SignatureProvided=provided,
            StringToSignBytes=canonical.hex_bytes(text),
            CanonicalRequest=creq_text,
            CanonicalRequestBytes=canonical.hex_bytes(creq_text),
        )


def _signing_time(request: SignedRequest) -> tuple[str, datetime]:
    """The x-amz-date value as sent (it is line 2 of the string to sign), else ``Date``."""
    amz_date = request.header("x-amz-date")
    if amz_date is not None:
        parsed = _parse_amz_date(amz_date)
        if parsed is not None:
            return amz_date, parsed
    else:
        date = request.header("date")
        if date is not None:
            try:
                parsed = parsedate_to_datetime(date)
            except (TypeError, ValueError):
                parsed = None
            if parsed is not None and parsed.tzinfo is not None:
                return parsed.astimezone(UTC).strftime(_AMZ_DATE), parsed
    raise errors.AccessDenied("AWS authentication requires a valid Date or x-amz-date header")


def _parse_amz_date(value: str) -> datetime | None:
    """``yyyyMMdd'T'HHmmss'Z'`` exactly; sliced by hand, as ``strptime`` costs several times more
    (and would take one-digit fields too)."""
    if not _AMZ_DATE_FORM.fullmatch(value):
        return None
    try:
        return datetime(
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[9:11]),
            int(value[11:13]),
            int(value[13:15]),
            tzinfo=UTC,
        )
    except ValueError:  # a field out of range: month 13, second 60...
        return None


def _presign_expires(value: str) -> int:
    error = errors.AuthorizationQueryParametersError
    try:
        expires = int(value)
    except ValueError:
        raise error("X-Amz-Expires should be a number") from None
    if expires < 0:
        raise error("X-Amz-Expires must be non-negative")
    if expires == 0:
        raise error("X-Amz-Expires must be at least 1 second")
    if expires > MAX_PRESIGN_EXPIRES:
        raise error(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given "
            "X-Amz-Expires must be less than 604800 seconds"
        )
    return expires


def _payload(value: str | None) -> tuple[Payload, str | None]:
    if value is None:
        raise errors.InvalidRequest(
            "Missing required header for this request: x-amz-content-sha256"
        )
    if _HEX64.fullmatch(value):
        return Payload.SHA256, value
    for payload in Payload:
        if payload is not Payload.SHA256 and payload.value == value:
            return payload, None
    if value.startswith("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"):
        raise errors.NotImplemented(
            "SigV4a (ECDSA) streaming payloads are not supported", Header="x-amz-content-sha256"
        )
    raise errors.InvalidArgument(
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, "
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
        ArgumentName="x-amz-content-sha256",
        ArgumentValue=value,
    )


def _check_signed_headers(
    request: SignedRequest, signed_headers: Sequence[str], *, content_md5: bool
) -> None:
    if "host" not in signed_headers:
        raise errors.AccessDenied("Host header must be signed", HeadersNotSigned="host")
    present = {name for name, _ in request.headers}
    unsigned = sorted(
        name
        for name in present - set(signed_headers)
        if name in _MUST_SIGN
        or name.startswith(_MUST_SIGN_PREFIXES)
        or (content_md5 and name == "content-md5")
    )
    if unsigned:
        raise errors.AccessDenied(
            "There were headers present in the request which were not signed",
            HeadersNotSigned=", ".join(unsigned),
        )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
