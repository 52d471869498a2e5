"""Pure rules of GET/HEAD: the Range header and the If-* preconditions, as S3 applies them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from gateway.s3 import errors

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@dataclass(frozen=True)
class RangeRequest:
    """``bytes=first-last`` (``last`` None: to the end) or ``bytes=-suffix``."""

    first: int | None
    last: int | None
    suffix: int | None = None
    text: str = ""

    def resolve(self, size: int) -> tuple[int, int]:
        """Inclusive (start, end) for an object of ``size`` bytes; InvalidRange if none fits."""
        if self.suffix is not None:
            if self.suffix == 0 or size == 0:
                raise errors.InvalidRange(RangeRequested=self.text, ActualObjectSize=size)
            return max(0, size - self.suffix), size - 1
        assert self.first is not None
        if self.first >= size:
            raise errors.InvalidRange(RangeRequested=self.text, ActualObjectSize=size)
        last = size - 1 if self.last is None else min(self.last, size - 1)
        return self.first, last


def parse_range(value: str | None) -> RangeRequest | None:
    """S3 ignores a Range it cannot parse, or one with several ranges: the whole object."""
    if value is None:
        return None
    match = _RANGE.fullmatch(value.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        return RangeRequest(None, None, suffix=int(last), text=value)
    if last and int(last) < int(first):
        return None
    return RangeRequest(int(first), int(last) if last else None, text=value)


@dataclass(frozen=True)
class Validators:
    etag: str  # unquoted
    last_modified_millis: int


def check_preconditions(
    headers: Mapping[str, str], current: Validators, response_headers: Mapping[str, str]
) -> None:
    """Raise PreconditionFailed (412) or NotModified (304) as S3 does.

    S3's precedence: a true If-Match overrides a false If-Unmodified-Since; a false If-None-Match
    overrides a true If-Modified-Since (RFC 7232 section 6)."""
    seconds = current.last_modified_millis // 1000
    if_match = headers.get("if-match")
    if if_match is not None:
        if not _etag_matches(if_match, current.etag):
            raise errors.PreconditionFailed(Condition="If-Match")
    else:
        since = _date(headers.get("if-unmodified-since"))
        if since is not None and seconds > since:
            raise errors.PreconditionFailed(Condition="If-Unmodified-Since")
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if _etag_matches(if_none_match, current.etag):
            raise errors.NotModified(headers=response_headers)
    else:
        since = _date(headers.get("if-modified-since"))
        if since is not None and seconds <= since:
            raise errors.NotModified(headers=response_headers)


def _etag_matches(condition: str, etag: str) -> bool:
    candidates = [c.strip() for c in condition.split(",")]
    return any(c == "*" or c.removeprefix("W/").strip('"') == etag for c in candidates)


def _date(value: str | None) -> int | None:
    """Seconds since the epoch of an HTTP date; None when absent or unreadable (S3 ignores it)."""
    if value is None:
        return None
    try:
        moment: datetime = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return int(moment.timestamp())
