"""Which ETag an object answers with, from what B2 keeps about it (pure)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from gateway.b2 import FileVersion
from gateway.translate.mapping import from_file_info

_MD5_HEX = re.compile(r"[0-9a-f]{32}")


def stored_etag(file_info: Mapping[str, str], content_md5: str | None) -> str | None:
    """The unquoted ETag: the gateway's own record, else B2's contentMd5 (single-part files)."""
    return from_file_info(file_info).gateway.etag or content_md5


def reported_md5(version: FileVersion) -> str | None:
    """B2's contentMd5 of a simple file it just stored, if it gave a well-formed one (large
    files have none)."""
    md5 = version.content_md5
    return md5 if md5 is not None and _MD5_HEX.fullmatch(md5) else None


def fallback_etag(file_id: str) -> str:
    """For a large file written by another B2 tool no MD5 exists anywhere: a stable,
    hex-shaped, per-version value keeps clients that parse ETags as hex working."""
    return hashlib.md5(file_id.encode(), usedforsecurity=False).hexdigest() + "-1"
