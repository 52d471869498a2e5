"""Non-ASCII user metadata reaches S3 clients as S3 sends it: RFC 2047 encoded words, since HTTP
header values are ASCII (clients decode them as Latin-1 otherwise)."""

from __future__ import annotations

import base64
from typing import Any

from tests.integration.conftest import Stack


def _encoded_word(text: str) -> str:
    return f"=?UTF-8?B?{base64.b64encode(text.encode()).decode()}?="


def test_non_ascii_metadata_from_b2_is_rfc2047_encoded(
    stack: Stack, s3: Any, bucket_name: str
) -> None:
    s3.create_bucket(Bucket=bucket_name)
    bucket = stack.call(stack.b2.get_bucket(bucket_name))
    info = {"author": "José Müller", "city": "東京", "plain": "ascii only"}
    stack.call(stack.b2.upload_file(bucket.bucket_id, "native", b"x", file_info=info))
    expected = {
        "author": _encoded_word("José Müller"),
        "city": _encoded_word("東京"),
        "plain": "ascii only",
    }
    assert s3.head_object(Bucket=bucket_name, Key="native")["Metadata"] == expected
    assert s3.get_object(Bucket=bucket_name, Key="native")["Metadata"] == expected
