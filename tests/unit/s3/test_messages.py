"""gateway.s3.messages.Headers: case-insensitive, repeated headers joined with commas."""

from __future__ import annotations

from gateway.s3.messages import Headers


def test_headers_get_is_case_insensitive_and_joins_repeats_in_wire_order() -> None:
    headers = Headers([("X-Amz-Meta-A", "1"), ("host", "h"), ("x-amz-meta-a", "2")])
    assert headers.get("x-amz-meta-A") == "1,2"
    assert headers["X-AMZ-META-A"] == "1,2"
    assert headers.get_all("x-amz-meta-a") == ("1", "2")
    assert headers.get("Host") == "h"


def test_headers_get_of_an_absent_header_gives_the_default() -> None:
    headers = Headers([("host", "h")])
    assert headers.get("if-match") is None
    assert headers.get("if-match", "*") == "*"
    assert "if-match" not in headers
