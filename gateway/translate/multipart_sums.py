"""What a completed multipart upload answers with, from its parts' digests (pure).

S3's multipart ETag is ``md5(concat(binary part MD5s))-N``. An upload started with a checksum
algorithm gets an object checksum too: COMPOSITE (the algorithm over the concatenated binary
part checksums, then ``-N``) or FULL_OBJECT (CRCs only: the parts' CRCs combined into the CRC of
the whole object, which a client can check against the bytes it downloads).
"""

from __future__ import annotations

import base64
import enum
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from awscrt import checksums as crt

from gateway.s3 import errors
from gateway.s3.checksums import ChecksumAlgorithm


class ChecksumType(enum.Enum):
    COMPOSITE = "COMPOSITE"
    FULL_OBJECT = "FULL_OBJECT"


_CRCS = (ChecksumAlgorithm.CRC32, ChecksumAlgorithm.CRC32C, ChecksumAlgorithm.CRC64NVME)


@dataclass(frozen=True)
class ChecksumChoice:
    """The checksum an upload was created with (``x-amz-checksum-algorithm`` / ``-type``)."""

    algorithm: ChecksumAlgorithm
    type: ChecksumType

    @classmethod
    def from_headers(cls, algorithm: str | None, kind: str | None) -> ChecksumChoice | None:
        if algorithm is None:
            if kind is not None:
                raise errors.InvalidRequest(
                    "The x-amz-checksum-type header can only be used "
                    "with the x-amz-checksum-algorithm header."
                )
            return None
        try:
            chosen = ChecksumAlgorithm(algorithm.lower())
        except ValueError:
            raise errors.InvalidRequest(
                "Checksum algorithm provided is unsupported. Please try again with any of the "
                "valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"
            ) from None
        # S3's defaults: CRC64NVME is always full-object, everything else composite.
        default = ChecksumType.FULL_OBJECT if chosen in _CRCS[2:] else ChecksumType.COMPOSITE
        try:
            checksum_type = ChecksumType((kind or default.value).upper())
        except ValueError:
            raise errors.InvalidRequest(
                "Value for x-amz-checksum-type header is invalid."
            ) from None
        full_object = checksum_type is ChecksumType.FULL_OBJECT
        if not (chosen in _CRCS if full_object else chosen is not ChecksumAlgorithm.CRC64NVME):
            raise errors.InvalidRequest(
                f"The {checksum_type.value} type for the checksum algorithm {chosen.name} "
                "is not supported."
            )
        return cls(chosen, checksum_type)


@dataclass(frozen=True)
class PartDigest:
    size: int
    md5_hex: str
    checksum: str | None  # base64, of the upload's checksum algorithm


def multipart_etag(md5_hexes: Sequence[str]) -> str:
    joined = b"".join(bytes.fromhex(h) for h in md5_hexes)
    return f"{hashlib.md5(joined, usedforsecurity=False).hexdigest()}-{len(md5_hexes)}"


def object_checksum(choice: ChecksumChoice, parts: Sequence[PartDigest]) -> str | None:
    """The object's checksum value; None when a part has none (nothing sound to combine)."""
    values = [p.checksum for p in parts]
    if not parts or any(v is None for v in values):
        return None
    digests = [base64.b64decode(v) for v in values if v is not None]
    if choice.type is ChecksumType.COMPOSITE:
        hasher = choice.algorithm.hasher()
        hasher.update(b"".join(digests))
        return f"{base64.b64encode(hasher.digest()).decode()}-{len(parts)}"
    combined = 0
    for digest, part in zip(digests, parts, strict=True):
        combined = _combine(choice.algorithm, combined, int.from_bytes(digest, "big"), part.size)
    size = choice.algorithm.digest_size
    return base64.b64encode(combined.to_bytes(size, "big")).decode()


def _combine(algorithm: ChecksumAlgorithm, crc: int, following: int, length: int) -> int:
    if algorithm is ChecksumAlgorithm.CRC32:
        combined = crt.combine_crc32(crc, following, length)
    elif algorithm is ChecksumAlgorithm.CRC32C:
        combined = crt.combine_crc32c(crc, following, length)
    else:
        combined = crt.combine_crc64nvme(crc, following, length)
    return int(combined)
