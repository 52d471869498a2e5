"""/metrics, /health/* and the access log of a real gateway after real boto3 traffic."""

from __future__ import annotations

import base64
import hashlib
import logging
import time
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gateway.log import ACCESS_LOGGER
from gateway.s3 import errors
from tests.observability.conftest import Stack, value

BODY = b"observable bytes " * 100


def _refused(call: Any, error: type[errors.S3Error]) -> None:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == error.code


def test_metrics_count_requests_bytes_and_b2_calls_by_operation(stack: Stack) -> None:
    s3 = stack.s3()
    s3.create_bucket(Bucket="metered")
    s3.put_object(Bucket="metered", Key="a", Body=BODY)
    s3.put_object(Bucket="metered", Key="b", Body=BODY)
    assert s3.get_object(Bucket="metered", Key="a")["Body"].read() == BODY
    s3.list_objects_v2(Bucket="metered")
    _refused(lambda: s3.get_object(Bucket="metered", Key="missing"), errors.NoSuchKey)

    samples = stack.samples()
    assert value(samples, "s3_requests_total", operation="PutObject", status="200") == 2
    assert value(samples, "s3_requests_total", operation="GetObject", status="404") == 1
    assert value(samples, "s3_request_duration_seconds_count", operation="ListObjectsV2") == 1
    # Bytes as they passed: the GET body exactly; the PUT body with its aws-chunked framing.
    assert value(samples, "s3_sent_bytes_total", operation="GetObject") >= len(BODY)
    assert value(samples, "s3_received_bytes_total", operation="PutObject") >= 2 * len(BODY)
    assert value(samples, "s3_requests_in_flight") == 0
    assert value(samples, "b2_calls_total", endpoint="b2_upload_file", status="200") == 2
    assert value(samples, "b2_call_duration_seconds_count", endpoint="b2_list_file_names") >= 1
    # Uploads are Class A, the download Class B, listings and authorisation Class C.
    assert value(samples, "b2_transactions_total", **{"class": "A"}) >= 3
    assert value(samples, "b2_transactions_total", **{"class": "B"}) >= 1
    assert value(samples, "b2_transactions_total", **{"class": "C"}) >= 2
    # The second upload reused the URL the first one returned to the pool.
    assert value(samples, "b2_upload_url_leases_total", source="fetched") == 1
    assert value(samples, "b2_upload_url_leases_total", source="pool") == 1
    assert value(samples, "b2_authorizations_total") == 1
    assert value(samples, "s3_b2_gateway_build_info") == 1


def test_metrics_count_get_body_bytes_exactly(stack: Stack) -> None:
    s3 = stack.s3()
    s3.create_bucket(Bucket="exact-bytes")
    s3.put_object(Bucket="exact-bytes", Key="k", Body=BODY)
    before = value(stack.samples(), "s3_sent_bytes_total", operation="GetObject")
    s3.get_object(Bucket="exact-bytes", Key="k", Range="bytes=0-99")["Body"].read()
    after = value(stack.samples(), "s3_sent_bytes_total", operation="GetObject")
    assert after - before == 100


def test_metrics_count_refusals_before_routing_as_unknown_operation(stack: Stack) -> None:
    s3 = stack.s3()
    s3.create_bucket(Bucket="guarded")
    intruder = stack.s3(secret_key="wrong-secret-key-0123456789")
    _refused(lambda: intruder.list_objects_v2(Bucket="guarded"), errors.SignatureDoesNotMatch)
    samples = stack.samples()
    assert value(samples, "s3_requests_total", operation="unknown", status="403") == 1


def test_metrics_count_checksum_failures_by_algorithm(stack: Stack) -> None:
    s3 = stack.s3()
    s3.create_bucket(Bucket="checksums")
    wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    _refused(
        lambda: s3.put_object(Bucket="checksums", Key="k", Body=BODY, ContentMD5=wrong_md5),
        errors.BadDigest,
    )
    _refused(
        lambda: s3.put_object(Bucket="checksums", Key="k", Body=BODY, ChecksumCRC32="AAAAAA=="),
        errors.BadDigest,
    )
    samples = stack.samples()
    assert value(samples, "s3_checksum_failures_total", algorithm="md5", error="BadDigest") == 1
    assert value(samples, "s3_checksum_failures_total", algorithm="crc32", error="BadDigest") == 1


def test_metrics_count_ignored_headers_retries_reauthorisations_and_discards(
    stack: Stack,
) -> None:
    s3 = stack.s3()
    s3.create_bucket(Bucket="rough-ride")

    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-amz-made-up-option"] = "1"

    s3.meta.events.register("before-sign.s3.PutObject", add_header)
    s3.put_object(Bucket="rough-ride", Key="warm", Body=b"x")  # a pooled URL for the next upload
    stack.inject("b2_list_file_names", 401, "expired_auth_token")
    s3.list_objects_v2(Bucket="rough-ride")
    stack.inject("b2_upload_file", 503, "service_unavailable", retry_after=0)
    s3.put_object(Bucket="rough-ride", Key="k", Body=b"small")

    samples = stack.samples()
    assert (
        value(
            samples,
            "s3_ignored_headers_total",
            operation="PutObject",
            header="x-amz-made-up-option",
        )
        == 2
    )
    assert value(samples, "b2_retries_total", cause="expired_auth_token") == 1
    assert value(samples, "b2_retries_total", cause="service_unavailable") == 1
    assert value(samples, "b2_authorizations_total") == 2
    assert value(samples, "b2_upload_url_discards_total") == 1
    assert value(samples, "b2_calls_total", endpoint="b2_upload_file", status="503") == 1


def test_access_log_has_one_record_per_request_with_its_b2_calls(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    s3 = stack.s3()
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        s3.create_bucket(Bucket="logged")
        put = s3.put_object(Bucket="logged", Key="dir/k", Body=BODY)
        _refused(lambda: s3.list_objects_v2(Bucket="absent-bucket"), errors.NoSuchBucket)
    records = [r.access for r in caplog.records if r.name == ACCESS_LOGGER]  # type: ignore[attr-defined]
    assert [(r["operation"], r["status"]) for r in records] == [
        ("CreateBucket", 200),
        ("PutObject", 200),
        ("ListObjectsV2", 404),
    ]
    upload = records[1]
    assert upload["request_id"] == put["ResponseMetadata"]["RequestId"]
    assert (upload["bucket"], upload["key"], upload["method"]) == ("logged", "dir/k", "PUT")
    assert upload["bytes_in"] >= len(BODY)
    assert upload["completed"] is True
    assert upload["b2_calls_by_endpoint"].get("b2_upload_file") == 1
    assert upload["b2_calls"] == sum(upload["b2_calls_by_endpoint"].values())
    assert records[2]["error"] == errors.NoSuchBucket.code


def test_health_ready_fails_while_b2_is_unreachable_until_it_answers_again(stack: Stack) -> None:
    s3 = stack.s3()
    stack.inject("b2_create_bucket", None, "", drop="before_response")  # no answer at all
    with pytest.raises(ClientError):
        s3.create_bucket(Bucket="never-made")
    assert stack.get("/health/ready") == (503, "not ready: B2 unreachable\n")
    assert stack.get("/health/live") == (200, "ok\n")
    s3.list_buckets()  # B2 answers again
    assert stack.get("/health/ready") == (200, "ready\n")


def test_health_ready_until_draining_live_always(stack: Stack) -> None:
    assert stack.get("/health/live") == (200, "ok\n")
    assert stack.get("/health/ready") == (200, "ready\n")
    stack.gateway.draining = True
    assert stack.get("/health/ready") == (503, "not ready: draining\n")
    assert stack.get("/health/live") == (200, "ok\n")


def test_download_cut_off_by_the_client_counts_the_bytes_sent_and_logs_incomplete(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    size = 24 * 1024 * 1024  # more than loopback socket buffers hold
    s3 = stack.s3()
    s3.create_bucket(Bucket="cut-off")
    s3.put_object(Bucket="cut-off", Key="big", Body=b"z" * size)
    url = stack.s3(signature_version="s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": "cut-off", "Key": "big"}
    )
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        with urllib.request.urlopen(url, timeout=10) as response:
            assert len(response.read(65536)) == 65536  # then the client goes away mid-body
        deadline = time.monotonic() + 30
        while value(stack.samples(), "s3_requests_in_flight") > 0:
            assert time.monotonic() < deadline, "the cut-off download never finished"
            time.sleep(0.05)
    [record] = [r.access for r in caplog.records if r.name == ACCESS_LOGGER]  # type: ignore[attr-defined]
    assert (record["operation"], record["status"], record["completed"]) == ("GetObject", 200, False)
    assert 65536 <= record["bytes_out"] < size
    sent = value(stack.samples(), "s3_sent_bytes_total", operation="GetObject")
    assert sent == record["bytes_out"]
