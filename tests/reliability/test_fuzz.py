"""Fuzzing (hypothesis) of the request parsers and the router: any input is either understood or
refused with an S3 error, never another exception; and through the running gateway, random
bodies and addresses never earn a 5xx. (The aws-chunked decoder is fuzzed in
tests/unit/s3/test_chunked.py.)"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.s3 import errors
from gateway.s3.operations import parse_route
from gateway.s3.xml_bodies import (
    parse_complete_multipart,
    parse_create_bucket,
    parse_delete,
    parse_tagging,
    parse_versioning,
)
from tests.integration.conftest import Stack
from tests.reliability.conftest import versions_of
from tests.reliability.test_hostile_input import signed

NOT_IMPLEMENTED = 501  # an honest answer for what the gateway does not do; not a failure
PARSERS: list[Callable[[bytes], Any]] = [
    parse_complete_multipart,
    parse_create_bucket,
    parse_delete,
    parse_tagging,
    parse_versioning,
]
TAGS = [
    "Delete", "Object", "Key", "VersionId", "Quiet", "CompleteMultipartUpload", "Part",
    "PartNumber", "ETag", "ChecksumCRC32", "CreateBucketConfiguration", "LocationConstraint",
    "Tagging", "TagSet", "Tag", "Value", "VersioningConfiguration", "Status", "MfaDelete",
]  # fmt: skip


@st.composite
def xmlish(draw: st.DrawFn, depth: int = 0) -> str:
    """Documents built from the tags the parsers know, nested and filled at random."""
    tag = draw(st.sampled_from(TAGS))
    if depth > 3 or draw(st.booleans()):
        text = draw(st.text(max_size=20))
        text = text.replace("&", "&amp;").replace("<", "&lt;")
        inner = text
    else:
        inner = "".join(draw(st.lists(xmlish(depth + 1), max_size=4)))
    return f"<{tag}>{inner}</{tag}>"


def _refusal(call: Callable[[], object]) -> int | None:
    """The HTTP status of the S3 error ``call`` raises, or None if it succeeds."""
    try:
        call()
    except errors.S3Error as refusal:
        return refusal.status
    return None


def _parses_or_refuses(parser: Callable[[bytes], Any], body: bytes) -> None:
    status = _refusal(lambda: parser(body))
    assert status is None or 400 <= status < 500


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=2000), parser=st.sampled_from(PARSERS))
def test_xml_parsers_given_random_bytes_parse_or_refuse(
    body: bytes, parser: Callable[[bytes], Any]
) -> None:
    _parses_or_refuses(parser, body)


@settings(max_examples=500, deadline=None)
@given(document=xmlish(), parser=st.sampled_from(PARSERS), declaration=st.booleans())
def test_xml_parsers_given_random_documents_of_known_tags_parse_or_refuse(
    document: str, parser: Callable[[bytes], Any], declaration: bool
) -> None:
    prefix = '<?xml version="1.0" encoding="UTF-8"?>' if declaration else ""
    _parses_or_refuses(parser, (prefix + document).encode())


_PATH_CHARS = st.characters(codec="utf-8", exclude_categories=["Cs"])
_QUERY_NAMES = [
    "delete", "uploads", "uploadId", "partNumber", "versionId", "versions", "list-type",
    "prefix", "location", "versioning", "tagging", "acl", "x-id", "max-keys", "continuation-token",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS", "BREW"]),
    host=st.sampled_from(["127.0.0.1:8080", "bkt.s3.localhost", "s3.localhost", "", "[::1]"]),
    path=st.text(_PATH_CHARS, max_size=40).map(lambda p: "/" + p),
    params=st.lists(
        st.tuples(st.sampled_from(_QUERY_NAMES), st.text(_PATH_CHARS, max_size=10)), max_size=4
    ),
    copy_source=st.one_of(st.none(), st.text(_PATH_CHARS, max_size=20)),
)
def test_router_given_random_requests_routes_or_refuses(
    method: str, host: str, path: str, params: list[tuple[str, str]], copy_source: str | None
) -> None:
    query = "&".join(f"{name}={value}" if value else name for name, value in params)
    headers = {} if copy_source is None else {"x-amz-copy-source": copy_source}
    status = _refusal(
        lambda: parse_route(method, host, path, query, headers, base_domains=("s3.localhost",))
    )
    assert status is None or 400 <= status < 500 or status == NOT_IMPLEMENTED


# -- through the running gateway -------------------------------------------------------------


@pytest.fixture(scope="module")
def made_bucket(stack: Stack) -> str:
    """Module scope, for hypothesis: made through a raw signed request."""
    name = "fuzz-" + os.urandom(4).hex()
    assert signed(stack, "PUT", f"/{name}").status == 200
    return name


BODY_TARGETS = ["?delete", "/k?uploadId=nope", "/k?uploads", "?versioning", "?tagging", ""]
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(body=st.one_of(st.binary(max_size=1500), xmlish().map(str.encode)),
       target=st.sampled_from(BODY_TARGETS), method=st.sampled_from(["POST", "PUT"]))  # fmt: skip
def test_gateway_given_random_request_bodies_never_answers_5xx(
    stack: Stack, made_bucket: str, body: bytes, target: str, method: str
) -> None:
    answer = signed(stack, method, f"/{made_bucket}{target}", body)
    assert answer.status < 500 or answer.status == NOT_IMPLEMENTED, answer.body


_RAW_PATH = st.text(st.sampled_from("abc/%.?&=-_~+ 2eF0"), max_size=30).map(
    lambda p: "/" + p.replace(" ", "%20")
)


@FUZZ
@given(path=_RAW_PATH, method=st.sampled_from(["GET", "HEAD", "DELETE", "PUT", "POST"]))
def test_gateway_given_random_addresses_never_answers_5xx(
    stack: Stack, made_bucket: str, path: str, method: str
) -> None:
    answer = signed(stack, method, path.replace("/b", f"/{made_bucket}", 1), b"")
    assert answer.status < 500 or answer.status == NOT_IMPLEMENTED, answer.body


def test_fuzzed_bucket_holds_only_what_fuzzing_could_legitimately_put(
    stack: Stack, made_bucket: str
) -> None:
    """Nothing the fuzzers sent created hidden or half-finished B2 state (a fuzzed DELETE may
    have removed the empty bucket itself, which is legitimate)."""
    if stack.call(stack.b2.get_bucket(made_bucket)) is None:
        return
    assert all(v.action in ("upload", "hide") for v in versions_of(stack, made_bucket))
