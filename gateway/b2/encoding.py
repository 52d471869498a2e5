"""B2's percent-encoding for names and file-info values (reference §3.1), and `/file/` URLs.

B2 decodes `+` as a space, so a literal `+` must travel as `%2B`; `urllib.parse.quote` does that.
"""

from __future__ import annotations

from urllib.parse import quote, unquote_plus

from yarl import URL

# Besides RFC 3986 unreserved characters, B2's docs list these as safe to leave unencoded.
_SAFE = "/!$'()*;=:@"


def b2_quote(text: str) -> str:
    """Percent-encode the UTF-8 bytes of a file name or info value for a header or URL path."""
    return quote(text.encode("utf-8"), safe=_SAFE)


def b2_unquote(text: str) -> str:
    """Decode a B2-encoded header value (`+` and `%20` both mean a space)."""
    return unquote_plus(text, encoding="utf-8", errors="strict")


def file_url(download_url: str, bucket_name: str, file_name: str) -> URL:
    """`{downloadUrl}/file/{bucket}/{name}`, encoded by us: yarl must not re-encode it."""
    path = f"/file/{b2_quote(bucket_name)}/{b2_quote(file_name)}"
    return URL(download_url.rstrip("/") + path, encoded=True)
