"""Integrity checks on a request body, computed while it streams.

Which checks apply comes from the headers (``Content-MD5``, ``x-amz-content-sha256``,
``x-amz-checksum-<alg>`` or a declared ``x-amz-trailer``); ``BodyDigester`` hashes the decoded
bytes as they pass and ``finish`` gives the verdict. MD5 (the ETag) is computed unless the consumer
declines it before the first byte (it takes the ETag from B2's answer instead) and no Content-MD5
has to be checked. B2's SHA-1 is the uploader's business (``gateway.b2.body``), not this module's.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from awscrt import checksums as crt

from gateway.s3 import errors

CHECKSUM_PREFIX = "x-amz-checksum-"
# Headers that share the prefix but carry no checksum value.
_NOT_VALUES = frozenset({"x-amz-checksum-mode", "x-amz-checksum-type", "x-amz-checksum-algorithm"})


class Hasher(Protocol):
    """What every digest here offers: hashlib objects and the CRCs below."""

    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


class _Crc:
    """A running CRC with the big-endian digest S3 uses."""

    def __init__(self, kind: str) -> None:
        self._kind = kind
        self._value = 0

    def update(self, data: bytes, /) -> None:
        if self._kind == "crc32":
            self._value = zlib.crc32(data, self._value)
        elif self._kind == "crc32c":
            self._value = crt.crc32c(data, self._value)
        else:
            self._value = crt.crc64nvme(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(8 if self._kind == "crc64nvme" else 4, "big")


class ChecksumAlgorithm(enum.Enum):
    CRC32 = "crc32"
    CRC32C = "crc32c"
    CRC64NVME = "crc64nvme"
    SHA1 = "sha1"
    SHA256 = "sha256"

    @property
    def header(self) -> str:
        return CHECKSUM_PREFIX + self.value

    @property
    def digest_size(self) -> int:
        return {"crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32}[self.value]

    def hasher(self) -> Hasher:
        if self.value.startswith("crc"):
            return _Crc(self.value)
        return hashlib.new(self.value)

    @classmethod
    def from_header(cls, name: str) -> ChecksumAlgorithm:
        try:
            return cls(name.removeprefix(CHECKSUM_PREFIX))
        except ValueError:
            raise errors.InvalidRequest(
                f"The algorithm specified in {name} is not supported."
            ) from None


@dataclass(frozen=True)
class Expectations:
    """What the client claims about the body; ``checksum_value`` is None when the checksum
    is still to come in a trailer."""

    content_md5: bytes | None = None
    content_sha256: str | None = None
    checksum: ChecksumAlgorithm | None = None
    checksum_value: str | None = None


def is_checksum_value_header(name: str) -> bool:
    """``x-amz-checksum-<algorithm>``: a value, not ``-mode``, ``-type`` or ``-algorithm``."""
    return name.startswith(CHECKSUM_PREFIX) and name not in _NOT_VALUES


def expectations(
    headers: Mapping[str, str], *, content_sha256: str | None, trailers: tuple[str, ...] = ()
) -> Expectations:
    """Validate the checksum headers' syntax (InvalidDigest / InvalidRequest) up front.
    ``headers`` maps lower-case names to values."""
    md5 = headers.get("content-md5")
    content_md5 = _decode_md5(md5) if md5 is not None else None
    named = [name for name in headers if is_checksum_value_header(name)]
    named += [name for name in trailers if name.startswith(CHECKSUM_PREFIX)]
    if len(named) > 1:
        raise errors.InvalidRequest(
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
        )
    algorithm = ChecksumAlgorithm.from_header(named[0]) if named else None
    value = headers.get(algorithm.header) if algorithm is not None else None
    if algorithm is not None and value is not None:
        check_checksum_syntax(algorithm, value, where="header")
    sdk = headers.get("x-amz-sdk-checksum-algorithm")
    if sdk is not None and algorithm is not None and sdk.lower() != algorithm.value:
        raise errors.InvalidRequest("Value for x-amz-sdk-checksum-algorithm header is invalid.")
    return Expectations(content_md5, content_sha256, algorithm, value)


def check_checksum_syntax(algorithm: ChecksumAlgorithm, value: str, *, where: str) -> None:
    """``where`` is "header" or "trailing header", as in S3's message."""
    decoded = _b64(value)
    if decoded is None or len(decoded) != algorithm.digest_size:
        raise errors.InvalidRequest(f"Value for {algorithm.header} {where} is invalid.")


@dataclass(frozen=True)
class BodyDigest:
    """Digests of the decoded body, available once every check has passed."""

    length: int
    md5_hex: str | None  # None when the MD5 was declined (see ``BodyDigester.decline_md5``)
    checksums: Mapping[ChecksumAlgorithm, str]  # base64, as S3 returns them


class BodyDigester:
    """Hashes decoded bytes in-stream and checks them against the expectations at the end."""

    def __init__(self, expected: Expectations) -> None:
        self.expected = expected
        self.length = 0
        self._md5: Hasher | None = hashlib.md5(usedforsecurity=False)
        self._sha256 = hashlib.sha256() if expected.content_sha256 is not None else None
        self._checksum = expected.checksum.hasher() if expected.checksum is not None else None

    def decline_md5(self) -> None:
        """Skip the MD5 (the costliest hash here) unless Content-MD5 must be checked: the
        consumer takes the ETag from elsewhere. Only before the first byte."""
        if self.length:
            raise RuntimeError("the MD5 can be declined only before the body is read")
        if self.expected.content_md5 is None:
            self._md5 = None

    def update(self, data: bytes) -> None:
        self.length += len(data)
        if self._md5 is not None:
            self._md5.update(data)
        if self._sha256 is not None:
            self._sha256.update(data)
        if self._checksum is not None:
            self._checksum.update(data)

    def finish(self, trailers: Mapping[str, str]) -> BodyDigest:
        """The verdict. ``trailers`` are the (lower-case) aws-chunked trailers, if any."""
        expected = self.expected
        if self._sha256 is not None and self._sha256.hexdigest() != expected.content_sha256:
            raise errors.XAmzContentSHA256Mismatch(
                ClientComputedContentSHA256=expected.content_sha256,
                S3ComputedContentSHA256=self._sha256.hexdigest(),
            )
        md5 = self._md5.digest() if self._md5 is not None else None
        if expected.content_md5 is not None and md5 != expected.content_md5:
            assert md5 is not None  # never declined while Content-MD5 is expected
            raise errors.BadDigest(
                ExpectedDigest=expected.content_md5.hex(), CalculatedDigest=_b64encode(md5)
            )
        computed: dict[ChecksumAlgorithm, str] = {}
        if expected.checksum is not None and self._checksum is not None:
            algorithm = expected.checksum
            claimed = expected.checksum_value
            if claimed is None:
                claimed = trailers.get(algorithm.header)
                if claimed is None:
                    raise errors.MalformedTrailerError()
                check_checksum_syntax(algorithm, claimed, where="trailing header")
            computed[algorithm] = _b64encode(self._checksum.digest())
            if computed[algorithm] != claimed:
                raise errors.BadDigest(
                    f"The {algorithm.name} you specified did not match the calculated checksum."
                )
        return BodyDigest(self.length, md5.hex() if md5 is not None else None, computed)


def _decode_md5(value: str) -> bytes:
    decoded = _b64(value)
    if decoded is None or len(decoded) != 16:
        raise errors.InvalidDigest.with_fields(None, {"Content-MD5": value})
    return decoded


def _b64(value: str) -> bytes | None:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def _b64encode(digest: bytes) -> str:
    return base64.b64encode(digest).decode()
