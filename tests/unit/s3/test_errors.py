"""The error catalogue on the wire: every error parses in botocore as its code; the funnel in
http.py never lets an exception out as a bare 500 page; HEAD errors carry no body."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from botocore.exceptions import ClientError
from botocore.parsers import RestXMLParser

from gateway.s3 import errors
from gateway.s3.messages import S3Request, S3Response
from gateway.s3.operations import Op
from tests.unit.s3.conftest import REGION, BotoFactory, StartServer
from tests.unit.s3.signing import botocore_signed

CODES = sorted(errors.CATALOGUE)


def _sample(cls: type[errors.S3Error]) -> errors.S3Error:
    return cls.with_fields(None, {name: f"<{name}&>" for name in cls.fields})


def _realistic(cls: type[errors.S3Error]) -> errors.S3Error:
    """Field values a client may act on (botocore follows ``<Region>``) must be sane."""
    return cls.with_fields(None, {n: REGION if n == "Region" else "v" for n in cls.fields})


@pytest.mark.parametrize("code", CODES)
def test_catalogue_error_renders_xml_botocore_parses(code: str) -> None:
    cls = errors.CATALOGUE[code]
    error = _sample(cls)
    body = error.to_xml("REQ123", "HOST456")
    parsed = RestXMLParser().parse({"body": body, "headers": {}, "status_code": cls.status}, None)
    if cls.status == 304:
        assert not error.has_body
        return
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == cls.message
    assert b"<RequestId>REQ123</RequestId><HostId>HOST456</HostId></Error>" in body
    for name in cls.fields:
        assert parsed["Error"][name] == f"<{name}&>"  # escaped on the wire, intact when parsed


def test_unknown_field_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        errors.NoSuchKey(Bucket="x")


async def _raise_named(request: S3Request) -> S3Response:
    """Raise the catalogue error named by the key; 'boom' raises a plain exception."""
    if request.key == "boom":
        raise RuntimeError("unexpected")
    raise _realistic(errors.CATALOGUE[request.key or ""])


RAISING = dict.fromkeys(Op, _raise_named)


async def test_every_catalogue_error_reaches_botocore_with_its_code_and_status(
    start_server: StartServer, boto: BotoFactory
) -> None:
    client = boto(await start_server(handlers=RAISING))
    for code in CODES:
        cls = errors.CATALOGUE[code]
        if cls.status == 304:
            continue
        with pytest.raises(ClientError) as caught:
            await asyncio.to_thread(client.get_object, Bucket="bkt", Key=code)
        response = caught.value.response
        assert response["Error"]["Code"] == code
        assert response["ResponseMetadata"]["HTTPStatusCode"] == cls.status
        assert response["ResponseMetadata"]["RequestId"]


async def test_head_error_has_status_and_ids_but_no_body(start_server: StartServer) -> None:
    url = await start_server(handlers=RAISING)
    request = botocore_signed("HEAD", f"{url}/bkt/NoSuchKey")
    headers = {name: value.decode() for name, value in request.headers}
    async with (
        aiohttp.ClientSession() as session,
        session.head(f"{url}/bkt/NoSuchKey", headers=headers) as r,
    ):
        assert r.status == 404
        assert r.headers["x-amz-request-id"]
        assert "x-amz-id-2" in r.headers
        assert await r.read() == b""


async def test_unexpected_exception_becomes_internal_error_xml(
    start_server: StartServer, boto: BotoFactory
) -> None:
    client = boto(await start_server(handlers=RAISING))
    with pytest.raises(ClientError) as caught:
        await asyncio.to_thread(client.get_object, Bucket="bkt", Key="boom")
    assert caught.value.response["Error"]["Code"] == errors.InternalError.code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


async def test_operation_without_handler_is_not_implemented_naming_it(
    start_server: StartServer, boto: BotoFactory
) -> None:
    client = boto(await start_server(handlers={}))
    with pytest.raises(ClientError) as caught:
        await asyncio.to_thread(client.get_bucket_website, Bucket="bkt")
    assert caught.value.response["Error"]["Code"] == errors.NotImplemented.code
    assert "GetBucketWebsite" in caught.value.response["Error"]["Message"]


async def test_successful_responses_carry_request_ids(start_server: StartServer) -> None:
    url = await start_server()
    request = botocore_signed("GET", f"{url}/bkt/key")
    headers = {name: value.decode() for name, value in request.headers}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{url}/bkt/key", headers=headers) as r,
    ):
        assert r.status == 200
        assert len(r.headers["x-amz-request-id"]) == 16
        assert "x-amz-id-2" in r.headers
