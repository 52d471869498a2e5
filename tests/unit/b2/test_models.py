from __future__ import annotations

import pytest

from gateway.b2._json import parse_object
from gateway.b2.download import download_info, parse_content_range
from gateway.b2.errors import B2ProtocolError
from gateway.b2.models import AccountAuthorization, ByteRange, ContentRange, FileVersion

AUTHORIZE_V4 = b"""{
  "accountId": "acc", "authorizationToken": "tok", "applicationKeyExpirationTimestamp": null,
  "apiInfo": {"storageApi": {"apiUrl": "http://api", "downloadUrl": "http://dl",
    "s3ApiUrl": "http://s3", "recommendedPartSize": 100000000, "absoluteMinimumPartSize": 5000000,
    "allowed": {"buckets": [{"id": "b1", "name": null}], "capabilities": ["listFiles"],
                "namePrefix": "p/"}},
   "groupsApi": {}}
}"""


def test_account_authorization_reads_v4_shape() -> None:
    auth = AccountAuthorization.from_json(parse_object(AUTHORIZE_V4))
    assert auth.api_url == "http://api"
    assert auth.download_url == "http://dl"
    assert auth.absolute_minimum_part_size == 5_000_000
    assert auth.allowed.capabilities == ("listFiles",)
    assert auth.allowed.name_prefix == "p/"
    assert auth.allowed.buckets is not None
    assert auth.allowed.buckets[0].bucket_name is None


def test_file_version_reads_recorded_upload_object() -> None:
    version = FileVersion.from_json(
        parse_object(
            b'{"accountId":"a","action":"upload","bucketId":"b","contentLength":4,'
            b'"contentMd5":"e2fc","contentSha1":"81fe","contentType":"text/plain",'
            b'"fileId":"4_zb_f1","fileInfo":{"src_last_modified_millis":"1637248673875"},'
            b'"fileName":"a/b.txt","uploadTimestamp":1640884512000}'
        )
    )
    assert version.file_id == "4_zb_f1"
    assert version.file_info == {"src_last_modified_millis": "1637248673875"}
    assert version.upload_timestamp == 1640884512000


def test_file_version_reads_folder_with_nulls() -> None:
    version = FileVersion.from_json(
        parse_object(
            b'{"action":"folder","fileId":null,"fileName":"photos/","contentLength":0,'
            b'"contentSha1":null,"contentType":null,"uploadTimestamp":0,"fileInfo":{}}'
        )
    )
    assert version.file_id is None
    with pytest.raises(B2ProtocolError):
        version.require_id()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"action":"upload","fileName":7}',
        b'{"action":"upload","fileName":"x","contentLength":"4"}',
        b'{"action":"upload","fileName":"x","fileInfo":{"k":1}}',
    ],
)
def test_file_version_refuses_wrong_shapes(body: bytes) -> None:
    with pytest.raises(B2ProtocolError):
        FileVersion.from_json(parse_object(body))


def test_download_info_reads_typed_headers() -> None:
    info = download_info(
        206,
        {
            "Content-Length": "3",
            "Content-Type": "text/plain",
            "Content-Range": "bytes 2-4/10",
            "X-Bz-File-Id": "id1",
            "X-Bz-File-Name": "dir/a%20b%2Bc.txt",
            "X-Bz-Content-Sha1": "none",
            "X-Bz-Upload-Timestamp": "1700000000000",
            "X-Bz-Info-Author": "J%C3%BCrgen",
            "Cache-Control": "max-age=5",
        },
    )
    assert info.file_name == "dir/a b+c.txt"
    assert info.content_sha1 is None
    assert info.content_range == ContentRange(2, 4, 10)
    assert info.file_info == {"author": "Jürgen"}
    assert info.cache_control == "max-age=5"


def test_download_info_missing_required_header() -> None:
    with pytest.raises(B2ProtocolError, match="X-Bz-File-Id"):
        download_info(200, {"Content-Length": "1", "X-Bz-Content-Sha1": "x"})


def test_parse_content_range_refuses_garbage() -> None:
    assert parse_content_range(None) is None
    with pytest.raises(B2ProtocolError):
        parse_content_range("bytes */10")


def test_byte_range_header() -> None:
    assert ByteRange(0, 9).header() == "bytes=0-9"
    assert ByteRange(5).header() == "bytes=5-"
    with pytest.raises(ValueError, match="invalid byte range"):
        ByteRange(5, 4)
