"""Pure mappings between S3 object attributes and B2 file info.

B2 keeps everything the gateway needs to answer S3 in a file's ``fileInfo`` map, which is fixed
when the upload starts. The map holds three kinds of entries:

* the five ``b2-*`` keys B2 turns back into real HTTP headers on download
  (Content-Disposition, Content-Language, Expires, Cache-Control, Content-Encoding);
* user metadata (``x-amz-meta-<key>`` ↔ ``<key>``);
* one entry the gateway owns, ``RESERVED_KEY``, packing the S3 ETag and client checksums, so that
  the gateway's own bookkeeping costs one of B2's (at most ten) entries, not several.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gateway.s3.errors import InvalidArgument, MetadataTooLarge

META_PREFIX = "x-amz-meta-"
RESERVED_KEY = "s3gw"

# S3 request header -> B2 file info key; B2 answers downloads with the real header again.
CONTENT_HEADERS: Mapping[str, str] = {
    "content-disposition": "b2-content-disposition",
    "content-language": "b2-content-language",
    "expires": "b2-expires",
    "cache-control": "b2-cache-control",
    "content-encoding": "b2-content-encoding",
}

MAX_INFO_ENTRIES = 10  # B2's documented limit on X-Bz-Info-* headers
MAX_INFO_KEY_BYTES = 50  # B2's limit on one file info key
MAX_USER_METADATA_BYTES = 2048  # S3's limit: keys + values of user metadata, UTF-8


MAX_LAYOUT_RUNS = 32  # a layout costs at most ~600 bytes of B2's 7,000 for file info


@dataclass(frozen=True)
class PartLayout:
    """Where each part of a multipart object lies, as runs of (count, size) in part order, so
    GET/HEAD ?partNumber=N can answer part N's bytes. A part ends at the object's end at the
    latest, so a last part smaller than the ones before it needs no run of its own: the layout
    of an upload in equal parts (what clients send) is one run, ``"<count>x<size>"``."""

    runs: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, sizes: Iterable[int]) -> PartLayout | None:
        """The layout of parts of these sizes; None without parts or when it would take more
        than ``MAX_LAYOUT_RUNS`` runs (then the object answers as one part)."""
        runs: list[tuple[int, int]] = []
        for size in sizes:
            if runs and runs[-1][1] == size:
                runs[-1] = (runs[-1][0] + 1, size)
            else:
                runs.append((1, size))
        if len(runs) >= 2 and runs[-1][0] == 1 and runs[-1][1] <= runs[-2][1]:
            runs.pop()  # the last part: the end of the object cuts the run before it short
            runs[-1] = (runs[-1][0] + 1, runs[-1][1])
        return cls(tuple(runs)) if 0 < len(runs) <= MAX_LAYOUT_RUNS else None

    @property
    def count(self) -> int:
        return sum(count for count, _ in self.runs)

    def span(self, number: int, total: int) -> tuple[int, int]:
        """(first, last) byte of part ``number`` (1-based, at most ``count``) of an object of
        ``total`` bytes; last < first for an empty part."""
        offset = 0
        for count, size in self.runs:
            if number <= count:
                first = offset + (number - 1) * size
                return first, min(first + size, total) - 1
            number -= count
            offset += count * size
        raise ValueError(f"no part {number} in {self.count} parts")

    def encode(self) -> str:
        return ",".join(f"{count}x{size}" for count, size in self.runs)

    @classmethod
    def decode(cls, text: str) -> PartLayout | None:
        runs = []
        for run in text.split(","):
            count, _, size = run.partition("x")
            if not (count.isdigit() and size.isdigit()) or int(count) == 0:
                return None
            runs.append((int(count), int(size)))
        return cls(tuple(runs))


@dataclass(frozen=True)
class GatewayInfo:
    """What the gateway itself records about an object, packed into ``RESERVED_KEY``."""

    etag: str | None = None  # hex MD5, or "<hex>-<parts>" for multipart objects
    checksums: Mapping[str, str] = field(default_factory=dict)  # e.g. {"CRC32": "<base64>"}
    parts: PartLayout | None = None  # a multipart object's parts

    def encode(self) -> str:
        pairs = [] if self.etag is None else [f"etag={self.etag}"]
        if self.parts is not None:
            pairs.append(f"parts={self.parts.encode()}")
        pairs += [f"{name.lower()}={value}" for name, value in sorted(self.checksums.items())]
        return ";".join(pairs)

    @classmethod
    def decode(cls, text: str | None) -> GatewayInfo:
        etag: str | None = None
        parts: PartLayout | None = None
        checksums: dict[str, str] = {}
        for pair in (text or "").split(";"):
            name, sep, value = pair.partition("=")  # base64 values may end in '='
            if not sep:
                continue
            if name == "etag":
                etag = value
            elif name == "parts":
                parts = PartLayout.decode(value)
            else:
                checksums[name.upper()] = value
        return cls(etag=etag, checksums=checksums, parts=parts)


@dataclass(frozen=True)
class ObjectAttributes:
    """The S3-visible attributes of an object that live in B2 file info."""

    metadata: Mapping[str, str] = field(default_factory=dict)  # user metadata, keys lower-case
    content_headers: Mapping[str, str] = field(default_factory=dict)  # lower-case header names
    gateway: GatewayInfo = field(default_factory=GatewayInfo)


def attributes_from_headers(headers: Iterable[tuple[str, str]]) -> ObjectAttributes:
    """Collect user metadata and content headers from an S3 request, refusing what B2 can't hold.

    ``headers`` is every (name, value) pair of the request, names in any case.
    """
    metadata: dict[str, str] = {}
    content: dict[str, str] = {}
    for raw_name, value in headers:
        name = raw_name.lower()
        if name.startswith(META_PREFIX):
            key = name.removeprefix(META_PREFIX)
            _check_metadata_key(key)
            # S3 joins repeated metadata headers with commas, as HTTP does.
            metadata[key] = f"{metadata[key]},{value}" if key in metadata else value
        elif name in CONTENT_HEADERS:
            content[name] = value
    encoding = _without_aws_chunked(content.pop("content-encoding", ""))
    if encoding:
        content["content-encoding"] = encoding
    _check_metadata_size(metadata)
    return ObjectAttributes(metadata=metadata, content_headers=content)


def to_file_info(attributes: ObjectAttributes) -> dict[str, str]:
    """The B2 ``fileInfo`` map for an object; raises if it would exceed B2's entry limit."""
    info = {CONTENT_HEADERS[name]: value for name, value in attributes.content_headers.items()}
    info.update(attributes.metadata)
    packed = attributes.gateway.encode()
    if packed:
        info[RESERVED_KEY] = packed
    if len(info) > MAX_INFO_ENTRIES:
        raise MetadataTooLarge(
            f"Backblaze B2 keeps at most {MAX_INFO_ENTRIES} metadata entries per object, "
            "content headers included.",
        )
    return info


_HEADER_OF_B2_KEY = {b2_key: header for header, b2_key in CONTENT_HEADERS.items()}
_NOTHING_RECORDED = GatewayInfo()


def from_file_info(info: Mapping[str, str]) -> ObjectAttributes:
    """Split a B2 ``fileInfo`` map back into S3 metadata, content headers and gateway info."""
    metadata: dict[str, str] = {}
    content: dict[str, str] = {}
    for key, value in info.items():
        if key in _HEADER_OF_B2_KEY:
            content[_HEADER_OF_B2_KEY[key]] = value
        elif key != RESERVED_KEY and not key.startswith("b2-"):
            metadata[key] = value
    return ObjectAttributes(metadata=metadata, content_headers=content, gateway=gateway_info(info))


def gateway_info(info: Mapping[str, str]) -> GatewayInfo:
    """Only what the gateway recorded in a B2 ``fileInfo`` map (the cheap part, for hot paths)."""
    packed = info.get(RESERVED_KEY)
    return _NOTHING_RECORDED if packed is None else GatewayInfo.decode(packed)


def quoted_etag(etag: str) -> str:
    return f'"{etag}"'


def mail_safe(value: str) -> str:
    """A user metadata value as S3 returns it: non-ASCII text as one RFC 2047 encoded word
    (HTTP header values are ASCII; clients would read raw UTF-8 as Latin-1)."""
    if value.isascii():
        return value
    return f"=?UTF-8?B?{base64.b64encode(value.encode()).decode('ascii')}?="


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(millis: int) -> str:
    """B2 upload timestamp (ms) -> the RFC 7231 date of Last-Modified headers. Formatted by
    hand (English names whatever the locale): ``email.utils`` costs ~4x more per GET/HEAD."""
    t = _utc(millis)
    day = f"{_WEEKDAYS[t.weekday()]}, {t.day:02d} {_MONTHS[t.month - 1]} {t.year:04d}"
    return f"{day} {t.hour:02d}:{t.minute:02d}:{t.second:02d} GMT"


def iso8601(millis: int) -> str:
    """B2 upload timestamp (ms) -> the timestamp format of S3 XML bodies."""
    return _utc(millis).strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def _utc(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def _check_metadata_key(key: str) -> None:
    if not key:
        raise InvalidArgument(
            "User metadata key must not be empty.", ArgumentName="x-amz-meta-", ArgumentValue=""
        )
    if key.startswith("b2-") or key == RESERVED_KEY:
        raise InvalidArgument(
            "This metadata key is reserved by the storage backend.",
            ArgumentName=META_PREFIX + key,
            ArgumentValue=key,
        )
    if len(key.encode()) > MAX_INFO_KEY_BYTES:
        raise MetadataTooLarge(
            f"Backblaze B2 limits a metadata key to {MAX_INFO_KEY_BYTES} bytes.",
            Size=len(key.encode()),
            MaxSizeAllowed=MAX_INFO_KEY_BYTES,
        )


def _check_metadata_size(metadata: Mapping[str, str]) -> None:
    size = sum(len(k.encode()) + len(v.encode()) for k, v in metadata.items())
    if size > MAX_USER_METADATA_BYTES:
        raise MetadataTooLarge(Size=size, MaxSizeAllowed=MAX_USER_METADATA_BYTES)


def _without_aws_chunked(encoding: str) -> str:
    """S3 drops the ``aws-chunked`` transfer coding from the stored Content-Encoding."""
    codings = [c.strip() for c in encoding.split(",")]
    return ",".join(c for c in codings if c and c.lower() != "aws-chunked")
