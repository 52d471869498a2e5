"""B2's naming and metadata rules, as pure functions that raise ``B2Error``.

The strict reading of the docs is enforced (reference §10): a client that works under the
strict set also works against the looser real service.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote_plus

from gateway.emulator.errors import B2Error, bad_request

MAX_NAME_BYTES = 1024
MAX_SEGMENT_BYTES = 250
MAX_INFO_ENTRIES = 10
MAX_INFO_KEY_BYTES = 50
HEADER_BUDGET_BYTES = 7000
SMALL_HEADER_BUDGET_BYTES = 2048  # files with SSE, or in Object Lock buckets
MAX_SIMPLE_FILE_BYTES = 5_000_000_000

# B2's "minimally safe" set, used when the emulator itself percent-encodes (headers out).
_SAFE_CHARS = "-._~!$'()*;=:@/"
_BUCKET_NAME = re.compile(r"[A-Za-z0-9-]{6,63}")
_INFO_KEY = re.compile(r"[a-z0-9\-_.`~!#$%^&*'|+]+")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CONTENT_TYPE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+/[!#$%&'*+\-.^_`|~0-9A-Za-z]+(\s*;.*)?")

# The b2-* file infos B2 knows, and the real response header each one becomes on download.
B2_HEADER_INFOS: Mapping[str, str] = {
    "b2-content-disposition": "Content-Disposition",
    "b2-content-language": "Content-Language",
    "b2-expires": "Expires",
    "b2-cache-control": "Cache-Control",
    "b2-content-encoding": "Content-Encoding",
}
AUTO_CONTENT_TYPE = "b2/x-auto"
HIDE_MARKER_TYPE = "application/x-bz-hide-marker"


def b2_quote(value: str) -> str:
    """Percent-encode for X-Bz-File-Name / X-Bz-Info-* response headers."""
    return quote(value.encode("utf-8"), safe=_SAFE_CHARS)


def b2_unquote(value: str) -> str:
    """Decode a percent-encoded B2 value: ``+`` is a space, ``%2B`` a plus (docs' vectors)."""
    try:
        return unquote_plus(value, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise bad_request("value is not valid percent-encoded UTF-8") from exc


def check_file_name(name: str) -> str:
    encoded = name.encode("utf-8", errors="surrogatepass")
    if not 1 <= len(encoded) <= MAX_NAME_BYTES:
        raise bad_request("File names must be 1 to 1024 bytes of UTF-8")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise bad_request("File names must not contain control characters")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in name):
        raise bad_request("File names must be valid UTF-8")
    if "\\" in name:
        raise bad_request("File names must not contain backslash")
    if name.startswith("/") or name.endswith("/") or "//" in name:
        raise bad_request("File names must not start or end with '/' or contain '//'")
    if any(len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES for segment in name.split("/")):
        raise bad_request("File name segments must be at most 250 bytes")
    return name


def check_bucket_name(name: str) -> str:
    if not _BUCKET_NAME.fullmatch(name):
        raise bad_request(
            f"Invalid bucketName: {name}: bucket names must be 6 to 63 letters, digits or '-'"
        )
    if name.lower().startswith("b2-"):
        raise bad_request(f"Invalid bucketName: {name}: names starting with 'b2-' are reserved")
    return name


def check_content_type(content_type: str | None, file_name: str) -> str:
    if not content_type:
        raise bad_request("Content-Type is required")
    if content_type == AUTO_CONTENT_TYPE:
        guessed, _ = mimetypes.guess_type(file_name, strict=False)
        return guessed or "application/octet-stream"
    if not _CONTENT_TYPE.fullmatch(content_type):
        raise bad_request(f"Invalid Content-Type: {content_type}")
    return content_type


def header_budget(sse_mode: str | None, file_lock_enabled: bool) -> int:
    """Bytes the name and file info may take: less for encrypted or lockable files."""
    return SMALL_HEADER_BUDGET_BYTES if sse_mode or file_lock_enabled else HEADER_BUDGET_BYTES


def check_file_info(
    info: Mapping[str, str], file_name: str, budget_bytes: int = HEADER_BUDGET_BYTES
) -> dict[str, str]:
    """Validate custom file info; keys arrive lower-cased; returns a sorted copy."""
    if len(info) > MAX_INFO_ENTRIES:
        raise bad_request(f"Too many file info entries: at most {MAX_INFO_ENTRIES} are allowed")
    for key, value in info.items():
        _check_info_entry(key, value)
    budget = len(f"X-Bz-File-Name: {b2_quote(file_name)}\r\n")
    budget += sum(len(f"X-Bz-Info-{k}: {b2_quote(v)}\r\n") for k, v in info.items())
    if budget > budget_bytes:
        raise bad_request(f"File name and file info must fit in {budget_bytes} bytes")
    return dict(sorted(info.items()))


def _check_info_entry(key: str, value: str) -> None:
    if not key or len(key.encode("utf-8")) > MAX_INFO_KEY_BYTES:
        raise bad_request(f"File info names must be 1 to {MAX_INFO_KEY_BYTES} bytes: {key}")
    if not _INFO_KEY.fullmatch(key):
        raise bad_request(f"Invalid characters in file info name: {key}")
    if not isinstance(value, str):
        raise bad_request(f"File info value must be a string: {key}")
    if key.startswith("b2-"):
        _check_b2_info(key, value)


def _check_b2_info(key: str, value: str) -> None:
    if key not in B2_HEADER_INFOS:
        raise bad_request(f"Unsupported b2- file info: {key}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value) or not value.strip():
        raise bad_request(f"Invalid value for {key}")
    if key == "b2-expires":
        try:
            parsedate_to_datetime(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"Invalid value for {key}: not an HTTP date") from exc
    elif key == "b2-content-encoding":
        if not all(_TOKEN.fullmatch(part.strip()) for part in value.split(",")):
            raise bad_request(f"Invalid value for {key}")
    elif key == "b2-content-disposition":
        disposition_type = value.split(";", 1)[0].strip()
        if not _TOKEN.fullmatch(disposition_type):
            raise bad_request(f"Invalid value for {key}")


def check_sha1_hex(value: str, what: str = "X-Bz-Content-Sha1") -> str:
    if not re.fullmatch(r"[0-9a-fA-F]{40}", value):
        raise bad_request(f"Invalid {what}: {value}")
    return value.lower()


def check_max_count(value: int | None, default: int, maximum: int, what: str) -> int:
    if value is None or value == 0:
        return default
    if not 1 <= value <= maximum:
        raise B2Error(400, "out_of_range", f"{what} out of range: {value}")
    return value
