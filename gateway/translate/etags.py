"""Which ETag an object answers with, from what B2 keeps about it (pure)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from gateway.translate.mapping import from_file_info


def stored_etag(file_info: Mapping[str, str], content_md5: str | None) -> str | None:
    """The unquoted ETag: the gateway's own record, else B2's contentMd5 (single-part files)."""
    return from_file_info(file_info).gateway.etag or content_md5


def fallback_etag(file_id: str) -> str:
    """For a large file written by another B2 tool no MD5 exists anywhere: a stable,
    hex-shaped, per-version value keeps clients that parse ETags as hex working."""
    return hashlib.md5(file_id.encode(), usedforsecurity=False).hexdigest() + "-1"
