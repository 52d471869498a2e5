"""Range parsing and S3's precedence of If-* preconditions (pure functions)."""

from __future__ import annotations

import pytest

from gateway.s3 import errors
from gateway.translate.conditions import Validators, check_preconditions, parse_range

ETAG = "0123456789abcdef0123456789abcdef"
MODIFIED = 1_700_000_000_000  # ms; Tue, 14 Nov 2023 22:13:20 GMT
AT = "Tue, 14 Nov 2023 22:13:20 GMT"
BEFORE = "Mon, 13 Nov 2023 22:13:20 GMT"
AFTER = "Wed, 15 Nov 2023 22:13:20 GMT"


@pytest.mark.parametrize(
    ("header", "size", "span"),
    [
        ("bytes=0-0", 10, (0, 0)),
        ("bytes=3-", 10, (3, 9)),
        ("bytes=-4", 10, (6, 9)),
        ("bytes=-40", 10, (0, 9)),
        ("bytes=2-99", 10, (2, 9)),
        (" bytes=1-2 ", 10, (1, 2)),
    ],
)
def test_parse_range_resolves(header: str, size: int, span: tuple[int, int]) -> None:
    wanted = parse_range(header)
    assert wanted is not None
    assert wanted.resolve(size) == span


@pytest.mark.parametrize("header", [None, "bytes=", "bytes=-", "bytes=4-1", "bytes=0-1,4-5", "x"])
def test_parse_range_unusable_is_ignored(header: str | None) -> None:
    assert parse_range(header) is None


@pytest.mark.parametrize(("header", "size"), [("bytes=10-", 10), ("bytes=-0", 10), ("bytes=0-", 0)])
def test_parse_range_not_satisfiable(header: str, size: int) -> None:
    wanted = parse_range(header)
    assert wanted is not None
    with pytest.raises(errors.S3Error) as caught:
        wanted.resolve(size)
    assert caught.value.code == errors.InvalidRange.code


def _outcome(headers: dict[str, str]) -> str:
    try:
        check_preconditions(headers, Validators(ETAG, MODIFIED), {"ETag": f'"{ETAG}"'})
    except errors.S3Error as error:
        return error.code
    return "OK"


@pytest.mark.parametrize(
    ("headers", "outcome"),
    [
        ({}, "OK"),
        ({"if-match": f'"{ETAG}"'}, "OK"),
        ({"if-match": "*"}, "OK"),
        ({"if-match": '"other", "' + ETAG + '"'}, "OK"),
        ({"if-match": '"other"'}, errors.PreconditionFailed.code),
        ({"if-unmodified-since": BEFORE}, errors.PreconditionFailed.code),
        ({"if-unmodified-since": AT}, "OK"),
        ({"if-match": f'"{ETAG}"', "if-unmodified-since": BEFORE}, "OK"),
        ({"if-none-match": f'"{ETAG}"'}, errors.NotModified.code),
        ({"if-none-match": '"other"'}, "OK"),
        ({"if-modified-since": AT}, errors.NotModified.code),
        ({"if-modified-since": AFTER}, errors.NotModified.code),
        ({"if-modified-since": BEFORE}, "OK"),
        ({"if-none-match": f'"{ETAG}"', "if-modified-since": BEFORE}, errors.NotModified.code),
        ({"if-none-match": '"other"', "if-modified-since": AFTER}, "OK"),
        ({"if-modified-since": "not a date"}, "OK"),
        ({"if-match": '"other"', "if-none-match": f'"{ETAG}"'}, errors.PreconditionFailed.code),
    ],
)
def test_preconditions_follow_s3_precedence(headers: dict[str, str], outcome: str) -> None:
    assert _outcome(headers) == outcome
