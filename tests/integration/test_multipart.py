"""Multipart uploads end to end: boto3 -> gateway -> emulator, over real sockets."""

from __future__ import annotations

import base64
import hashlib
import socket
import zlib
from typing import Any
from urllib.parse import urlsplit

import pytest
from boto3.s3.transfer import TransferConfig

from gateway.s3 import errors
from gateway.translate import multipart_complete
from gateway.translate.names import RESERVED_ROOT
from tests.integration.conftest import Stack
from tests.integration.helpers import refused

MIB = 1024 * 1024
PART = 5 * MIB  # S3's minimum for every part but the last


def blob(size: int, seed: int) -> bytes:
    """Deterministic, incompressible-looking bytes (no two parts alike)."""
    block = hashlib.sha256(str(seed).encode()).digest() * 64
    return (block * (size // len(block) + 1))[:size]


def multipart_etag(*parts: bytes) -> str:
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(joined).hexdigest()}-{len(parts)}"'


def upload(s3: Any, bucket: str, key: str, **extra: Any) -> str:
    created = s3.create_multipart_upload(Bucket=bucket, Key=key, **extra)
    upload_id: str = created["UploadId"]
    return upload_id


def put_part(s3: Any, bucket: str, key: str, upload_id: str, number: int, data: bytes) -> str:
    answer = s3.upload_part(
        Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
    )
    etag: str = answer["ETag"]
    return etag


def complete(s3: Any, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]]) -> Any:
    return s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]},
    )


def reserved_versions(stack: Stack, bucket: str) -> list[str]:
    return [v.name for v in stack.versions(bucket) if v.name.startswith(RESERVED_ROOT)]


def test_multipart_with_gaps_reupload_and_out_of_order_parts_round_trips(
    s3: Any, stack: Stack, bucket: str
) -> None:
    key = "dir/big object.bin"
    upload_id = upload(s3, bucket, key, ContentType="text/plain", Metadata={"colour": "blue"})
    third = blob(PART, 3)
    last = blob(1234, 7)
    etag3 = put_part(s3, bucket, key, upload_id, 3, third)
    put_part(s3, bucket, key, upload_id, 1, blob(PART, 99))  # replaced below
    first = blob(PART + 17, 1)
    etag1 = put_part(s3, bucket, key, upload_id, 1, first)
    etag7 = put_part(s3, bucket, key, upload_id, 7, last)
    assert etag1 == f'"{hashlib.md5(first).hexdigest()}"'

    done = complete(s3, bucket, key, upload_id, [(1, etag1), (3, etag3), (7, etag7)])

    expected = multipart_etag(first, third, last)
    assert done["ETag"] == expected
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ETag"] == expected
    assert head["ContentLength"] == len(first) + len(third) + len(last)
    assert head["ContentType"] == "text/plain"
    assert head["Metadata"] == {"colour": "blue"}
    assert head["VersionId"] == done["VersionId"]
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["ETag"] == expected
    assert got["Body"].read() == first + third + last
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["ETag"]) for o in listed] == [(key, expected)]
    assert reserved_versions(stack, bucket) == []  # parts (all versions) and marker are gone


def test_single_part_upload_completes_with_a_one_part_etag(
    s3: Any, stack: Stack, bucket: str
) -> None:
    upload_id = upload(s3, bucket, "one")
    data = blob(100, 1)
    etag = put_part(s3, bucket, "one", upload_id, 5, data)
    done = complete(s3, bucket, "one", upload_id, [(5, etag)])
    assert done["ETag"] == multipart_etag(data)
    assert s3.get_object(Bucket=bucket, Key="one")["Body"].read() == data
    assert s3.head_object(Bucket=bucket, Key="one")["ETag"] == multipart_etag(data)
    assert [v.name for v in stack.versions(bucket)] == ["one"]


def test_abort_leaves_nothing_behind(s3: Any, stack: Stack, bucket: str) -> None:
    upload_id = upload(s3, bucket, "k")
    put_part(s3, bucket, "k", upload_id, 1, blob(10, 1))
    put_part(s3, bucket, "k", upload_id, 1, blob(10, 2))
    put_part(s3, bucket, "k", upload_id, 2, blob(10, 3))
    assert len(reserved_versions(stack, bucket)) == 4  # marker + 3 part versions

    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)

    assert stack.versions(bucket) == []
    with refused(errors.NoSuchUpload):
        s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    with refused(errors.NoSuchUpload):
        s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)


def test_upload_part_to_unknown_upload_is_no_such_upload(s3: Any, bucket: str) -> None:
    upload_id = upload(s3, bucket, "k")
    with refused(errors.NoSuchUpload):
        put_part(s3, bucket, "other-key", upload_id, 1, b"x")
    with refused(errors.NoSuchUpload):
        put_part(s3, bucket, "k", "not-an-upload-id", 1, b"x")
    with refused(errors.NoSuchUpload):
        put_part(s3, bucket, "k", "0000000000000-0123456789abcdef", 1, b"x")


def test_complete_refuses_unknown_part_and_wrong_etag(s3: Any, stack: Stack, bucket: str) -> None:
    upload_id = upload(s3, bucket, "k")
    etag = put_part(s3, bucket, "k", upload_id, 1, b"data")
    with refused(errors.InvalidPart):
        complete(s3, bucket, "k", upload_id, [(2, etag)])
    with refused(errors.InvalidPart):
        complete(s3, bucket, "k", upload_id, [(1, '"' + "0" * 32 + '"')])
    # The upload is still usable after a refused Complete.
    complete(s3, bucket, "k", upload_id, [(1, etag)])
    assert [v.name for v in stack.versions(bucket)] == ["k"]


def test_complete_refuses_parts_out_of_order(s3: Any, bucket: str) -> None:
    upload_id = upload(s3, bucket, "k")
    one = put_part(s3, bucket, "k", upload_id, 1, blob(PART, 1))
    two = put_part(s3, bucket, "k", upload_id, 2, b"end")
    with refused(errors.InvalidPartOrder):
        complete(s3, bucket, "k", upload_id, [(2, two), (1, one)])


def test_complete_refuses_small_non_last_part(s3: Any, bucket: str) -> None:
    upload_id = upload(s3, bucket, "k")
    one = put_part(s3, bucket, "k", upload_id, 1, blob(PART - 1, 1))
    two = put_part(s3, bucket, "k", upload_id, 2, b"end")
    with pytest.raises(s3.exceptions.ClientError) as caught:
        complete(s3, bucket, "k", upload_id, [(1, one), (2, two)])
    error = caught.value.response["Error"]
    assert error["Code"] == errors.EntityTooSmall.code
    assert error["ProposedSize"] == str(PART - 1)
    assert error["PartNumber"] == "1"


def test_complete_after_abort_is_no_such_upload(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"an object that is not this upload's")
    upload_id = upload(s3, bucket, "k")
    etag = put_part(s3, bucket, "k", upload_id, 1, b"data")
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    with refused(errors.NoSuchUpload):
        complete(s3, bucket, "k", upload_id, [(1, etag)])


def test_retried_complete_after_success_answers_the_same_result(s3: Any, bucket: str) -> None:
    upload_id = upload(s3, bucket, "k", ChecksumAlgorithm="CRC32")
    etag = put_part(s3, bucket, "k", upload_id, 1, b"data")
    first = complete(s3, bucket, "k", upload_id, [(1, etag)])
    again = complete(s3, bucket, "k", upload_id, [(1, etag)])
    fields = ("ETag", "VersionId", "ChecksumCRC32", "Key")
    assert [again[f] for f in fields] == [first[f] for f in fields]


def test_list_parts_pages_with_part_number_marker(s3: Any, bucket: str) -> None:
    upload_id = upload(s3, bucket, "k")
    etags = {n: put_part(s3, bucket, "k", upload_id, n, blob(n, n)) for n in (2, 5, 9)}
    first = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id, MaxParts=2)
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in first["Parts"]] == [
        (2, etags[2], 2),
        (5, etags[5], 5),
    ]
    assert first["IsTruncated"] is True
    assert first["NextPartNumberMarker"] == 5
    rest = s3.list_parts(
        Bucket=bucket, Key="k", UploadId=upload_id, PartNumberMarker=first["NextPartNumberMarker"]
    )
    assert [p["PartNumber"] for p in rest["Parts"]] == [9]
    assert rest["IsTruncated"] is False


def test_list_multipart_uploads_orders_by_key_then_initiation_and_pages(
    s3: Any, bucket: str
) -> None:
    ids = [
        ("b", upload(s3, bucket, "b")),
        ("a/x", upload(s3, bucket, "a/x")),
        ("a", upload(s3, bucket, "a")),
        ("b", upload(s3, bucket, "b")),
        ("a/", upload(s3, bucket, "a/")),
        ("a b", upload(s3, bucket, "a b")),
    ]
    expected = sorted(ids, key=lambda pair: (pair[0].encode(), pair[1]))
    listed = s3.list_multipart_uploads(Bucket=bucket)
    assert [(u["Key"], u["UploadId"]) for u in listed["Uploads"]] == expected
    assert listed["IsTruncated"] is False

    seen: list[tuple[str, str]] = []
    markers: dict[str, str] = {}
    while True:
        page = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=2, **markers)
        seen += [(u["Key"], u["UploadId"]) for u in page["Uploads"]]
        if not page["IsTruncated"]:
            break
        markers = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}
    assert seen == expected

    rolled = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [u["Key"] for u in rolled["Uploads"]] == ["a", "a b", "b", "b"]
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["a/"]
    under = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/")
    assert [u["Key"] for u in under["Uploads"]] == ["a/", "a/x"]
    after = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="a/x")
    assert [u["Key"] for u in after["Uploads"]] == ["b", "b"]
    past_prefix = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="a/", Delimiter="/")
    assert [u["Key"] for u in past_prefix["Uploads"]] == ["b", "b"]


def test_multipart_objects_and_parts_never_appear_in_object_listings(s3: Any, bucket: str) -> None:
    upload_id = upload(s3, bucket, "pending")
    put_part(s3, bucket, "pending", upload_id, 1, b"x")
    s3.put_object(Bucket=bucket, Key="visible", Body=b"y")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["visible"]
    versions = s3.list_object_versions(Bucket=bucket).get("Versions", [])
    assert [v["Key"] for v in versions] == ["visible"]


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_crc32_full_object_checksum_is_combined_from_parts(s3: Any, bucket: str) -> None:
    key = "crc"
    created = s3.create_multipart_upload(
        Bucket=bucket, Key=key, ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT"
    )
    upload_id = created["UploadId"]
    one, two = blob(PART, 1), blob(999, 2)
    answers = [
        s3.upload_part(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=n,
            Body=data,
            ChecksumAlgorithm="CRC32",
        )
        for n, data in ((1, one), (2, two))
    ]
    assert answers[1]["ChecksumCRC32"] == _crc32(two)
    layout = {
        "Parts": [
            {"PartNumber": n, "ETag": a["ETag"], "ChecksumCRC32": a["ChecksumCRC32"]}
            for n, a in ((1, answers[0]), (2, answers[1]))
        ]
    }
    with refused(errors.BadDigest):  # the whole object's CRC, stated wrongly
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload=layout,
            ChecksumCRC32=_crc32(b"something else"),
        )
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload=layout
    )
    assert done["ChecksumCRC32"] == _crc32(one + two)
    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert (got["ChecksumCRC32"], got["ChecksumType"]) == (_crc32(one + two), "FULL_OBJECT")
    assert got["Body"].read() == one + two  # botocore validates the CRC against the body


def test_composite_checksum_when_client_sends_none_for_parts(s3_factory: Any, bucket: str) -> None:
    s3 = s3_factory(checksums="when_required")
    key = "composite"
    upload_id = upload(s3, bucket, key, ChecksumAlgorithm="SHA256")
    one, two = blob(PART, 1), blob(10, 2)
    parts = [(n, put_part(s3, bucket, key, upload_id, n, d)) for n, d in ((1, one), (2, two))]
    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]
    sha = [base64.b64encode(hashlib.sha256(d).digest()).decode() for d in (one, two)]
    assert [p["ChecksumSHA256"] for p in listed] == sha
    done = complete(s3, bucket, key, upload_id, parts)
    joined = b"".join(base64.b64decode(s) for s in sha)
    expected = base64.b64encode(hashlib.sha256(joined).digest()).decode() + "-2"
    assert done["ChecksumSHA256"] == expected
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert (head["ChecksumSHA256"], head["ChecksumType"]) == (expected, "COMPOSITE")


def _cut_off_upload(url: str, announced: int, sent: bytes) -> bytes:
    """PUT ``url`` announcing ``announced`` bytes, send ``sent``, stop sending, and read
    whatever the server answers until it closes (so its handling is over)."""
    parsed = urlsplit(url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=60) as conn:
        head = (
            f"PUT {parsed.path}?{parsed.query} HTTP/1.1\r\nHost: {parsed.netloc}\r\n"
            f"Content-Length: {announced}\r\n\r\n"
        )
        conn.sendall(head.encode() + sent)
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
        return answer


@pytest.mark.parametrize("size", [100_000, 3 * MIB], ids=["buffered", "streamed"])
def test_part_upload_cut_off_mid_body_stores_no_part(
    s3: Any, stack: Stack, bucket: str, size: int
) -> None:
    upload_id = upload(s3, bucket, "k")
    url = s3.generate_presigned_url(
        "upload_part",
        Params={"Bucket": bucket, "Key": "k", "UploadId": upload_id, "PartNumber": 1},
        ExpiresIn=300,
    )
    answer = _cut_off_upload(url, size, blob(size // 2, 1))
    assert b" 200 " not in answer.split(b"\r\n", 1)[0]
    assert s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id).get("Parts", []) == []
    assert len(reserved_versions(stack, bucket)) == 1  # the marker only


@pytest.mark.parametrize(
    "flavour",
    [{"https": False}, {"https": True}, {"https": True, "checksums": "when_required"}],
    ids=["http-crc32-header", "https-crc32-trailer", "https-no-checksum"],
)
def test_boto3_transfer_manager_round_trips_and_checksum_mode_get_validates(
    s3_factory: Any, bucket: str, tmp_path: Any, flavour: dict[str, Any]
) -> None:
    s3 = s3_factory(**flavour)
    data = blob(2 * PART + 12345, 5)
    source = tmp_path / "up"
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART)
    s3.upload_file(str(source), bucket, "managed", Config=config)
    head = s3.head_object(Bucket=bucket, Key="managed", ChecksumMode="ENABLED")
    assert head["ETag"] == multipart_etag(data[:PART], data[PART : 2 * PART], data[2 * PART :])
    got = s3.get_object(Bucket=bucket, Key="managed", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    if not flavour["https"]:  # over TLS, download_file leaves server sockets open (not ours)
        target = tmp_path / "down"
        s3.download_file(bucket, "managed", str(target), Config=config)
        assert target.read_bytes() == data


def test_upload_part_copy_ranges_versions_and_conditions(s3: Any, bucket: str) -> None:
    old = blob(PART + 100, 11)
    first_version = s3.put_object(Bucket=bucket, Key="src", Body=old)["VersionId"]
    new = blob(3000, 12)
    s3.put_object(Bucket=bucket, Key="src", Body=new)
    upload_id = upload(s3, bucket, "dst", ChecksumAlgorithm="CRC32")

    def copy_part(number: int, version: str | None = None, **extra: Any) -> Any:
        source = {"Bucket": bucket, "Key": "src", **({"VersionId": version} if version else {})}
        return s3.upload_part_copy(
            Bucket=bucket,
            Key="dst",
            UploadId=upload_id,
            PartNumber=number,
            CopySource=source,
            **extra,
        )

    whole_old = copy_part(1, first_version)
    assert whole_old["CopyPartResult"]["ETag"] == f'"{hashlib.md5(old).hexdigest()}"'
    assert whole_old["CopySourceVersionId"] == first_version
    assert whole_old["CopyPartResult"]["ChecksumCRC32"] == _crc32(old)
    ranged = copy_part(2, CopySourceRange="bytes=10-19")
    assert ranged["CopyPartResult"]["ETag"] == f'"{hashlib.md5(new[10:20]).hexdigest()}"'
    with refused(errors.PreconditionFailed):
        copy_part(3, CopySourceIfMatch='"' + "0" * 32 + '"')
    with refused(errors.InvalidRange):
        copy_part(3, CopySourceRange="bytes=0-3000")
    parts = [(1, whole_old["CopyPartResult"]["ETag"]), (2, ranged["CopyPartResult"]["ETag"])]
    done = complete(s3, bucket, "dst", upload_id, parts)
    assert done["ETag"] == multipart_etag(old, new[10:20])
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == old + new[10:20]


def test_complete_accepts_the_correct_whole_object_checksum(s3: Any, bucket: str) -> None:
    upload_id = upload(s3, bucket, "k", ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
    data = b"abc"
    etag = put_part(s3, bucket, "k", upload_id, 1, data)
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="k",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
        ChecksumCRC32=_crc32(data),
    )
    assert done["ChecksumCRC32"] == _crc32(data)


def test_complete_refuses_a_wrong_whole_object_checksum_and_keeps_the_upload(
    s3: Any, bucket: str
) -> None:
    upload_id = upload(s3, bucket, "k", ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
    data = b"abc"
    etag = put_part(s3, bucket, "k", upload_id, 1, data)
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    with refused(errors.BadDigest):
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            MultipartUpload=parts,
            ChecksumCRC32=_crc32(b"not the data"),
        )
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=bucket, Key="k")
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="k",
        UploadId=upload_id,
        MultipartUpload=parts,
        ChecksumCRC32=_crc32(data),
    )
    assert done["ChecksumCRC32"] == _crc32(data)


def test_slow_complete_streams_whitespace_then_the_result(
    s3: Any, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Any assembly outlasts a zero keep-alive interval: the answer is S3's streamed 200.
    monkeypatch.setattr(multipart_complete, "KEEPALIVE_SECONDS", 0.0)
    upload_id = upload(s3, bucket, "slow")
    parts = [(n, put_part(s3, bucket, "slow", upload_id, n, blob(PART, n))) for n in (1, 2)]
    done = complete(s3, bucket, "slow", upload_id, parts)
    assert done["ETag"] == multipart_etag(blob(PART, 1), blob(PART, 2))
    assert s3.head_object(Bucket=bucket, Key="slow")["ETag"] == done["ETag"]


def test_slow_complete_failing_late_answers_an_error_document_in_the_200(
    s3: Any, stack: Stack, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(multipart_complete, "KEEPALIVE_SECONDS", 0.0)
    upload_id = upload(s3, bucket, "slow")
    parts = [(n, put_part(s3, bucket, "slow", upload_id, n, blob(PART, n))) for n in (1, 2)]
    stack.inject("b2_finish_large_file", 400, "bad_request")
    with pytest.raises(s3.exceptions.ClientError):
        complete(s3, bucket, "slow", upload_id, parts)
    assert [v.name for v in stack.versions(bucket) if not v.name.startswith(RESERVED_ROOT)] == []
    # The upload survives a failed assembly: a retry completes it.
    complete(s3, bucket, "slow", upload_id, parts)


@pytest.mark.parametrize("key", ["folder/", "/lead", "a//b", "back\\slash", "tab\there", "é" * 300])
def test_multipart_upload_of_keys_b2_cannot_name_round_trips(
    s3: Any, stack: Stack, bucket: str, key: str
) -> None:
    upload_id = upload(s3, bucket, key)
    assert [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [key]
    etag = put_part(s3, bucket, key, upload_id, 1, b"payload")
    assert [
        p["PartNumber"] for p in s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]
    ] == [1]
    complete(s3, bucket, key, upload_id, [(1, etag)])
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"payload"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_multipart_key_too_long_for_its_marker_is_refused_before_anything_is_written(
    s3: Any, stack: Stack, bucket: str
) -> None:
    # The marker's name holds the key plus ~50 bytes; B2 names stop at 1024 bytes.
    upload(s3, bucket, "k" * 960)
    with refused(errors.KeyTooLongError):
        upload(s3, bucket, "k" * 1000)
    assert len(stack.versions(bucket)) == 1


def test_part_with_a_wrong_or_foreign_checksum_is_refused_and_not_stored(
    s3: Any, stack: Stack, bucket: str
) -> None:
    upload_id = upload(s3, bucket, "k", ChecksumAlgorithm="CRC32")
    with refused(errors.BadDigest):
        s3.upload_part(
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            PartNumber=1,
            Body=b"data",
            ChecksumCRC32=_crc32(b"other"),
        )
    with refused(errors.InvalidRequest):
        s3.upload_part(
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            PartNumber=1,
            Body=b"data",
            ChecksumAlgorithm="SHA256",
        )
    assert len(reserved_versions(stack, bucket)) == 1  # the marker only


def test_get_and_head_part_number_serve_each_part_of_a_uniform_upload(s3: Any, bucket: str) -> None:
    data = [blob(PART, 1), blob(PART, 2), blob(1000, 3)]
    upload_id = upload(s3, bucket, "k")
    parts = [(n, put_part(s3, bucket, "k", upload_id, n, d)) for n, d in enumerate(data, 1)]
    complete(s3, bucket, "k", upload_id, parts)
    for number, expected in enumerate(data, 1):
        got = s3.get_object(Bucket=bucket, Key="k", PartNumber=number)
        assert got["Body"].read() == expected
        assert (got["PartsCount"], got["ContentLength"]) == (3, len(expected))
        start = PART * (number - 1)
        assert got["ContentRange"] == f"bytes {start}-{start + len(expected) - 1}/{2 * PART + 1000}"
        head = s3.head_object(Bucket=bucket, Key="k", PartNumber=number)
        assert (head["PartsCount"], head["ContentLength"]) == (3, len(expected))
    with refused(errors.InvalidPartNumber):
        s3.get_object(Bucket=bucket, Key="k", PartNumber=4)
    assert "PartsCount" not in s3.head_object(Bucket=bucket, Key="k")


def test_get_and_head_part_number_serve_each_part_of_an_uneven_upload(s3: Any, bucket: str) -> None:
    data = [blob(PART + 1, 1), blob(PART, 2), blob(PART, 3), blob(PART + 7, 4)]
    upload_id = upload(s3, bucket, "k")
    parts = [(n, put_part(s3, bucket, "k", upload_id, n, d)) for n, d in enumerate(data, 1)]
    complete(s3, bucket, "k", upload_id, parts)
    start = 0
    for number, expected in enumerate(data, 1):
        got = s3.get_object(Bucket=bucket, Key="k", PartNumber=number)
        assert got["Body"].read() == expected
        assert got["PartsCount"] == 4
        assert (
            got["ContentRange"]
            == f"bytes {start}-{start + len(expected) - 1}/{sum(map(len, data))}"
        )
        head = s3.head_object(Bucket=bucket, Key="k", PartNumber=number)
        assert (head["PartsCount"], head["ContentLength"]) == (4, len(expected))
        start += len(expected)
    with refused(errors.InvalidPartNumber):
        s3.get_object(Bucket=bucket, Key="k", PartNumber=5)
