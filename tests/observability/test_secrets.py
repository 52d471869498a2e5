"""Secrets never leave the gateway: after a full run (header-signed and presigned requests,
errors, B2 faults) neither the logs at DEBUG (JSON and text), nor /metrics, nor error bodies
contain the S3 secret key, the B2 application key or any signature a client sent."""

from __future__ import annotations

import io
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gateway.log import REDACTED, JsonFormatter, TextFormatter, redact, register_secrets
from tests.observability.conftest import SECRET_KEY, Stack


@pytest.fixture
def captured() -> Iterator[list[io.StringIO]]:
    """Everything the gateway (and aiohttp under it) logs at DEBUG, through both formatters;
    not the test's own clients (botocore logs its signed headers at DEBUG)."""
    streams = [io.StringIO(), io.StringIO()]
    handlers = [logging.StreamHandler(stream) for stream in streams]
    for handler in handlers:
        handler.addFilter(lambda record: record.name.startswith(("gateway", "aiohttp")))
    handlers[0].setFormatter(JsonFormatter())
    handlers[1].setFormatter(TextFormatter())
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    for handler in handlers:
        root.addHandler(handler)
    try:
        yield streams
    finally:
        for handler in handlers:
            root.removeHandler(handler)
        root.setLevel(level)


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_secrets_and_signatures_appear_in_no_log_metric_or_error_body(
    stack: Stack, captured: list[io.StringIO]
) -> None:
    s3 = stack.s3()
    signatures: list[str] = []

    def remember_signature(request: Any, **_: Any) -> None:
        header = request.headers.get("Authorization", b"")
        text = header.decode() if isinstance(header, bytes) else header
        found = re.search(r"Signature=([0-9a-f]{64})", text)
        if found:
            signatures.append(found.group(1))

    s3.meta.events.register("before-send.s3", remember_signature)
    s3.create_bucket(Bucket="secretive")
    s3.put_object(Bucket="secretive", Key="k", Body=b"payload")
    s3.get_object(Bucket="secretive", Key="k")["Body"].read()
    s3.list_objects_v2(Bucket="secretive")
    with pytest.raises(ClientError):
        s3.get_object(Bucket="secretive", Key="missing")
    stack.inject("b2_list_file_names", 401, "expired_auth_token")
    s3.list_objects_v2(Bucket="secretive")
    s3.delete_object(Bucket="secretive", Key="k")

    bodies: list[bytes] = []
    presigner = stack.s3(signature_version="s3v4")
    for key in ("k", "missing"):
        url = presigner.generate_presigned_url(
            "get_object", Params={"Bucket": "secretive", "Key": key}
        )
        signatures.append(
            urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Signature"][0]
        )
        bodies.append(_fetch(url)[1])
        # A wrong signature (S3 echoes what was provided, so not one derived from the real one).
        tampered = url.replace(signatures[-1], "0" * 64)
        status, body = _fetch(tampered)
        assert status == 403
        bodies.append(body)
    with pytest.raises(ClientError):
        stack.s3(secret_key="a-wrong-secret-key").list_buckets()

    assert len(signatures) >= 8
    secrets = [SECRET_KEY, stack.emulator.key, *signatures]
    places = {
        "json log": captured[0].getvalue(),
        "text log": captured[1].getvalue(),
        "metrics": stack.get("/metrics")[1],
        "error bodies": b"\n".join(bodies).decode(),
    }
    assert '"operation":"GetObject"' in places["json log"]  # the access log was captured
    for where, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret leaked into the {where}"


def test_redact_scrubs_signatures_credentials_and_registered_secrets() -> None:
    register_secrets(["registered-secret-value"])
    line = (
        "GET /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20250101&"
        "X-Amz-Signature=abc123 Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, "
        "Signature=deadbeef token registered-secret-value"
    )
    scrubbed = redact(line)
    for secret in ("abc123", "AKIA%2F20250101", "deadbeef", "registered-secret-value"):
        assert secret not in scrubbed
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in scrubbed
    assert scrubbed.count(REDACTED) >= 4


def test_log_line_of_an_unexpected_error_hides_the_presigned_signature() -> None:
    record = logging.LogRecord(
        "gateway.s3.http",
        logging.ERROR,
        __file__,
        1,
        "unexpected error in %s %s",
        ("GET", "/b/k?X-Amz-Signature=f00dfeed&X-Amz-Expires=60"),
        None,
    )
    for formatter in (JsonFormatter(), TextFormatter()):
        line = formatter.format(record)
        assert "f00dfeed" not in line
        assert "X-Amz-Expires=60" in line
