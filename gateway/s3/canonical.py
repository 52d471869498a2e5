"""SigV4 canonicalisation and signing, S3 flavour: pure functions over the raw request.

S3 differs from other AWS services: the path is neither normalised nor double-encoded, so the
canonical URI is rebuilt from the raw path by decoding each segment once and re-encoding it.
Everything here works on the bytes the client sent, never on a framework's decoded view.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

RawHeaders = Sequence[tuple[str, bytes]]
"""Headers in wire order as (lower-case name, raw value bytes); duplicates kept."""

_WHITESPACE_RUN = re.compile(rb"[ \t]+")
# A path of unreserved characters and slashes only (the usual kind) is its own canonical form.
_CANONICAL_PATH = re.compile(r"[A-Za-z0-9\-._~/]+")


def uri_encode(raw: bytes) -> str:
    """AWS UriEncode: keep ``A-Za-z0-9-._~``; everything else becomes upper-case ``%XX``."""
    return quote(raw, safe="-._~")


def canonical_uri(raw_path: str) -> str:
    """Decode each ``/``-separated segment once and re-encode it. No dot-segment or ``//``
    removal: ``a//b`` and ``a/./b`` are different S3 keys."""
    if not raw_path:
        return "/"
    if _CANONICAL_PATH.fullmatch(raw_path):
        return raw_path
    return "/".join(uri_encode(unquote_to_bytes(segment)) for segment in raw_path.split("/"))


def query_pairs(raw_query: str) -> list[tuple[bytes, bytes]]:
    """Raw query pairs decoded once (a raw ``+`` is a space), duplicates and order kept."""
    pairs = []
    for piece in raw_query.split("&"):
        if piece:
            name, _, value = piece.partition("=")
            pairs.append((_decode_query(name), _decode_query(value)))
    return pairs


def canonical_query(raw_query: str, *, exclude: Iterable[str] = ()) -> str:
    if not raw_query:
        return ""
    excluded = {name.encode() for name in exclude}
    encoded = sorted(
        (uri_encode(name), uri_encode(value))
        for name, value in query_pairs(raw_query)
        if name not in excluded
    )  # sort the (name, value) tuples, not "name=value" strings: "a" < "a-b"
    return "&".join(f"{name}={value}" for name, value in encoded)


def canonical_headers(
    headers: RawHeaders, signed: Sequence[str], *, collapse: bool = True
) -> bytes:
    """``name:value\\n`` for each signed header. Repeated headers are joined with ``,`` in wire
    order; each value is trimmed and (per the spec) inner whitespace runs collapsed. Callers may
    ask for the uncollapsed form because s3cmd signs values without collapsing."""
    lines = []
    for name in signed:
        values = [value.strip(b" \t") for header, value in headers if header == name]
        if collapse:
            values = [_collapse(value) for value in values]
        lines.append(name.encode() + b":" + b",".join(values) + b"\n")
    return b"".join(lines)


def _collapse(value: bytes) -> bytes:
    if b"  " not in value and b"\t" not in value:
        return value  # nothing to collapse: skip the regex
    return _WHITESPACE_RUN.sub(b" ", value)


def canonical_request(
    method: str,
    raw_path: str,
    canonical_query_string: str,
    headers: RawHeaders,
    *,
    signed: Sequence[str],
    payload_hash: str,
    collapse: bool = True,
) -> bytes:
    return b"\n".join(
        [
            method.encode(),
            canonical_uri(raw_path).encode(),
            canonical_query_string.encode(),
            canonical_headers(headers, signed, collapse=collapse),
            ";".join(signed).encode(),
            payload_hash.encode(),
        ]
    )


@dataclass(frozen=True)
class Scope:
    """The credential scope ``date/region/service/aws4_request``."""

    date: str
    region: str
    service: str
    terminator: str = "aws4_request"

    def __str__(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{self.terminator}"


def string_to_sign(amz_date: str, scope: Scope, canonical: bytes) -> str:
    digest = hashlib.sha256(canonical).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


def chunk_string_to_sign(amz_date: str, scope: Scope, previous: str, data_sha256: str) -> str:
    return f"{ALGORITHM}-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{EMPTY_SHA256}\n{data_sha256}"


def trailer_string_to_sign(amz_date: str, scope: Scope, previous: str, trailer_sha256: str) -> str:
    return f"{ALGORITHM}-TRAILER\n{amz_date}\n{scope}\n{previous}\n{trailer_sha256}"


@functools.lru_cache(maxsize=1024)
def signing_key(secret: str, scope: Scope) -> bytes:
    """kSigning; cached because it only changes daily per (secret, region)."""
    key = _hmac(("AWS4" + secret).encode(), scope.date)
    for part in (scope.region, scope.service, scope.terminator):
        key = _hmac(key, part)
    return key


def signature(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def signatures_equal(computed: str, provided: str) -> bool:
    return hmac.compare_digest(computed.encode(), provided.encode("utf-8", "replace"))


def hex_bytes(text: str) -> str:
    """S3's ``StringToSignBytes`` form: space-separated two-digit lower-case hex."""
    return " ".join(f"{byte:02x}" for byte in text.encode("utf-8", "replace"))


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _decode_query(raw: str) -> bytes:
    return unquote_to_bytes(raw.replace("+", " "))
