"""Real botocore against a running front door, over HTTP and HTTPS, with awkward keys.

Over HTTPS botocore (default checksum settings) sends aws-chunked bodies with an unsigned CRC32
trailer; over HTTP it signs the body's sha256 and sends x-amz-checksum-crc32 as a header.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.exceptions import ClientError

from gateway.s3 import errors
from tests.unit.s3.conftest import REGION, BotoFactory, StartServer, Tls

KEYS = [
    "plain.txt",
    "a b.txt",
    "a+b.txt",
    "100%.txt",
    "ünï/ça.txt",
    "dir//double",
    "trailing/",
    "dir/a b+c~ü=.txt",
    "q?x=1&y#z",
    "/leading",
    " spaced ",
    "tab\there",
]
MODES = [
    pytest.param(scheme, checksums, id=f"{scheme}-{checksums}")
    for scheme in ("http", "https")
    for checksums in ("when_supported", "when_required")
]


def _client(boto: BotoFactory, url: str, tls: Tls, checksums: str = "when_supported") -> Any:
    return boto(
        url,
        cafile=tls.cafile,
        request_checksum_calculation=checksums,
        response_checksum_validation="when_required",
    )


async def _start(start_server: StartServer, tls: Tls, scheme: str) -> str:
    return await start_server(ssl_context=tls.server if scheme == "https" else None)


def _echo(response: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = response["ResponseMetadata"]["HTTPHeaders"]
    return {k.removeprefix("x-echo-"): v for k, v in headers.items() if k.startswith("x-echo-")}


@pytest.mark.parametrize(("scheme", "checksums"), MODES)
async def test_put_object_with_awkward_keys_verifies_and_decodes(
    start_server: StartServer, tls: Tls, boto: BotoFactory, scheme: str, checksums: str
) -> None:
    url = await _start(start_server, tls, scheme)
    client = _client(boto, url, tls, checksums)
    body = bytes(range(256)) * 40
    for key in KEYS:
        response = await asyncio.to_thread(client.put_object, Bucket="bkt", Key=key, Body=body)
        echo = _echo(response)
        assert echo["op"] == "PutObject"
        assert unquote(echo["key"]) == key
        assert echo["md5"] == hashlib.md5(body).hexdigest()
        assert echo["length"] == str(len(body))
        if checksums == "when_supported":
            assert echo["checksums"].startswith("crc32=")


@pytest.mark.timeout(180)
@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_put_object_streaming_several_mebibytes_from_a_file(
    start_server: StartServer, tls: Tls, boto: BotoFactory, scheme: str
) -> None:
    url = await _start(start_server, tls, scheme)
    client = _client(boto, url, tls)
    body = hashlib.sha256(b"seed").digest() * (3 * 1024 * 1024 // 32 + 7)
    response = await asyncio.to_thread(
        client.put_object, Bucket="bkt", Key="big.bin", Body=io.BytesIO(body)
    )
    assert _echo(response)["md5"] == hashlib.md5(body).hexdigest()


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_other_operations_route_to_their_names(
    start_server: StartServer, tls: Tls, boto: BotoFactory, scheme: str
) -> None:
    url = await _start(start_server, tls, scheme)
    client = _client(boto, url, tls)
    calls: list[tuple[str, Callable[[], Any]]] = [
        ("HeadObject", lambda: client.head_object(Bucket="bkt", Key="a b")),
        ("ListObjectsV2", lambda: client.list_objects_v2(Bucket="bkt", Prefix="a b+c")),
        ("ListObjects", lambda: client.list_objects(Bucket="bkt")),
        (
            "UploadPart",
            lambda: client.upload_part(
                Bucket="bkt", Key="k", UploadId="u", PartNumber=3, Body=b"part"
            ),
        ),
        ("GetBucketAcl", lambda: client.get_bucket_acl(Bucket="bkt")),
        ("DeleteObject", lambda: client.delete_object(Bucket="bkt", Key="dir//x")),
        (
            "DeleteObjects",
            lambda: client.delete_objects(
                Bucket="bkt", Delete={"Objects": [{"Key": "a"}, {"Key": "b"}]}
            ),
        ),
    ]
    for op, call in calls:
        response = await asyncio.to_thread(call)
        assert _echo(response)["op"] == op


async def _error_code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as caught:
        await asyncio.to_thread(call)
    return str(caught.value.response["Error"]["Code"])


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_wrong_checksum_and_content_md5_are_refused(
    start_server: StartServer, tls: Tls, boto: BotoFactory, scheme: str
) -> None:
    url = await _start(start_server, tls, scheme)
    client = _client(boto, url, tls, "when_required")
    wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    assert (
        await _error_code(
            lambda: client.put_object(Bucket="bkt", Key="k", Body=b"data", ChecksumCRC32="AAAAAA==")
        )
        == errors.BadDigest.code
    )
    assert (
        await _error_code(
            lambda: client.put_object(Bucket="bkt", Key="k", Body=b"data", ContentMD5=wrong_md5)
        )
        == errors.BadDigest.code
    )
    assert (
        await _error_code(
            lambda: client.put_object(Bucket="bkt", Key="k", Body=b"data", ContentMD5="nope")
        )
        == errors.InvalidDigest.code
    )
    assert (
        await _error_code(
            lambda: client.put_object(Bucket="bkt", Key="k", Body=b"data", ChecksumSHA256="AAAA")
        )
        == errors.InvalidRequest.code
    )


def _tamper(client: Any, change: Callable[[Any], None]) -> None:
    def before_send(request: Any, **_: Any) -> None:
        change(request)

    client.meta.events.register("before-send.s3.PutObject", before_send)


def _replace_body(request: Any, old: bytes, new: bytes) -> None:
    body = request.body
    data = body if isinstance(body, bytes) else body.read()
    assert old in data
    request.body = (
        io.BytesIO(data.replace(old, new, 1))
        if not isinstance(body, bytes)
        else (data.replace(old, new, 1))
    )


TAMPERINGS = [
    # (scheme, description, change, expected code)
    (
        "http",
        "signed header",
        lambda r: r.headers.__setitem__("x-amz-meta-a", "2"),
        errors.SignatureDoesNotMatch.code,
    ),
    (
        "http",
        "body byte",
        lambda r: _replace_body(r, b"payload", b"paYload"),
        errors.XAmzContentSHA256Mismatch.code,
    ),
    (
        "http",
        "unsigned extra metadata",
        lambda r: r.headers.__setitem__("x-amz-meta-b", "x"),
        errors.AccessDenied.code,
    ),
    (
        "https",
        "chunk data byte",
        lambda r: _replace_body(r, b"payload", b"paYload"),
        errors.BadDigest.code,
    ),
    (
        "https",
        "trailer checksum",
        lambda r: _replace_body(r, b"x-amz-checksum-crc32:", b"x-amz-checksum-crc32:A"),
        errors.InvalidRequest.code,
    ),
    (
        "https",
        "trailer name",
        lambda r: _replace_body(r, b"x-amz-checksum-crc32:", b"x-amz-checksum-crc32c:"),
        errors.MalformedTrailerError.code,
    ),
    (
        "https",
        "chunk size",
        lambda r: _replace_body(r, b"\r\npayload", b"0\r\npayload"),
        errors.IncompleteBody.code,
    ),
    (
        "https",
        "decoded length header",
        lambda r: r.headers.__setitem__("X-Amz-Decoded-Content-Length", "8"),
        errors.SignatureDoesNotMatch.code,
    ),
]


@pytest.mark.parametrize(
    ("scheme", "change", "code"),
    [pytest.param(s, c, code, id=f"{s}-{d}") for s, d, c, code in TAMPERINGS],
)
async def test_tampered_request_is_refused_with_the_s3_error(
    start_server: StartServer,
    tls: Tls,
    boto: BotoFactory,
    scheme: str,
    change: Callable[[Any], None],
    code: str,
) -> None:
    url = await _start(start_server, tls, scheme)
    client = _client(boto, url, tls)
    _tamper(client, change)
    assert (
        await _error_code(
            lambda: client.put_object(Bucket="bkt", Key="k", Body=b"payload", Metadata={"a": "1"})
        )
        == code
    )


async def test_anonymous_and_unknown_key_requests_are_refused(
    start_server: StartServer, tls: Tls, boto: BotoFactory
) -> None:
    from botocore import UNSIGNED

    url = await start_server()
    anonymous = boto(url, signature_version=UNSIGNED)
    assert await _error_code(anonymous.list_buckets) == errors.AccessDenied.code
    stranger = boto(url, access_key="AKIDNOBODY", secret="x")
    assert await _error_code(stranger.list_buckets) == errors.InvalidAccessKeyId.code
    wrong_secret = boto(url, secret="wrong")
    assert await _error_code(wrong_secret.list_buckets) == errors.SignatureDoesNotMatch.code


async def test_wrong_region_gets_malformed_header_with_the_right_region(
    start_server: StartServer, tls: Tls, boto: BotoFactory
) -> None:
    url = await start_server()
    client = boto(url, region="eu-west-3")
    with pytest.raises(ClientError) as caught:
        await asyncio.to_thread(client.list_buckets)
    assert caught.value.response["Error"]["Code"] == errors.AuthorizationHeaderMalformed.code
    assert caught.value.response["Error"]["Region"] == REGION


@pytest.mark.parametrize("virtual_host", [False, True], ids=["path", "vhost"])
@pytest.mark.parametrize("signature_version", ["s3v4", None], ids=["sigv4", "default-sigv2"])
async def test_presigned_get_from_botocore_verifies_over_http(
    start_server: StartServer, boto: BotoFactory, signature_version: str | None, virtual_host: bool
) -> None:
    import aiohttp
    from yarl import URL

    url = await start_server(base_domains=("s3.example.com",))
    port = URL(url).port
    # Virtual-host style: sign for bkt.s3.example.com, connect to 127.0.0.1 with that Host.
    endpoint = f"http://s3.example.com:{port}" if virtual_host else url
    style = {"addressing_style": "virtual" if virtual_host else "path"}
    signer = {"signature_version": signature_version} if signature_version else {}
    client = boto(endpoint, s3=style, **signer)  # no signature_version: botocore presigns SigV2
    presigned = client.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": "bkt",
            "Key": "dir/a b+c~ü=.txt",
            "ResponseContentDisposition": 'attachment; filename="x y.txt"',
        },
        ExpiresIn=300,
    )
    assert ("AWSAccessKeyId=" in presigned) == (signature_version is None)
    target = URL(presigned, encoded=True)
    headers = {"Host": f"{target.host}:{port}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(target.with_host("127.0.0.1"), headers=headers) as r,
    ):
        assert r.status == 200, await r.text()
        assert r.headers["x-echo-op"] == "GetObject"
        assert r.headers["x-echo-bucket"] == "bkt"
        assert unquote(r.headers["x-echo-key"]) == "dir/a b+c~ü=.txt"
        assert r.headers["x-amz-request-id"]


async def test_sigv2_presigned_url_from_botocore_is_refused_clearly_when_sigv2_is_off(
    start_server: StartServer, tls: Tls, boto: BotoFactory
) -> None:
    import aiohttp
    from botocore.parsers import RestXMLParser
    from yarl import URL

    url = await start_server(sigv2=False)
    client = _client(boto, url, tls)  # botocore presigns with SigV2 unless told s3v4
    presigned = client.generate_presigned_url(
        "get_object", Params={"Bucket": "bkt", "Key": "k"}, ExpiresIn=300
    )
    assert "AWSAccessKeyId=" in presigned
    async with aiohttp.ClientSession() as session, session.get(URL(presigned, encoded=True)) as r:
        body = await r.read()
        parsed = RestXMLParser().parse(
            {"body": body, "headers": r.headers, "status_code": r.status}, None
        )
    assert r.status == 400
    assert parsed["Error"]["Code"] == errors.InvalidRequest.code
    assert "Please use AWS4-HMAC-SHA256" in parsed["Error"]["Message"]


async def test_sigv2_client_operations_verify_and_content_md5_is_checked(
    start_server: StartServer, boto: BotoFactory
) -> None:
    url = await start_server()
    client = boto(url, signature_version="s3", request_checksum_calculation="when_required")
    body = bytes(range(256)) * 8
    for key in KEYS:
        response = await asyncio.to_thread(client.put_object, Bucket="bkt", Key=key, Body=body)
        assert _echo(response)["op"] == "PutObject"
        assert unquote(_echo(response)["key"]) == key
        assert _echo(response)["md5"] == hashlib.md5(body).hexdigest()
    calls: list[tuple[str, Callable[[], Any]]] = [
        ("GetObject", lambda: client.get_object(Bucket="bkt", Key="a+b.txt")),
        ("ListObjectsV2", lambda: client.list_objects_v2(Bucket="bkt", Prefix="a b+c")),
        ("GetObjectAcl", lambda: client.get_object_acl(Bucket="bkt", Key="ünï/ça.txt")),
        ("DeleteObject", lambda: client.delete_object(Bucket="bkt", Key="dir//double")),
        (
            "DeleteObjects",
            lambda: client.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "a"}]}),
        ),
    ]
    for op, call in calls:
        response = await asyncio.to_thread(call)
        assert _echo(response)["op"] == op
    wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    code = await _error_code(
        lambda: client.put_object(Bucket="bkt", Key="k", Body=b"data", ContentMD5=wrong_md5)
    )
    assert code == errors.BadDigest.code
    stranger = boto(url, signature_version="s3", secret="wrong")
    assert await _error_code(stranger.list_buckets) == errors.SignatureDoesNotMatch.code
