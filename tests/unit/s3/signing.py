"""Requests signed by real botocore, as ``SignedRequest`` values for the verifier."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gateway.s3.sigv4 import SignedRequest
from tests.unit.s3.conftest import AKID, REGION, SECRET


def botocore_signed(
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    *,
    presign_expires: int | None = None,
    secret: str = SECRET,
    region: str = REGION,
) -> SignedRequest:
    request = AWSRequest(method=method, url=url, headers=headers or {}, data=body)
    credentials = Credentials(AKID, secret)
    if presign_expires is None:
        S3SigV4Auth(credentials, "s3", region).add_auth(request)
    else:
        S3SigV4QueryAuth(credentials, "s3", region, expires=presign_expires).add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    raw_headers = [(name.lower(), value.encode()) for name, value in prepared.headers.items()]
    if not any(name == "host" for name, _ in raw_headers):
        raw_headers.append(("host", parts.netloc.encode()))
    return SignedRequest(method, parts.path or "/", parts.query, raw_headers)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
