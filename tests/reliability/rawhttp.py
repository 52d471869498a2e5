"""HTTP/1.1 over a bare socket, signed with SigV4 by botocore: for clients that misbehave in ways
no SDK will (a body cut short, a Content-Length that lies, a sender that stalls)."""

from __future__ import annotations

import hashlib
import http.client
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

UNSIGNED = "UNSIGNED-PAYLOAD"


@dataclass(frozen=True)
class Endpoint:
    url: str  # http://127.0.0.1:port
    key_id: str
    secret: str
    region: str = "us-east-1"

    @property
    def address(self) -> tuple[str, int]:
        parts = urlsplit(self.url)
        assert parts.hostname is not None
        assert parts.port is not None
        return parts.hostname, parts.port


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def signed_headers(
    endpoint: Endpoint,
    method: str,
    path: str,
    *,
    payload_hash: str,
    headers: Mapping[str, str] | None = None,
    secret: str | None = None,
    region: str | None = None,
    service: str = "s3",
) -> dict[str, str]:
    """Headers carrying a SigV4 signature over ``path`` (sent as is) and ``payload_hash``."""
    request = AWSRequest(method, endpoint.url + path, headers=dict(headers or {}))
    credentials = Credentials(endpoint.key_id, secret or endpoint.secret)
    # botocore's S3 signer (no path normalisation), told to sign the payload hash as given.
    auth = S3SigV4Auth(credentials, service, region or endpoint.region)
    auth.payload = lambda _request: payload_hash
    auth.add_auth(request)
    host = f"{endpoint.address[0]}:{endpoint.address[1]}"
    return {"Host": host, **dict(request.headers.items())}


def request_head(method: str, path: str, headers: Mapping[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@contextmanager
def connection(endpoint: Endpoint, timeout: float = 30.0) -> Iterator[socket.socket]:
    sock = socket.create_connection(endpoint.address, timeout=timeout)
    try:
        yield sock
    finally:
        sock.close()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def code(self) -> str | None:
        start = self.body.find(b"<Code>")
        if start < 0:
            return None
        return self.body[start + 6 : self.body.find(b"</Code>")].decode()


def read_answer(sock: socket.socket, method: str = "PUT") -> Answer:
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    body = response.read()
    return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)


def closed_by_peer(sock: socket.socket) -> bool:
    """The server has closed its side (reading gives EOF or a reset)."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
