"""Security properties checked against the running gateway and its TLS settings: old TLS and
weak ciphers are refused, and the S3 port serves nothing of the metrics/health listener."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest

from gateway.tls import ensure_self_signed, server_context
from tests.integration.conftest import Stack
from tests.reliability.rawhttp import Answer
from tests.reliability.test_hostile_input import send, signed

WEAK = ("RC4", "DES", "3DES", "NULL", "EXPORT", "MD5", "anon", "PSK")


def test_tls_server_context_requires_tls12_and_offers_no_weak_cipher(tmp_path: Path) -> None:
    context = server_context(ensure_self_signed(tmp_path))
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    names = [cipher["name"] for cipher in context.get_ciphers()]
    assert names
    assert [n for n in names if any(weak in n for weak in WEAK)] == []


def _https_address(stack: Stack) -> tuple[str, int]:
    assert stack.gateway.https_url is not None
    host, _, port = stack.gateway.https_url.removeprefix("https://").rpartition(":")
    return host, int(port)


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_https_listener_refuses_tls_older_than_12(stack: Stack, version: ssl.TLSVersion) -> None:
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    client.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    client.maximum_version = version
    try:
        client.set_ciphers("ALL:@SECLEVEL=0")  # let the client offer the old protocol at all
    except ssl.SSLError:
        pytest.skip("this OpenSSL cannot offer old TLS versions")
    with (
        socket.create_connection(_https_address(stack), timeout=10) as raw,
        pytest.raises(ssl.SSLError) as refused,
    ):
        client.wrap_socket(raw).close()
    # The server hung up (asyncio sends no alert); not a client unable to offer the version.
    assert "NO_PROTOCOLS_AVAILABLE" not in str(refused.value)


def test_https_listener_negotiates_tls12_or_newer(stack: Stack) -> None:
    client = ssl.create_default_context()
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(_https_address(stack), timeout=10) as raw,
        client.wrap_socket(raw) as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")


@pytest.mark.parametrize("path", ["/metrics", "/health/ready", "/health/live"])
def test_s3_port_does_not_serve_metrics_or_health(stack: Stack, path: str) -> None:
    """Metrics and health live on their own listener: on the S3 port these are bucket names,
    so an anonymous request is refused and a signed one finds no such bucket."""
    host, port = stack.gateway.http_url.removeprefix("http://").split(":")
    anonymous: Answer = send(stack, "GET", path, {"Host": f"{host}:{port}"})
    assert (anonymous.status, anonymous.code) == (403, "AccessDenied")
    assert b"# HELP" not in anonymous.body
    answer = signed(stack, "GET", path)
    assert answer.status in (403, 404)
    assert b"# HELP" not in answer.body
