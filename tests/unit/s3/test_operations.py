"""Routing: AWS documentation examples in path and virtual-hosted style, every operation of
botocore's S3 model, and the ambiguous or invalid requests S3 refuses."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import botocore.session
import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config

from gateway.s3 import errors
from gateway.s3.messages import Headers
from gateway.s3.operations import Op, Route, parse_route

BASE = ("s3.example.com",)

# (method, path-style target, headers, operation, key) — examples from the S3 API Reference pages.
DOC_EXAMPLES: list[tuple[str, str, dict[str, str], Op, str | None]] = [
    ("GET", "/", {}, Op.ListBuckets, None),
    ("PUT", "/examplebucket", {}, Op.CreateBucket, None),
    ("HEAD", "/examplebucket", {}, Op.HeadBucket, None),
    ("DELETE", "/examplebucket", {}, Op.DeleteBucket, None),
    (
        "GET",
        "/examplebucket?list-type=2&prefix=photos/2006/&delimiter=/",
        {},
        Op.ListObjectsV2,
        None,
    ),
    ("GET", "/examplebucket?max-keys=2&prefix=J", {}, Op.ListObjects, None),
    ("GET", "/examplebucket?versions&key-marker=key2", {}, Op.ListObjectVersions, None),
    ("GET", "/examplebucket?uploads&max-uploads=3", {}, Op.ListMultipartUploads, None),
    ("GET", "/examplebucket?location", {}, Op.GetBucketLocation, None),
    ("GET", "/examplebucket?versioning", {}, Op.GetBucketVersioning, None),
    ("PUT", "/examplebucket?versioning", {}, Op.PutBucketVersioning, None),
    ("GET", "/examplebucket?acl", {}, Op.GetBucketAcl, None),
    ("GET", "/examplebucket?lifecycle", {}, Op.GetBucketLifecycleConfiguration, None),
    ("DELETE", "/examplebucket?lifecycle", {}, Op.DeleteBucketLifecycle, None),
    ("GET", "/examplebucket?cors", {}, Op.GetBucketCors, None),
    ("PUT", "/examplebucket?policy", {}, Op.PutBucketPolicy, None),
    ("GET", "/examplebucket?tagging", {}, Op.GetBucketTagging, None),
    ("GET", "/examplebucket?encryption", {}, Op.GetBucketEncryption, None),
    ("GET", "/examplebucket?analytics&id=list1", {}, Op.GetBucketAnalyticsConfiguration, None),
    ("GET", "/examplebucket?analytics", {}, Op.ListBucketAnalyticsConfigurations, None),
    ("POST", "/examplebucket?delete", {}, Op.DeleteObjects, None),
    ("POST", "/examplebucket", {"content-type": "multipart/form-data"}, Op.PostObject, None),
    ("GET", "/examplebucket/my-image.jpg", {"range": "bytes=0-9"}, Op.GetObject, "my-image.jpg"),
    ("HEAD", "/examplebucket/my-image.jpg", {}, Op.HeadObject, "my-image.jpg"),
    ("PUT", "/examplebucket/my-image.jpg", {}, Op.PutObject, "my-image.jpg"),
    (
        "PUT",
        "/examplebucket/my-image.jpg",
        {"x-amz-copy-source": "/bucket/src"},
        Op.CopyObject,
        "my-image.jpg",
    ),
    (
        "DELETE",
        "/examplebucket/my-image.jpg?versionId=UIORUnfnd",
        {},
        Op.DeleteObject,
        "my-image.jpg",
    ),
    ("GET", "/examplebucket/my-image.jpg?acl", {}, Op.GetObjectAcl, "my-image.jpg"),
    ("PUT", "/examplebucket/my-image.jpg?tagging", {}, Op.PutObjectTagging, "my-image.jpg"),
    ("DELETE", "/examplebucket/my-image.jpg?tagging", {}, Op.DeleteObjectTagging, "my-image.jpg"),
    ("GET", "/examplebucket/my-image.jpg?attributes", {}, Op.GetObjectAttributes, "my-image.jpg"),
    (
        "POST",
        "/examplebucket/example-object?uploads",
        {},
        Op.CreateMultipartUpload,
        "example-object",
    ),
    (
        "PUT",
        "/examplebucket/my-movie.m2ts?partNumber=1&uploadId=VCVsb2FkIElE",
        {},
        Op.UploadPart,
        "my-movie.m2ts",
    ),
    (
        "PUT",
        "/examplebucket/my-movie.m2ts?partNumber=2&uploadId=VCVsb2FkIElE",
        {"x-amz-copy-source": "/bucket/src", "x-amz-copy-source-range": "bytes=0-9"},
        Op.UploadPartCopy,
        "my-movie.m2ts",
    ),
    (
        "GET",
        "/examplebucket/example-object?uploadId=XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA&max-parts=2",
        {},
        Op.ListParts,
        "example-object",
    ),
    (
        "POST",
        "/examplebucket/example-object?uploadId=AAAsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZR",
        {},
        Op.CompleteMultipartUpload,
        "example-object",
    ),
    (
        "DELETE",
        "/examplebucket/example-object?uploadId=VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZ",
        {},
        Op.AbortMultipartUpload,
        "example-object",
    ),
    (
        "POST",
        "/examplebucket/photo1.jpg?restore&versionId=3HL4kqtJl",
        {},
        Op.RestoreObject,
        "photo1.jpg",
    ),
    ("POST", "/examplebucket/x.csv?select&select-type=2", {}, Op.SelectObjectContent, "x.csv"),
]


def _route(method: str, target: str, headers: dict[str, str], *, virtual: bool) -> Route:
    path, _, query = target.partition("?")
    host = "s3.example.com"
    if virtual and path != "/":
        bucket, _, rest = path[1:].partition("/")
        host, path = f"{bucket}.s3.example.com:8443", "/" + rest
    return parse_route(method, host, path, query, Headers(headers.items()), base_domains=BASE)


@pytest.mark.parametrize("virtual", [False, True], ids=["path", "virtual-host"])
@pytest.mark.parametrize(
    ("method", "target", "headers", "op", "key"),
    DOC_EXAMPLES,
    ids=[f"{m}-{o}-{t[:40]}" for m, t, _, o, _ in DOC_EXAMPLES],
)
def test_doc_example_routes_to_its_operation(
    method: str, target: str, headers: dict[str, str], op: Op, key: str | None, virtual: bool
) -> None:
    route = _route(method, target, headers, virtual=virtual)
    assert route.op is op
    assert route.key == key
    assert route.bucket == (None if target.startswith("/?") or target == "/" else "examplebucket")
    assert route.virtual_host == (virtual and route.bucket is not None)


# Operations that share a wire form with another: S3 answers them as the newer name.
ALIASES = {
    "GetBucketLifecycle": "GetBucketLifecycleConfiguration",
    "PutBucketLifecycle": "PutBucketLifecycleConfiguration",
    "GetBucketNotification": "GetBucketNotificationConfiguration",
    "PutBucketNotification": "PutBucketNotificationConfiguration",
    "ListDirectoryBuckets": "ListBuckets",
}


def _example_value(shape: Any, name: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        members = shape.required_members
        if getattr(shape, "is_tagged_union", False):
            members = list(shape.members)[:1]
        return {m: _example_value(shape.members[m], m) for m in members}
    if kind == "list":
        return [_example_value(shape.member, name)]
    if kind in ("integer", "long"):
        return 1
    if kind == "boolean":
        return True
    if kind == "blob":
        return b"x"
    if kind == "timestamp":
        return 0
    if shape.enum:
        return shape.enum[0]
    text = {"Bucket": "examplebucket", "Key": "dir/a b+c"}.get(name, "value")
    minimum = int(shape.metadata.get("min", 0))
    return text.ljust(minimum, "x")


def _botocore_requests() -> list[tuple[str, str, str, str, dict[str, str]]]:
    """(operation, method, raw path, raw query, headers) as botocore itself serialises them."""
    session = botocore.session.get_session()
    client = session.create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url="https://s3.example.com",
        aws_access_key_id="a",
        aws_secret_access_key="b",
        config=Config(s3={"addressing_style": "path"}, inject_host_prefix=False),
    )
    captured: list[AWSRequest] = []

    class StopError(Exception):
        pass

    def before_send(request: AWSRequest, **_: Any) -> None:
        captured.append(request)
        raise StopError

    client.meta.events.register("before-send", before_send)
    model = client.meta.service_model
    result = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        params = _example_value(operation.input_shape, name) if operation.input_shape else {}
        captured.clear()
        with pytest.raises(StopError):
            getattr(client, botocore.xform_name(name))(**params)
        request = captured[0]
        parts = urlsplit(request.url)
        headers = {
            k.lower(): (v.decode() if isinstance(v, bytes) else v)
            for k, v in request.headers.items()
        }
        result.append((name, request.method, parts.path, parts.query, headers))
    client.close()
    return result


BOTOCORE_REQUESTS = _botocore_requests()


@pytest.mark.parametrize(
    ("name", "method", "path", "query", "headers"),
    BOTOCORE_REQUESTS,
    ids=[r[0] for r in BOTOCORE_REQUESTS],
)
def test_every_botocore_operation_routes_to_its_name(
    name: str, method: str, path: str, query: str, headers: dict[str, str]
) -> None:
    route = parse_route(
        method, "s3.example.com", path, query, Headers(headers.items()), base_domains=BASE
    )
    assert route.op == ALIASES.get(name, name)


def test_every_op_is_reachable_or_documented() -> None:
    routed = {ALIASES.get(r[0], r[0]) for r in BOTOCORE_REQUESTS}
    assert set(Op) - routed == {Op.PostObject}  # the HTML-form upload is not in the SDK model


@pytest.mark.parametrize(
    ("raw_path", "key"),
    [
        ("/bkt/a%20b", "a b"),
        ("/bkt/a+b", "a+b"),  # literal plus, as sent; botocore sends %2B
        ("/bkt/a%2Bb", "a+b"),
        ("/bkt/%25", "%"),
        ("/bkt/%C3%BC/%E2%82%AC", "ü/€"),
        ("/bkt//lead", "/lead"),
        ("/bkt/a//b", "a//b"),
        ("/bkt/dir/", "dir/"),
        ("/bkt/a%2Fb", "a/b"),
        ("/bkt/a%252F", "a%2F"),  # decoded exactly once
        ("/bkt/./x/../y", "./x/../y"),
    ],
)
def test_key_is_decoded_exactly_once_and_kept_verbatim(raw_path: str, key: str) -> None:
    route = parse_route("GET", "s3.example.com", raw_path, "", Headers(), base_domains=BASE)
    assert (route.bucket, route.key, route.op) == ("bkt", key, Op.GetObject)


def test_query_plus_is_a_space_and_encoded_plus_is_a_plus() -> None:
    route = parse_route(
        "GET", "h", "/bkt", "prefix=a+b%2Bc&list-type=2", Headers(), base_domains=()
    )
    assert route.params["prefix"] == "a b+c"


def test_virtual_host_with_port_and_trailing_dot() -> None:
    route = parse_route(
        "GET", "my.bkt.s3.example.com.:9000", "/k", "", Headers(), base_domains=BASE
    )
    assert (route.bucket, route.key, route.virtual_host) == ("my.bkt", "k", True)


def test_unknown_host_is_path_style() -> None:
    route = parse_route("GET", "127.0.0.1:9000", "/bkt/k", "", Headers(), base_domains=BASE)
    assert (route.bucket, route.key) == ("bkt", "k")


def test_forwarded_host_is_used_only_from_a_trusted_proxy() -> None:
    headers = Headers([("X-Forwarded-Host", "bkt.s3.example.com")])
    untrusted = parse_route("GET", "10.0.0.1", "/key", "", headers, base_domains=BASE)
    trusted = parse_route(
        "GET", "10.0.0.1", "/key", "", headers, base_domains=BASE, trusted_proxy=True
    )
    assert (untrusted.bucket, untrusted.key) == ("key", None)
    assert (trusted.bucket, trusted.key) == ("bkt", "key")


def test_two_sub_resources_are_invalid_request() -> None:
    with pytest.raises(errors.InvalidRequest, match="acl, tagging"):
        parse_route("GET", "h", "/bkt/k", "acl&tagging", Headers(), base_domains=())


def test_repeated_parameter_is_invalid_argument() -> None:
    with pytest.raises(errors.InvalidArgument) as caught:
        parse_route("GET", "h", "/bkt", "prefix=a&prefix=b", Headers(), base_domains=())
    assert caught.value.values["ArgumentName"] == "prefix"


def test_upload_id_without_part_number_is_invalid_argument() -> None:
    with pytest.raises(errors.InvalidArgument):
        parse_route("PUT", "h", "/bkt/k", "uploadId=u", Headers(), base_domains=())


def test_wrong_list_type_is_invalid_argument() -> None:
    with pytest.raises(errors.InvalidArgument):
        parse_route("GET", "h", "/bkt", "list-type=3", Headers(), base_domains=())


@pytest.mark.parametrize("bucket", ["ab", "-bkt", "bkt-", "b..kt", "192.168.1.1", "a_b", "x" * 64])
def test_invalid_bucket_name_is_refused(bucket: str) -> None:
    with pytest.raises(errors.InvalidBucketName):
        parse_route("GET", "h", f"/{bucket}", "", Headers(), base_domains=())


@pytest.mark.parametrize("bucket", ["123.456", "1.2.3.4.5", "10.0.0.256", "b1.2.3.4"])
def test_bucket_name_of_digits_and_dots_that_is_no_ip_address_is_accepted(bucket: str) -> None:
    assert parse_route("GET", "h", f"/{bucket}", "", Headers(), base_domains=()).bucket == bucket


def test_sub_resource_on_the_wrong_method_is_method_not_allowed() -> None:
    with pytest.raises(errors.MethodNotAllowed):
        parse_route("POST", "h", "/bkt", "acl", Headers(), base_domains=())
    with pytest.raises(errors.MethodNotAllowed):
        parse_route("PUT", "h", "/", "", Headers(), base_domains=())


def test_unknown_method_is_not_implemented() -> None:
    with pytest.raises(errors.NotImplemented):
        parse_route("PATCH", "h", "/bkt/k", "", Headers(), base_domains=())


def test_over_long_key_is_key_too_long() -> None:
    with pytest.raises(errors.KeyTooLongError):
        parse_route("GET", "h", "/bkt/" + "k" * 1025, "", Headers(), base_domains=())


def test_invalid_utf8_in_the_key_is_invalid_uri() -> None:
    with pytest.raises(errors.InvalidURI):
        parse_route("GET", "h", "/bkt/%FF", "", Headers(), base_domains=())
