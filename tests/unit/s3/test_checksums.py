"""Checksum vectors: every value S3 accepts is computed in-stream, whatever the piece sizes;
a wrong value is BadDigest naming the algorithm, a malformed one InvalidRequest."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.s3 import errors
from gateway.s3.checksums import BodyDigester, ChecksumAlgorithm, expectations
from tests.unit.s3.chunks import split
from tests.unit.s3.vectors import VECTORS, load_json

DOCUMENT = load_json(VECTORS / "checksums" / "checksum-vectors.json")


def _input(vector: dict[str, Any]) -> bytes:
    if "input_hex" in vector:
        return bytes.fromhex(vector["input_hex"])
    spec = vector["input"]
    return spec["repeat"].encode() * spec["length"]


CASES = [
    pytest.param(vector, algorithm, id=f"{vector['name']}-{algorithm.value}")
    for vector in DOCUMENT["vectors"]
    for algorithm in ChecksumAlgorithm
]


@pytest.mark.parametrize(("vector", "algorithm"), CASES)
def test_checksum_vector_computed_in_stream(
    vector: dict[str, Any], algorithm: ChecksumAlgorithm
) -> None:
    data = _input(vector)
    assert len(data) == vector["length"]
    value = vector["values"][algorithm.value]
    headers = {algorithm.header: value, "content-md5": vector["values"]["content-md5"]}
    digester = BodyDigester(expectations(headers, content_sha256=None))
    for piece in split(data, [1, 7, 4096, 3]):
        digester.update(piece)
    digest = digester.finish({})
    assert digest.checksums == {algorithm: value}
    assert digest.length == len(data)


@pytest.mark.parametrize("algorithm", list(ChecksumAlgorithm))
def test_wrong_checksum_is_bad_digest_naming_the_algorithm(algorithm: ChecksumAlgorithm) -> None:
    hello = next(v for v in DOCUMENT["vectors"] if v["name"] == "hello world")
    other = next(v for v in DOCUMENT["vectors"] if v["name"] == "a")
    digester = BodyDigester(
        expectations({algorithm.header: other["values"][algorithm.value]}, content_sha256=None)
    )
    digester.update(bytes.fromhex(hello["input_hex"]))
    with pytest.raises(errors.BadDigest, match=f"The {algorithm.name} you specified did not match"):
        digester.finish({})


@pytest.mark.parametrize("algorithm", list(ChecksumAlgorithm))
def test_malformed_checksum_header_is_invalid_request(algorithm: ChecksumAlgorithm) -> None:
    message = f"Value for x-amz-checksum-{algorithm.value} header is invalid."
    with pytest.raises(errors.InvalidRequest) as caught:
        expectations({algorithm.header: "AAAA"}, content_sha256=None)
    assert caught.value.detail == message


@pytest.mark.parametrize(
    "value", ["not base64", "AAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]
)
def test_malformed_content_md5_is_invalid_digest(value: str) -> None:
    with pytest.raises(errors.InvalidDigest):
        expectations({"content-md5": value}, content_sha256=None)


def test_content_md5_mismatch_is_bad_digest_with_both_digests() -> None:
    digester = BodyDigester(
        expectations({"content-md5": "XrY7u+Ae7tCTyyK7j1rNww=="}, content_sha256=None)
    )
    digester.update(b"hello world!")
    with pytest.raises(errors.BadDigest) as caught:
        digester.finish({})
    assert caught.value.values["ExpectedDigest"] == "5eb63bbbe01eeed093cb22bb8f5acdc3"


def test_unsupported_checksum_algorithm_is_invalid_request() -> None:
    with pytest.raises(errors.InvalidRequest, match="x-amz-checksum-xxhash64"):
        expectations({"x-amz-checksum-xxhash64": "RatnNLIeaWg="}, content_sha256=None)


def test_checksum_mode_and_type_headers_are_not_checksums() -> None:
    headers = {"x-amz-checksum-mode": "ENABLED", "x-amz-checksum-type": "FULL_OBJECT"}
    assert expectations(headers, content_sha256=None).checksum is None
