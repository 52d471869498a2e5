"""Hostile input, end to end through the real gateway: each request gets the precise S3 error
and stores nothing. (The verifier and parsers have unit tests of their own in tests/unit/s3;
these prove the running gateway answers the same way and B2 stays untouched.)"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from unittest.mock import patch
from urllib.parse import quote

import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.integration.conftest import Stack
from tests.reliability.conftest import S3Client, b2_calls, reset_b2_calls, versions_of
from tests.reliability.rawhttp import UNSIGNED, Answer, Endpoint, sha256_hex, signed_headers


def _endpoint(stack: Stack) -> Endpoint:
    return Endpoint(stack.gateway.http_url, stack.emulator.key_id, stack.emulator.key)


def send(
    stack: Stack, method: str, path: str, headers: Mapping[str, str], body: bytes = b""
) -> Answer:
    host, port = _endpoint(stack).address
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        if "Content-Length" not in headers:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        connection.close()


def signed(
    stack: Stack,
    method: str,
    path: str,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    **signing: Any,
) -> Answer:
    """A request signed with SigV4 (``signing`` overrides secret, region, service, hash)."""
    payload_hash = signing.pop("payload_hash", sha256_hex(body))
    all_headers = signed_headers(
        _endpoint(stack), method, path, payload_hash=payload_hash, headers=headers, **signing
    )
    return send(stack, method, path, all_headers, body)


# -- XML documents ---------------------------------------------------------------------------

LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
)
EXTERNAL = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'


def _documents(root: str, inner: str) -> list[Any]:
    tag = root.encode()
    return [
        pytest.param(b"<" + tag + b">", id="unclosed"),
        pytest.param(b"not xml at all", id="not-xml"),
        pytest.param(b"<Other/>", id="wrong-root"),
        pytest.param(LAUGHS + b"<" + tag + b">&c;</" + tag + b">", id="entity-expansion"),
        pytest.param(EXTERNAL + b"<" + tag + b">&x;</" + tag + b">", id="external-entity"),
        pytest.param(b"<" + tag + b">" + b"<a>" * 10000 + b"</" + tag + b">", id="deep"),
        pytest.param(
            b"<" + tag + b">" + inner.encode() * 50000 + b"</" + tag + b">", id="many-elements"
        ),
    ]


@pytest.mark.parametrize("document", _documents("Delete", "<Object><Key>k</Key></Object>"))
def test_delete_objects_hostile_xml_is_malformed_and_deletes_nothing(
    stack: Stack, s3: S3Client, bucket: str, document: bytes
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"kept")
    before = versions_of(stack, bucket)
    answer = signed(stack, "POST", f"/{bucket}?delete", document)
    assert (answer.status, answer.code) == (400, "MalformedXML")
    assert versions_of(stack, bucket) == before


@pytest.mark.parametrize(
    "document",
    _documents("CompleteMultipartUpload", "<Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>"),
)
def test_complete_multipart_hostile_xml_is_malformed_and_assembles_nothing(
    stack: Stack, s3: S3Client, bucket: str, document: bytes
) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=b"part")
    before = versions_of(stack, bucket)
    answer = signed(stack, "POST", f"/{bucket}/k?uploadId={quote(upload)}", document)
    assert (answer.status, answer.code) == (400, "MalformedXML")
    assert versions_of(stack, bucket) == before


@pytest.mark.parametrize(
    "document", _documents("CreateBucketConfiguration", "<LocationConstraint/>")
)
def test_create_bucket_hostile_xml_is_malformed_and_creates_nothing(
    stack: Stack, s3: S3Client, bucket_name: str, document: bytes
) -> None:
    answer = signed(stack, "PUT", f"/{bucket_name}", document)
    assert (answer.status, answer.code) == (400, "MalformedXML")
    assert bucket_name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_xml_body_over_the_size_limit_is_refused_unread(stack: Stack, bucket: str) -> None:
    """Bigger than any valid Delete document: refused on its declared length."""
    document = b"<Delete>" + b" " * (5 * 1024 * 1024) + b"</Delete>"
    answer = signed(stack, "POST", f"/{bucket}?delete", document, payload_hash=UNSIGNED)
    assert (answer.status, answer.code) == (400, "MaxMessageLengthExceeded")


# -- headers ---------------------------------------------------------------------------------


def _still_serving(s3: S3Client) -> None:
    s3.list_buckets()


def test_huge_header_is_a_400_class_answer_and_the_gateway_keeps_serving(
    stack: Stack, s3: S3Client, bucket: str
) -> None:
    answer = signed(stack, "PUT", f"/{bucket}/k", b"x", {"x-amz-meta-big": "v" * 20000})
    assert 400 <= answer.status < 500
    assert versions_of(stack, bucket) == []
    _still_serving(s3)


def test_header_flood_is_a_400_class_answer_and_the_gateway_keeps_serving(
    stack: Stack, s3: S3Client, bucket: str
) -> None:
    flood = {f"x-flood-{n}": "v" * 100 for n in range(40000)}
    headers = {**signed_headers(_endpoint(stack), "GET", f"/{bucket}", payload_hash=UNSIGNED)}
    try:
        answer = send(stack, "GET", f"/{bucket}", {**headers, **flood})
    except (ConnectionError, http.client.RemoteDisconnected):
        pass  # refusing to read on is a fine answer to 4 MB of headers
    else:
        assert 400 <= answer.status < 500
    _still_serving(s3)


TOO_MUCH_METADATA = [
    pytest.param({f"k{i}": "v" for i in range(10)}, id="more-entries-than-b2-holds"),
    pytest.param({"big": "v" * 3000}, id="over-2kb"),
]


@pytest.mark.parametrize("metadata", TOO_MUCH_METADATA)
def test_create_multipart_with_metadata_b2_cannot_hold_is_refused_opening_nothing(
    stack: Stack, s3: S3Client, bucket: str, metadata: dict[str, str]
) -> None:
    """PutObject's metadata limits (tests/integration/test_refusals.py) hold on the other
    paths that write metadata too: no upload is opened only to fail at Complete."""
    with pytest.raises(ClientError) as caught:
        s3.create_multipart_upload(Bucket=bucket, Key="k", Metadata=metadata)
    assert caught.value.response["Error"]["Code"] == "MetadataTooLarge"
    assert versions_of(stack, bucket) == []


@pytest.mark.parametrize("metadata", TOO_MUCH_METADATA)
def test_copy_replacing_metadata_with_more_than_b2_holds_is_refused_storing_nothing(
    stack: Stack, s3: S3Client, bucket: str, metadata: dict[str, str]
) -> None:
    s3.put_object(Bucket=bucket, Key="source", Body=b"x")
    before = versions_of(stack, bucket)
    with pytest.raises(ClientError) as caught:
        s3.copy_object(
            Bucket=bucket,
            Key="k",
            CopySource={"Bucket": bucket, "Key": "source"},
            MetadataDirective="REPLACE",
            Metadata=metadata,
        )
    assert caught.value.response["Error"]["Code"] == "MetadataTooLarge"
    assert versions_of(stack, bucket) == before


# -- keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw_key", ["bad%FFkey", "over%C0%AFlong-slash"])
def test_key_with_invalid_utf8_is_invalid_uri_storing_nothing(
    stack: Stack, bucket: str, raw_key: str
) -> None:
    """Includes the overlong encoding of '/' (a classic traversal trick)."""
    answer = signed(stack, "PUT", f"/{bucket}/{raw_key}", b"x")
    assert (answer.status, answer.code) == (400, "InvalidURI")
    assert versions_of(stack, bucket) == []


def test_key_over_1024_bytes_is_key_too_long(stack: Stack, bucket: str) -> None:
    answer = signed(stack, "PUT", f"/{bucket}/{'k' * 1025}", b"x")
    assert (answer.status, answer.code) == (400, "KeyTooLongError")
    assert versions_of(stack, bucket) == []


TRAVERSAL_KEYS = [
    "../escape", "a/../b", "./x", "..", "a/./b", "%2e%2e/x", "/leading", "a//b",
    "nul\x00byte", "ctl\x01\x1f\x7f", "back\\slash\\..\\x",
]  # fmt: skip


@pytest.mark.parametrize("key", TRAVERSAL_KEYS)
def test_path_traversal_looking_keys_are_stored_literally_as_s3_does(
    s3: S3Client, bucket: str, key: str
) -> None:
    """S3 keys are opaque strings: '..' is not a directory, so nothing escapes the bucket."""
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert listed == [key]


def test_raw_dot_segments_in_the_path_are_not_normalised(stack: Stack, bucket: str) -> None:
    """A raw '/bucket/a/../b' names key 'a/../b' (S3 does not resolve dot segments)."""
    assert signed(stack, "PUT", f"/{bucket}/a/../b", b"dots").status == 200
    assert signed(stack, "GET", f"/{bucket}/a/../b").body == b"dots"
    assert signed(stack, "GET", f"/{bucket}/b").code == "NoSuchKey"


def test_key_in_the_gateways_reserved_namespace_is_an_ordinary_key(
    stack: Stack, s3: S3Client, bucket: str
) -> None:
    """A key that looks like the gateway's own bookkeeping cannot forge a multipart upload."""
    key = ".s3-b2-gateway/u/forged"
    s3.put_object(Bucket=bucket, Key=key, Body=b"mine")
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"mine"


# -- ranges, part numbers, upload ids --------------------------------------------------------


@pytest.mark.parametrize(
    ("range_", "status", "body"),
    [
        ("bytes=5-2", 200, b"0123456789"),  # unsatisfiable syntax: ignored, as S3
        ("bytes=abc", 200, b"0123456789"),
        ("items=0-1", 200, b"0123456789"),
        ("bytes=100-", 416, None),
        ("bytes=-0", 416, None),
        ("bytes=8-100", 206, b"89"),
    ],
)
def test_bad_ranges_answer_as_s3(
    s3: S3Client, stack: Stack, bucket: str, range_: str, status: int, body: bytes | None
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    answer = signed(stack, "GET", f"/{bucket}/k", headers={"Range": range_})
    assert answer.status == status
    if body is not None:
        assert answer.body == body
    else:
        assert answer.code == "InvalidRange"


@pytest.mark.parametrize("number", ["0", "10001", "abc", "-1", "1.5", ""])
def test_upload_part_with_bad_part_number_is_invalid_argument(
    stack: Stack, s3: S3Client, bucket: str, number: str
) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    before = versions_of(stack, bucket)
    path = f"/{bucket}/k?partNumber={number}&uploadId={quote(upload)}"
    answer = signed(stack, "PUT", path, b"part")
    assert (answer.status, answer.code) == (400, "InvalidArgument")
    assert versions_of(stack, bucket) == before


@pytest.mark.parametrize("upload_id", ["nope", "../../u/x", "%00", "a" * 2000])
def test_upload_part_with_bad_upload_id_is_no_such_upload(
    stack: Stack, bucket: str, upload_id: str
) -> None:
    path = f"/{bucket}/k?partNumber=1&uploadId={quote(upload_id, safe='')}"
    answer = signed(stack, "PUT", path, b"part")
    assert (answer.status, answer.code) == (404, "NoSuchUpload")
    assert versions_of(stack, bucket) == []


# -- authentication --------------------------------------------------------------------------


@dataclass(frozen=True)
class Forgery:
    name: str
    send: Callable[[Stack, str], Answer]
    status: int
    code: str
    # SigV2 may be switched on (then a forged signature is a mismatch) or off (unsupported).
    or_else: tuple[int, str] | None = None


def _presigned(
    stack: Stack, path: str, *, expires: int, age: int = 0, secret: str = "", sent_to: str = ""
) -> str:
    """A presigned PUT for ``path``, signed ``age`` seconds ago; the path and query to request
    (``sent_to``, if given, replaces the path the signature is for)."""
    request = AWSRequest("PUT", stack.gateway.http_url + path)
    credentials = Credentials(stack.emulator.key_id, secret or stack.emulator.key)
    signed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=age)
    with patch("botocore.auth.get_current_datetime", return_value=signed_at):
        S3SigV4QueryAuth(credentials, "s3", "us-east-1", expires=expires).add_auth(request)
    url = request.prepare().url
    assert url is not None
    query = url.partition("?")[2]
    return f"{sent_to or path}?{query}"


def _with_host(stack: Stack, headers: Mapping[str, str]) -> dict[str, str]:
    host, port = _endpoint(stack).address
    return {"Host": f"{host}:{port}", **headers}


FORGERIES = [
    Forgery(
        "other-secret",
        lambda st, p: signed(st, "PUT", p, b"x", secret="not-the-secret"),
        403,
        "SignatureDoesNotMatch",
    ),
    Forgery(
        "wrong-region",
        lambda st, p: signed(st, "PUT", p, b"x", region="eu-west-1"),
        400,
        "AuthorizationHeaderMalformed",
    ),
    Forgery(
        "wrong-service",
        lambda st, p: signed(st, "PUT", p, b"x", service="sqs"),
        400,
        "AuthorizationHeaderMalformed",
    ),
    Forgery(
        "missing-content-sha256",
        lambda st, p: send(
            st,
            "PUT",
            p,
            {
                k: v
                for k, v in signed_headers(_endpoint(st), "PUT", p, payload_hash=UNSIGNED).items()
                if k.lower() != "x-amz-content-sha256"
            },
            b"x",
        ),
        400,
        "InvalidRequest",
    ),
    Forgery(
        "sigv2-header-forged",
        lambda st, p: send(
            st,
            "PUT",
            p,
            _with_host(
                st,
                {
                    "Authorization": f"AWS {st.emulator.key_id}:c2lnbmF0dXJl",
                    "Date": formatdate(usegmt=True),
                },
            ),
            b"x",
        ),
        400,
        "InvalidRequest",
        (403, "SignatureDoesNotMatch"),
    ),
    Forgery(
        "sigv2-query-forged",
        lambda st, p: send(
            st,
            "PUT",
            f"{p}?AWSAccessKeyId={st.emulator.key_id}"
            f"&Expires={int(time.time()) + 60}&Signature=c2ln",
            _with_host(st, {}),
            b"x",
        ),
        400,
        "InvalidRequest",
        (403, "SignatureDoesNotMatch"),
    ),
    Forgery(
        "anonymous", lambda st, p: send(st, "PUT", p, _with_host(st, {}), b"x"), 403, "AccessDenied"
    ),
    Forgery(
        "presigned-expired",
        lambda st, p: send(
            st, "PUT", _presigned(st, p, expires=60, age=120), _with_host(st, {}), b"x"
        ),
        403,
        "AccessDenied",
    ),
    Forgery(
        "presigned-forged",
        lambda st, p: send(
            st,
            "PUT",
            _presigned(st, p, expires=60, secret="not-the-secret"),
            _with_host(st, {}),
            b"x",
        ),
        403,
        "SignatureDoesNotMatch",
    ),
    Forgery(
        "presigned-longer-than-a-week",
        lambda st, p: send(st, "PUT", _presigned(st, p, expires=604801), _with_host(st, {}), b"x"),
        400,
        "AuthorizationQueryParametersError",
    ),
    Forgery(
        "presigned-for-another-key",
        lambda st, p: send(
            st, "PUT", _presigned(st, p + "-other", expires=60, sent_to=p), _with_host(st, {}), b"x"
        ),
        403,
        "SignatureDoesNotMatch",
    ),
]


@pytest.mark.parametrize("forgery", FORGERIES, ids=[f.name for f in FORGERIES])
def test_put_without_a_valid_signature_is_refused_storing_nothing(
    stack: Stack, bucket: str, forgery: Forgery
) -> None:
    reset_b2_calls(stack)
    answer = forgery.send(stack, f"/{bucket}/k")
    assert b2_calls(stack) == {}  # refused before the gateway asked B2 anything
    expected = {(forgery.status, forgery.code), forgery.or_else or (forgery.status, forgery.code)}
    assert (answer.status, answer.code) in expected, answer.body
    assert versions_of(stack, bucket) == []


def test_presigned_put_replayed_after_expiry_is_refused(stack: Stack, bucket: str) -> None:
    """The same URL works while valid and is refused once its lifetime has passed."""
    fresh = _presigned(stack, f"/{bucket}/k", expires=100, age=50)
    assert send(stack, "PUT", fresh, _with_host(stack, {}), b"first").status == 200
    stale = _presigned(stack, f"/{bucket}/k", expires=100, age=101)
    answer = send(stack, "PUT", stale, _with_host(stack, {}), b"second")
    assert (answer.status, answer.code) == (403, "AccessDenied")
    assert [v.action for v in versions_of(stack, bucket)] == ["upload"]
    assert signed(stack, "GET", f"/{bucket}/k").body == b"first"


def test_request_with_a_body_not_matching_a_random_payload_hash_stores_nothing(
    stack: Stack, bucket: str
) -> None:
    answer = signed(stack, "PUT", f"/{bucket}/k", os.urandom(100), payload_hash="0" * 64)
    assert (answer.status, answer.code) == (400, "XAmzContentSHA256Mismatch")
    assert versions_of(stack, bucket) == []
