from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.s3.errors import InvalidArgument, MetadataTooLarge
from gateway.translate.mapping import (
    RESERVED_KEY,
    GatewayInfo,
    ObjectAttributes,
    PartLayout,
    attributes_from_headers,
    from_file_info,
    http_date,
    iso8601,
    quoted_etag,
    to_file_info,
)


def test_attributes_from_headers_collects_metadata_and_content_headers() -> None:
    attributes = attributes_from_headers(
        [
            ("X-Amz-Meta-Color", "blue"),
            ("Content-Type", "text/plain"),
            ("Cache-Control", "max-age=60"),
            ("Content-Disposition", 'attachment; filename="a b.txt"'),
            ("x-amz-meta-Mtime", "1700000000"),
            ("Host", "example.com"),
        ]
    )
    assert attributes.metadata == {"color": "blue", "mtime": "1700000000"}
    assert attributes.content_headers == {
        "cache-control": "max-age=60",
        "content-disposition": 'attachment; filename="a b.txt"',
    }


def test_attributes_from_headers_joins_repeated_metadata_like_s3() -> None:
    attributes = attributes_from_headers([("x-amz-meta-tag", "a"), ("x-amz-meta-tag", "b")])
    assert attributes.metadata == {"tag": "a,b"}


@pytest.mark.parametrize(
    ("encoding", "stored"),
    [("aws-chunked", None), ("aws-chunked,gzip", "gzip"), ("gzip, aws-chunked", "gzip")],
)
def test_attributes_from_headers_drops_aws_chunked_content_coding(
    encoding: str, stored: str | None
) -> None:
    attributes = attributes_from_headers([("Content-Encoding", encoding)])
    assert attributes.content_headers.get("content-encoding") == stored


@pytest.mark.parametrize("key", ["b2-content-type", "b2-anything", RESERVED_KEY])
def test_attributes_from_headers_refuses_reserved_metadata_keys(key: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        attributes_from_headers([(f"x-amz-meta-{key}", "v")])
    assert refused.value.values["ArgumentName"] == f"x-amz-meta-{key}"


def test_attributes_from_headers_refuses_metadata_key_longer_than_b2_allows() -> None:
    with pytest.raises(MetadataTooLarge):
        attributes_from_headers([("x-amz-meta-" + "k" * 51, "v")])
    assert attributes_from_headers([("x-amz-meta-" + "k" * 50, "v")]).metadata


def test_attributes_from_headers_refuses_metadata_over_two_kilobytes() -> None:
    at_limit = [("x-amz-meta-a", "x" * 2047)]
    assert attributes_from_headers(at_limit).metadata["a"] == "x" * 2047
    with pytest.raises(MetadataTooLarge) as refused:
        attributes_from_headers([("x-amz-meta-a", "x" * 2048)])
    assert refused.value.values == {"Size": "2049", "MaxSizeAllowed": "2048"}


def test_to_file_info_maps_content_headers_to_b2_keys_and_packs_gateway_info() -> None:
    info = to_file_info(
        ObjectAttributes(
            metadata={"color": "blue"},
            content_headers={"content-language": "fr", "expires": "Wed, 21 Oct 2015 07:28:00 GMT"},
            gateway=GatewayInfo(etag="0" * 32, checksums={"CRC32": "AAAAAA=="}),
        )
    )
    assert info == {
        "b2-content-language": "fr",
        "b2-expires": "Wed, 21 Oct 2015 07:28:00 GMT",
        "color": "blue",
        RESERVED_KEY: f"etag={'0' * 32};crc32=AAAAAA==",
    }


def test_to_file_info_refuses_more_entries_than_b2_keeps() -> None:
    metadata = {f"k{i}": "v" for i in range(10)}
    assert len(to_file_info(ObjectAttributes(metadata=metadata))) == 10
    with pytest.raises(MetadataTooLarge):
        to_file_info(ObjectAttributes(metadata=metadata, gateway=GatewayInfo(etag="e")))


def test_file_info_round_trips_through_b2_form() -> None:
    attributes = ObjectAttributes(
        metadata={"color": "blue", "src_last_modified_millis": "1"},
        content_headers={"cache-control": "no-cache", "content-encoding": "gzip"},
        gateway=GatewayInfo(etag="abc-3", checksums={"CRC64NVME": "AAAAAAAAAAA=", "SHA256": "x="}),
    )
    assert from_file_info(to_file_info(attributes)) == attributes


def test_from_file_info_ignores_unknown_b2_keys_and_tolerates_foreign_files() -> None:
    # A file uploaded by another B2 tool has no gateway entry.
    attributes = from_file_info({"b2-unknown": "x", "large_file_sha1": "f" * 40})
    assert attributes.gateway == GatewayInfo()
    assert attributes.metadata == {"large_file_sha1": "f" * 40}


def test_gateway_info_decode_skips_malformed_pairs() -> None:
    assert GatewayInfo.decode("junk;etag=e;;crc32=AA==") == GatewayInfo(
        etag="e", checksums={"CRC32": "AA=="}
    )


def test_timestamps_render_in_s3_formats() -> None:
    millis = 1_640_884_512_345
    assert http_date(millis) == "Thu, 30 Dec 2021 17:15:12 GMT"
    assert iso8601(millis) == "2021-12-30T17:15:12.345Z"
    assert quoted_etag("abc") == '"abc"'


def test_gateway_info_carries_a_multipart_layout() -> None:
    info = GatewayInfo(etag="e-3", parts=PartLayout(((3, 5242880),)))
    assert info.encode() == "etag=e-3;parts=3x5242880"
    assert GatewayInfo.decode(info.encode()) == info
    uneven = GatewayInfo(parts=PartLayout(((2, 10), (1, 12), (3, 7))))
    assert GatewayInfo.decode(uneven.encode()) == uneven
    for junk in ("junk", "3x", "0x5", "2x5,", "1x2x3"):
        assert GatewayInfo.decode(f"parts={junk}").parts is None


@given(st.integers(min_value=0, max_value=253_402_300_799_999))  # up to the year 9999
def test_http_date_is_the_rfc_7231_date(millis: int) -> None:
    expected = format_datetime(datetime.fromtimestamp(millis / 1000, tz=UTC), usegmt=True)
    assert http_date(millis) == expected


@pytest.mark.parametrize(
    ("sizes", "runs"),
    [
        ([10, 10, 3], ((3, 10),)),  # equal parts and a smaller last one: one run
        ([10], ((1, 10),)),
        ([11, 10], ((2, 11),)),
        ([10, 10, 10], ((3, 10),)),
        ([10, 11], ((1, 10), (1, 11))),  # a larger last part needs its own run
        ([10, 9, 10], ((1, 10), (1, 9), (1, 10))),
        ([5, 5, 8, 8, 8, 2], ((2, 5), (4, 8))),
        ([], None),
        (range(1, 34), None),  # more runs than file info should spend: no layout
    ],
)
def test_part_layout_records_runs_of_equal_sizes(
    sizes: list[int], runs: tuple[tuple[int, int], ...] | None
) -> None:
    layout = PartLayout.of(sizes)
    assert (layout.runs if layout is not None else None) == runs


@given(st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=40))
def test_part_layout_spans_are_the_parts(sizes: list[int]) -> None:
    layout = PartLayout.of(sizes)
    if layout is None:
        return
    total, offset = sum(sizes), 0
    assert layout.count == len(sizes)
    for number, size in enumerate(sizes, 1):
        assert layout.span(number, total) == (offset, offset + size - 1)
        offset += size
