"""Which request headers are refused, and which are tolerated and reported."""

from __future__ import annotations

import pytest

from gateway.s3 import errors
from gateway.s3.operations import Op
from gateway.translate.headers import check_headers


def _check(op: Op, headers: dict[str, str]) -> list[str]:
    ignored: list[str] = []
    check_headers(op, headers, lambda o, name: ignored.append(name))
    return ignored


@pytest.mark.parametrize(
    "headers",
    [
        {"x-amz-server-side-encryption-customer-algorithm": "AES256"},
        {"x-amz-object-lock-mode": "GOVERNANCE"},
        {"x-amz-website-redirect-location": "/elsewhere"},
        {"x-amz-acl": "public-read"},
        {"x-amz-grant-read": "id=someone"},
        {"x-amz-server-side-encryption": "aws:kms"},
        {"x-amz-tagging": "a=b"},
        {"if-none-match": "*"},
    ],
)
def test_meaning_changing_header_on_put_is_not_implemented(headers: dict[str, str]) -> None:
    with pytest.raises(errors.S3Error) as caught:
        _check(Op.PutObject, headers)
    assert caught.value.code == errors.NotImplemented.code
    assert caught.value.values["Header"] == next(iter(headers))


def test_harmless_headers_are_accepted_and_unknown_ones_reported() -> None:
    ignored = _check(
        Op.PutObject,
        {
            "x-amz-acl": "private",
            "x-amz-server-side-encryption": "AES256",
            "x-amz-tagging": "",
            "x-amz-meta-color": "red",
            "x-amz-checksum-crc32": "AAAAAA==",
            "x-amz-storage-class": "STANDARD",
            "x-amz-expected-bucket-owner": "123",
            "content-type": "text/plain",
        },
    )
    assert ignored == ["x-amz-storage-class", "x-amz-expected-bucket-owner"]


def test_if_none_match_on_get_is_a_precondition_not_a_refusal() -> None:
    assert _check(Op.GetObject, {"if-none-match": '"abc"'}) == []
