"""XML models rendered by the front door and parsed by real botocore; request-body parsers
refuse DTD/entity attacks and S3's limits."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.s3 import errors, xml_bodies
from gateway.s3 import xml as s3xml
from gateway.s3 import xml_listing as listing
from gateway.s3.checksums import ChecksumAlgorithm
from gateway.s3.messages import Handler, S3Request, S3Response
from gateway.s3.operations import Op
from tests.unit.s3.conftest import BotoFactory, StartServer

WHEN = dt.datetime(2026, 11, 23, 21, 48, 27, 123000, tzinfo=dt.UTC)
OWNER = s3xml.Owner("owner-id", "owner")
KEY = "dir/a b+c~ü=.txt"
OBJECT = listing.ObjectEntry(KEY, WHEN, '"etag"', 11, owner=OWNER)


def _xml(make: Callable[[S3Request], Any]) -> Handler:
    async def handler(request: S3Request) -> S3Response:
        model = make(request)
        if isinstance(model, Awaitable):
            model = await model
        return S3Response.xml(model.to_xml())

    return handler


async def _complete(request: S3Request) -> s3xml.CompleteMultipartUploadResult:
    parts = xml_bodies.parse_complete_multipart(await request.body.read_all())
    etag = f'"x-{len(parts)}"'
    return s3xml.CompleteMultipartUploadResult("loc", request.bucket or "", request.key or "", etag)


async def _delete(request: S3Request) -> s3xml.DeleteResult:
    parsed = xml_bodies.parse_delete(await request.body.read_all())
    deleted = [s3xml.Deleted(o.key) for o in parsed.objects[1:]]
    failure = s3xml.DeleteFailure(parsed.objects[0].key, "AccessDenied", "Access Denied")
    return s3xml.DeleteResult(deleted, [failure])


HANDLERS: dict[Op, Handler] = {
    Op.ListBuckets: _xml(
        lambda r: listing.ListAllMyBucketsResult(
            OWNER, [listing.BucketEntry("bkt", WHEN, "us-east-1")]
        )
    ),
    Op.ListObjectsV2: _xml(
        lambda r: listing.ListBucketResultV2(
            "bkt",
            [OBJECT],
            ["p q+/"],
            prefix=r.params.get("prefix", ""),
            delimiter=r.params.get("delimiter"),
            is_truncated=True,
            next_continuation_token="tok",
            encoding_type=r.params.get("encoding-type"),
        )
    ),
    Op.ListObjects: _xml(
        lambda r: listing.ListBucketResult(
            "bkt",
            [OBJECT],
            ["p q+/"],
            delimiter="/",
            is_truncated=True,
            next_marker=KEY,
            encoding_type=r.params.get("encoding-type"),
        )
    ),
    Op.ListObjectVersions: _xml(
        lambda r: listing.ListVersionsResult(
            "bkt",
            [
                listing.VersionEntry(KEY, "v2", True, WHEN, '"e"', 3),
                listing.DeleteMarkerEntry(KEY, "v1", False, WHEN),
            ],
            encoding_type=r.params.get("encoding-type"),
        )
    ),
    Op.CreateMultipartUpload: _xml(
        lambda r: s3xml.InitiateMultipartUploadResult(r.bucket or "", r.key or "", "upload-1")
    ),
    Op.CompleteMultipartUpload: _xml(_complete),
    Op.ListParts: _xml(
        lambda r: listing.ListPartsResult(
            "bkt",
            KEY,
            "upload-1",
            [listing.PartEntry(1, WHEN, '"p1"', 5, {ChecksumAlgorithm.CRC32: "AAAAAA=="})],
            is_truncated=True,
            next_part_number_marker=1,
            owner=OWNER,
        )
    ),
    Op.ListMultipartUploads: _xml(
        lambda r: listing.ListMultipartUploadsResult(
            "bkt",
            [listing.UploadEntry(KEY, "upload-1", WHEN, owner=OWNER)],
            encoding_type=r.params.get("encoding-type"),
        )
    ),
    Op.CopyObject: _xml(lambda r: s3xml.CopyObjectResult('"c"', WHEN)),
    Op.UploadPartCopy: _xml(lambda r: s3xml.copy_part_result('"cp"', WHEN)),
    Op.DeleteObjects: _xml(_delete),
    Op.GetBucketLocation: _xml(lambda r: s3xml.LocationConstraint("eu-west-1")),
    Op.GetBucketVersioning: _xml(lambda r: s3xml.VersioningConfiguration("Enabled")),
    Op.GetObjectTagging: _xml(lambda r: s3xml.Tagging([("k", "v & w")])),
    Op.GetBucketAcl: _xml(lambda r: s3xml.AccessControlPolicy(OWNER, [(OWNER, "FULL_CONTROL")])),
}


async def test_list_results_parse_in_botocore_with_url_encoded_keys(
    start_server: StartServer, boto: BotoFactory
) -> None:
    client = boto(await start_server(handlers=HANDLERS))
    v2 = await asyncio.to_thread(
        client.list_objects_v2, Bucket="bkt", Prefix="a b+c", Delimiter="/"
    )
    assert v2["Contents"][0]["Key"] == KEY
    assert v2["Contents"][0]["LastModified"] == WHEN
    assert v2["CommonPrefixes"] == [{"Prefix": "p q+/"}]
    assert v2["Prefix"] == "a b+c"
    assert (v2["KeyCount"], v2["IsTruncated"], v2["NextContinuationToken"]) == (2, True, "tok")
    v1 = await asyncio.to_thread(client.list_objects, Bucket="bkt")
    assert (v1["Contents"][0]["Key"], v1["NextMarker"]) == (KEY, KEY)
    assert v1["Contents"][0]["Owner"]["ID"] == "owner-id"
    versions = await asyncio.to_thread(client.list_object_versions, Bucket="bkt")
    assert versions["Versions"][0]["Key"] == KEY
    assert versions["Versions"][0]["IsLatest"] is True
    assert versions["DeleteMarkers"][0]["VersionId"] == "v1"
    uploads = await asyncio.to_thread(client.list_multipart_uploads, Bucket="bkt")
    assert uploads["Uploads"][0]["Key"] == KEY
    buckets = await asyncio.to_thread(client.list_buckets)
    assert buckets["Buckets"][0]["Name"] == "bkt"
    assert buckets["Owner"]["ID"] == "owner-id"


async def test_multipart_copy_and_delete_results_parse_in_botocore(
    start_server: StartServer, boto: BotoFactory
) -> None:
    client = boto(await start_server(handlers=HANDLERS))
    created = await asyncio.to_thread(client.create_multipart_upload, Bucket="bkt", Key=KEY)
    assert (created["Key"], created["UploadId"]) == (KEY, "upload-1")
    parts = [{"PartNumber": n, "ETag": f'"e{n}"'} for n in (1, 2, 3)]
    done = await asyncio.to_thread(
        client.complete_multipart_upload,
        Bucket="bkt",
        Key=KEY,
        UploadId="upload-1",
        MultipartUpload={"Parts": parts},
    )
    assert done["ETag"] == '"x-3"'
    listed = await asyncio.to_thread(client.list_parts, Bucket="bkt", Key=KEY, UploadId="upload-1")
    assert listed["Parts"][0]["ChecksumCRC32"] == "AAAAAA=="
    assert listed["NextPartNumberMarker"] == 1
    copied = await asyncio.to_thread(
        client.copy_object, Bucket="bkt", Key="k2", CopySource={"Bucket": "bkt", "Key": KEY}
    )
    assert copied["CopyObjectResult"]["ETag"] == '"c"'
    part = await asyncio.to_thread(
        client.upload_part_copy,
        Bucket="bkt",
        Key="k2",
        UploadId="u",
        PartNumber=1,
        CopySource={"Bucket": "bkt", "Key": KEY},
    )
    assert part["CopyPartResult"]["ETag"] == '"cp"'
    deleted = await asyncio.to_thread(
        client.delete_objects,
        Bucket="bkt",
        Delete={"Objects": [{"Key": "first"}, {"Key": KEY}], "Quiet": False},
    )
    assert deleted["Deleted"] == [{"Key": KEY}]
    assert deleted["Errors"][0]["Code"] == "AccessDenied"


async def test_bucket_configuration_results_parse_in_botocore(
    start_server: StartServer, boto: BotoFactory
) -> None:
    client = boto(await start_server(handlers=HANDLERS))
    location = await asyncio.to_thread(client.get_bucket_location, Bucket="bkt")
    assert location["LocationConstraint"] == "eu-west-1"
    versioning = await asyncio.to_thread(client.get_bucket_versioning, Bucket="bkt")
    assert versioning["Status"] == "Enabled"
    tagging = await asyncio.to_thread(client.get_object_tagging, Bucket="bkt", Key="k")
    assert tagging["TagSet"] == [{"Key": "k", "Value": "v & w"}]
    acl = await asyncio.to_thread(client.get_bucket_acl, Bucket="bkt")
    assert acl["Owner"]["ID"] == "owner-id"
    assert acl["Grants"] == [
        {
            "Grantee": {"ID": "owner-id", "DisplayName": "owner", "Type": "CanonicalUser"},
            "Permission": "FULL_CONTROL",
        }
    ]


# --- the listing hot path: Contents and CommonPrefixes are written directly --------------------

_TRICKY_KEYS = ["a&b", "<k>", "x > y", "q\"uote's", "a b+c/", "%2F&amp;", "ü/ß", "]]>"]
_texts = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
_keys = _texts | st.sampled_from(_TRICKY_KEYS)
_entries = st.builds(
    listing.ObjectEntry,
    key=_keys,
    last_modified=st.datetimes(
        min_value=dt.datetime(1971, 1, 2),  # noqa: DTZ001 - hypothesis takes naive bounds
        max_value=dt.datetime(9998, 1, 1),  # noqa: DTZ001
        timezones=st.just(dt.UTC),
    ),
    etag=_keys,
    size=st.integers(0, 5 * 2**40),
    storage_class=st.sampled_from(["STANDARD", "A&B"]),
    owner=st.none() | st.builds(s3xml.Owner, _keys, st.none() | _keys),
    checksum_algorithm=st.none() | st.sampled_from(list(ChecksumAlgorithm)),
)


def _reference_contents(entry: listing.ObjectEntry, encode: s3xml.EncodeFn) -> s3xml.Node:
    """S3's <Contents> as the generic renderer writes it: the oracle for the hot path."""
    algorithm = entry.checksum_algorithm.name if entry.checksum_algorithm else None
    return (
        "Contents",
        [
            ("Key", encode(entry.key)),
            ("LastModified", entry.last_modified),
            ("ETag", entry.etag),
            ("ChecksumAlgorithm", algorithm),
            ("Size", entry.size),
            ("Owner", entry.owner.nodes() if entry.owner else None),
            ("StorageClass", entry.storage_class),
        ],
    )


@settings(max_examples=300, deadline=None)
@given(
    contents=st.lists(_entries, max_size=4),
    prefixes=st.lists(_keys, max_size=3),
    encoding=st.sampled_from([None, "url"]),
)
def test_list_objects_v2_hot_path_writes_what_the_generic_renderer_writes(
    contents: list[listing.ObjectEntry], prefixes: list[str], encoding: str | None
) -> None:
    result = listing.ListBucketResultV2(
        "bkt", contents, prefixes, prefix="p&", delimiter="/", encoding_type=encoding
    )
    enc = s3xml.url_encoder(encoding)
    expected = s3xml.render(
        "ListBucketResult",
        [
            ("Name", "bkt"),
            ("Prefix", enc("p&")),
            ("Delimiter", "/"),
            ("MaxKeys", 1000),
            ("EncodingType", encoding),
            ("KeyCount", len(contents) + len(prefixes)),
            ("IsTruncated", False),
            *[_reference_contents(entry, enc) for entry in contents],
            *[("CommonPrefixes", [("Prefix", enc(p))]) for p in prefixes],
        ],
    )
    assert result.to_xml() == expected


@pytest.mark.parametrize("encoding", [None, "url"])
def test_list_objects_keys_needing_escaping_parse_back(encoding: str | None) -> None:
    owner = s3xml.Owner("id&1", "<me>")
    entries = [listing.ObjectEntry(k, WHEN, '"e&"', 1, owner=owner) for k in _TRICKY_KEYS]
    body = listing.ListBucketResult(
        "bkt", entries, ["p&q/", "<x>/"], encoding_type=encoding
    ).to_xml()
    root = ElementTree.fromstring(body)
    ns = {"s3": s3xml.NAMESPACE}
    decode = unquote if encoding == "url" else str
    keys = [decode(k.text or "") for k in root.iterfind("s3:Contents/s3:Key", ns)]
    assert keys == _TRICKY_KEYS
    assert [e.text for e in root.iterfind("s3:Contents/s3:ETag", ns)] == ['"e&"'] * len(entries)
    assert {e.text for e in root.iterfind("s3:Contents/s3:Owner/s3:ID", ns)} == {"id&1"}
    prefixes = [decode(p.text or "") for p in root.iterfind("s3:CommonPrefixes/s3:Prefix", ns)]
    assert prefixes == ["p&q/", "<x>/"]


async def test_list_objects_v2_escaped_keys_parse_in_botocore(
    start_server: StartServer, boto: BotoFactory
) -> None:
    """botocore asks for encoding-type=url and decodes what it gets."""
    handlers: dict[Op, Handler] = {
        Op.ListObjectsV2: _xml(
            lambda r: listing.ListBucketResultV2(
                "bkt",
                [listing.ObjectEntry(k, WHEN, '"e"', 1) for k in _TRICKY_KEYS],
                ["p&q+ /"],
                encoding_type=r.params.get("encoding-type"),
            )
        )
    }
    client = boto(await start_server(handlers=handlers))
    answer = await asyncio.to_thread(client.list_objects_v2, Bucket="bkt")
    assert [c["Key"] for c in answer["Contents"]] == _TRICKY_KEYS
    assert answer["CommonPrefixes"] == [{"Prefix": "p&q+ /"}]


def test_location_constraint_for_us_east_1_is_empty() -> None:
    assert b"<LocationConstraint xmlns=" in s3xml.LocationConstraint("us-east-1").to_xml()
    assert b"></LocationConstraint>" in s3xml.LocationConstraint("us-east-1").to_xml()


def test_timestamps_have_milliseconds_and_z() -> None:
    assert s3xml.timestamp(WHEN) == "2026-11-23T21:48:27.123Z"


# --- request-body parsers -----------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Delete><Object><Key>&lol2;</Key></Object></Delete>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Delete><Object><Key>&xxe;</Key></Object></Delete>"""
PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]><Delete/>"""


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS,
        EXTERNAL,
        PARAMETER,
        b"<!DOCTYPE Delete><Delete><Object><Key>k</Key></Object></Delete>",
        b"<Delete><Object><Key>&undefined;</Key></Object></Delete>",
        b"<Delete><Object><Key>k</Key></Object>",
        b"not xml",
        b"<Other><Object><Key>k</Key></Object></Other>",
        b"<Delete></Delete>",
        b"<Delete><Object><VersionId>1</VersionId></Object></Delete>",
        b"<Delete><Quiet>maybe</Quiet><Object><Key>k</Key></Object></Delete>",
        b"<Delete>" + b"<a>" * 40 + b"</a>" * 40 + b"</Delete>",
    ],
)
def test_delete_body_attacks_and_malformations_are_malformed_xml(body: bytes) -> None:
    with pytest.raises(errors.MalformedXML):
        xml_bodies.parse_delete(body)


def test_delete_with_more_than_1000_keys_is_malformed_xml() -> None:
    objects = b"".join(b"<Object><Key>k%d</Key></Object>" % i for i in range(1001))
    with pytest.raises(errors.MalformedXML):
        xml_bodies.parse_delete(b"<Delete>" + objects + b"</Delete>")


def test_delete_parses_keys_versions_and_quiet_with_namespace() -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Quiet>true</Quiet><Object><Key>a &amp; b</Key></Object>"
        b"<Object><Key> sp </Key><VersionId>v1</VersionId></Object></Delete>"
    )
    parsed = xml_bodies.parse_delete(body)
    assert parsed.quiet is True
    assert parsed.objects == (
        xml_bodies.ObjectIdentifier("a & b"),
        xml_bodies.ObjectIdentifier(" sp ", "v1"),
    )


def test_complete_multipart_parts_must_ascend() -> None:
    body = (
        b"<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>a</ETag></Part>"
        b"<Part><PartNumber>1</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>"
    )
    with pytest.raises(errors.InvalidPartOrder):
        xml_bodies.parse_complete_multipart(body)


def test_complete_multipart_reads_checksums() -> None:
    body = (
        b'<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag>'
        b"<ChecksumCRC32>DUoRhQ==</ChecksumCRC32></Part></CompleteMultipartUpload>"
    )
    (part,) = xml_bodies.parse_complete_multipart(body)
    assert part == xml_bodies.CompletedPart(1, '"a"', {ChecksumAlgorithm.CRC32: "DUoRhQ=="})


def test_create_bucket_configuration_empty_or_with_constraint() -> None:
    assert xml_bodies.parse_create_bucket(b"").location_constraint is None
    body = (
        b"<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
        b"</CreateBucketConfiguration>"
    )
    assert xml_bodies.parse_create_bucket(body).location_constraint == "eu-west-1"
