"""SigV2 verification: requests signed by botocore's own SigV2 signer (HmacV1Auth, HmacV1QueryAuth)
verify, documented examples verify, and every refusal carries S3's code and fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote, urlsplit

import pytest
from botocore.auth import HmacV1Auth, HmacV1QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.s3 import errors
from gateway.s3.sigv2 import SigV2Verifier, canonical_resource
from gateway.s3.sigv4 import Payload, SignedRequest, SigV4Verifier
from tests.unit.s3.conftest import AKID, CREDENTIALS, DOC_AKID, REGION, SECRET

NOW = dt.datetime(2026, 11, 24, 12, 0, 0, tzinfo=dt.UTC)
EXPIRES = int(NOW.timestamp()) + 300
ENDPOINT = "http://127.0.0.1:9000"
BASE_DOMAIN = "s3.example.com"


class _FixedDateAuth(HmacV1Auth):  # type: ignore[misc]
    """botocore's header signer with the Date it writes pinned to NOW."""

    def _get_date(self) -> str:
        return format_datetime(NOW, usegmt=True)


class _FixedExpiresQueryAuth(HmacV1QueryAuth):  # type: ignore[misc]
    def _get_date(self) -> str:
        return str(self._expires)


def _signed(
    method: str,
    path: str,
    query: str = "",
    headers: dict[str, str] | None = None,
    *,
    presign_expires: int | None = None,
    secret: str = SECRET,
    virtual_host: bool = False,
    auth_path: str | None = None,
) -> SignedRequest:
    """A request signed by botocore, as the gateway receives it. ``path`` is the raw path of a
    path-style URL (``/bucket/key``); ``virtual_host`` moves the bucket into the Host."""
    host, url_path = "127.0.0.1:9000", path
    if virtual_host:
        bucket, _, rest = path[1:].partition("/")
        host, url_path = f"{bucket}.{BASE_DOMAIN}:9000", "/" + rest
        auth_path = f"/{bucket}{url_path}"  # what botocore signs: /bkt/ for the bucket itself
    request = AWSRequest(
        method=method,
        url=f"http://{host}{url_path}" + (f"?{query}" if query else ""),
        headers=headers or {},
    )
    request.auth_path = auth_path
    credentials = Credentials(AKID, secret)
    if presign_expires is None:
        _FixedDateAuth(credentials).add_auth(request)
    else:
        _FixedExpiresQueryAuth(credentials, expires=presign_expires).add_auth(request)
    parts = urlsplit(request.url)
    raw_headers = [(name.lower(), value.encode()) for name, value in request.headers.items()]
    return SignedRequest(method, parts.path, parts.query, [("host", host.encode()), *raw_headers])


def _verifier(now: dt.datetime = NOW) -> SigV2Verifier:
    return SigV2Verifier(CREDENTIALS, base_domains=(BASE_DOMAIN,), clock=lambda: now)


def _front_door(now: dt.datetime = NOW, *, sigv2: bool = True) -> SigV4Verifier:
    """The verifier as the gateway builds it: SigV4, handing SigV2 over when enabled."""
    return SigV4Verifier(
        CREDENTIALS, region=REGION, clock=lambda: now, sigv2=_verifier(now) if sigv2 else None
    )


def _replace_header(request: SignedRequest, name: str, value: str) -> SignedRequest:
    headers = [(n, v) for n, v in request.headers if n != name] + [(name, value.encode())]
    return SignedRequest(request.method, request.raw_path, request.raw_query, headers)


def _key_path(bucket: str, key: str) -> str:
    return f"/{bucket}/{quote(key, safe='/~')}"  # as botocore encodes keys


AWKWARD_KEYS = ["plain.txt", "a b.txt", "a+b.txt", "ünï/ça.txt", "dir//double", "100%.txt", "~t"]

SIGNED_CASES = [
    pytest.param("GET", "/bkt/key", "", {}, id="get-object"),
    pytest.param("GET", "/bkt", "prefix=a%20b&max-keys=2&encoding-type=url", {}, id="list"),
    pytest.param(
        "PUT",
        "/bkt/key",
        "",
        {
            "Content-Type": "text/plain",
            "Content-MD5": "XUFAKrxLKna5cZ2REBfFkg==",
            "x-amz-meta-Note": "  two  spaces ",
            "X-Amz-Meta-Alpha": "ünïcode",
            "x-amz-acl": "private",
        },
        id="put-with-md5-type-and-amz-headers",
    ),
    pytest.param("GET", "/bkt/key", "acl", {}, id="acl"),
    pytest.param("PUT", "/bkt/key", "partNumber=2&uploadId=abc%2Bdef", {}, id="upload-part"),
    pytest.param("POST", "/bkt/key", "uploads", {}, id="create-multipart"),
    pytest.param("POST", "/bkt", "delete", {"Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="}, id="del"),
    pytest.param("GET", "/bkt", "versions&prefix=p&key-marker=k", {}, id="list-versions"),
    pytest.param("GET", "/bkt/key", "versionId=3%2Fxyz&tagging", {}, id="tagging-version"),
    pytest.param(
        "GET",
        "/bkt/key",
        "response-content-disposition=attachment%3B%20filename%3D%22x%20y.txt%22"
        "&response-content-type=text%2Fplain&response-cache-control=no-cache",
        {},
        id="response-overrides",
    ),
    *(
        pytest.param("GET", _key_path("bkt", key), "", {}, id=f"key-{key}")
        for key in AWKWARD_KEYS
    ),
]  # fmt: skip


@pytest.mark.parametrize("virtual_host", [False, True], ids=["path", "vhost"])
@pytest.mark.parametrize(("method", "path", "query", "headers"), SIGNED_CASES)
def test_botocore_header_signature_verifies(
    method: str, path: str, query: str, headers: dict[str, str], virtual_host: bool
) -> None:
    request = _signed(method, path, query, headers, virtual_host=virtual_host)
    auth = _front_door().verify(request)
    assert auth.access_key_id == AKID
    assert auth.payload is Payload.UNSIGNED
    assert auth.content_sha256 is None
    assert not auth.presigned


@pytest.mark.parametrize("virtual_host", [False, True], ids=["path", "vhost"])
@pytest.mark.parametrize(("method", "path", "query", "headers"), SIGNED_CASES)
def test_botocore_presigned_url_verifies(
    method: str, path: str, query: str, headers: dict[str, str], virtual_host: bool
) -> None:
    signed = _signed(
        method, path, query, headers, presign_expires=EXPIRES, virtual_host=virtual_host
    )
    # The URL carries everything (x-amz-* and Content-* were moved into the query); the client
    # that follows it sends Content-Type / Content-MD5 again, as a browser or curl would.
    sent = [(n, v) for n, v in signed.headers if n in ("host", "content-type", "content-md5")]
    request = SignedRequest(method, signed.raw_path, signed.raw_query, sent)
    auth = _front_door().verify(request)
    assert auth.access_key_id == AKID
    assert auth.payload is Payload.UNSIGNED
    assert auth.presigned


@pytest.mark.parametrize("presign_expires", [None, EXPIRES], ids=["header", "query"])
def test_botocore_signed_list_buckets_verifies(presign_expires: int | None) -> None:
    request = _signed("GET", "/", presign_expires=presign_expires)
    assert _front_door().verify(request).access_key_id == AKID


def test_path_style_bucket_signed_with_trailing_slash_verifies() -> None:
    # botocore's S3 client signs GET /bkt?list-type=2 as "/bkt/", and S3 accepts it.
    request = _signed("GET", "/bkt", "list-type=2&prefix=a", auth_path="/bkt/")
    assert _front_door().verify(request).access_key_id == AKID


@settings(max_examples=60, deadline=None)
@given(key=st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=40))
def test_any_key_signed_by_botocore_verifies(key: str) -> None:
    request = _signed("GET", _key_path("bkt", key), "versionId=v1")
    assert _front_door().verify(request).access_key_id == AKID


# --- the examples of S3's "Signing and authenticating REST requests" page (DOC_AKID's secret) ---


def _doc_request(method: str, host: str, path: str, headers: dict[str, str]) -> SignedRequest:
    raw = [("host", host.encode())] + [(n.lower(), v.encode()) for n, v in headers.items()]
    return SignedRequest(method, path, "", raw)


@pytest.mark.parametrize(
    ("method", "host", "path", "headers", "signature"),
    [
        pytest.param(
            "GET",
            "awsexamplebucket1.us-west-1.s3.amazonaws.com",
            "/photos/puppy.jpg",
            {"Date": "Tue, 27 Mar 2007 19:36:42 +0000"},
            "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
            id="virtual-host-get",
        ),
        # The page prints a wrong signature for this one; the Date line must be empty because
        # x-amz-date is sent, which is what every independent implementation computes.
        pytest.param(
            "DELETE",
            "s3.us-west-1.amazonaws.com",
            "/johnsmith/photos/puppy.jpg",
            {
                "User-Agent": "dotnet",
                "Date": "Tue, 27 Mar 2007 21:20:27 +0000",
                "x-amz-date": "Tue, 27 Mar 2007 21:20:26 +0000",
            },
            "R4dJ53KECjStyBO5iTBJZ4XVOaI=",
            id="path-style-delete-with-x-amz-date",
        ),
    ],
)
def test_s3_documentation_example_verifies(
    method: str, host: str, path: str, headers: dict[str, str], signature: str
) -> None:
    signed_at = parsedate_to_datetime(headers["Date"])
    headers = {**headers, "Authorization": f"AWS {DOC_AKID}:{signature}"}
    request = _doc_request(method, host, path, headers)
    verifier = SigV2Verifier(
        CREDENTIALS, base_domains=("us-west-1.s3.amazonaws.com",), clock=lambda: signed_at
    )
    assert verifier.verify(request).access_key_id == DOC_AKID


def test_canonical_resource_keeps_path_as_sent_and_sorts_signed_subresources() -> None:
    resource = canonical_resource(
        "/a%20b//c", "versionId=x%2By&prefix=p&acl&response-content-type=a%2Fb", "bkt"
    )
    assert resource == "/bkt/a%20b//c?acl&response-content-type=a/b&versionId=x+y"


# --- what is accepted beyond the obvious ----------------------------------------------------


def test_presigned_url_valid_for_years_is_accepted() -> None:
    far = int(NOW.timestamp()) + 10 * 365 * 86400  # SigV2 has no seven-day limit
    request = _signed("GET", "/bkt/key", presign_expires=far)
    assert _front_door().verify(request).presigned


def test_presigned_signature_with_unencoded_plus_is_accepted() -> None:
    for expires in range(EXPIRES, EXPIRES + 200):  # find a signature containing '+'
        request = _signed("GET", "/bkt/key", presign_expires=expires)
        if "%2B" in request.raw_query:
            break
    else:
        pytest.fail("no signature with '+' found")
    raw = SignedRequest("GET", "/bkt/key", request.raw_query.replace("%2B", "+"), request.headers)
    assert _front_door().verify(raw).presigned


def test_unsigned_query_parameters_may_be_added_to_a_presigned_url() -> None:
    request = _signed("GET", "/bkt/key", presign_expires=EXPIRES)
    extended = SignedRequest("GET", "/bkt/key", request.raw_query + "&download=1", request.headers)
    assert _front_door().verify(extended).presigned


def test_whitespace_folded_amz_header_values_verify() -> None:
    signed = _signed("PUT", "/bkt/key", headers={"x-amz-meta-a": "x y"})
    folded = _replace_header(signed, "x-amz-meta-a", "x   y")
    assert _front_door().verify(folded).access_key_id == AKID


# --- refusals -------------------------------------------------------------------------------


def test_expired_presigned_url_is_access_denied_with_expiry_fields() -> None:
    request = _signed("GET", "/bkt/key", presign_expires=EXPIRES)
    later = NOW + dt.timedelta(seconds=301)
    with pytest.raises(errors.AccessDenied, match="Request has expired") as caught:
        _front_door(later).verify(request)
    assert caught.value.values == {
        "Expires": "2026-11-24T12:05:00Z",
        "ServerTime": "2026-11-24T12:05:01Z",
    }


def _with_method(request: SignedRequest) -> SignedRequest:
    return SignedRequest("PUT", request.raw_path, request.raw_query, request.headers)


def _with_path(request: SignedRequest) -> SignedRequest:
    return SignedRequest(request.method, "/bkt/other", request.raw_query, request.headers)


def _with_version(request: SignedRequest) -> SignedRequest:
    query = request.raw_query + "&versionId=2"
    return SignedRequest(request.method, request.raw_path, query, request.headers)


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        pytest.param(_with_method, "PUT", id="method"),
        pytest.param(_with_path, "/bkt/other", id="path"),
        pytest.param(_with_version, "versionId=1&versionId=2", id="subresource"),
        pytest.param(lambda r: _replace_header(r, "x-amz-meta-a", "2"), "x-amz-meta-a:2", id="amz"),
        pytest.param(
            lambda r: _replace_header(r, "content-type", "text/html"), "text/html", id="ct"
        ),
    ],
)
def test_tampered_request_is_signature_mismatch_with_string_to_sign(
    tamper: Callable[[SignedRequest], SignedRequest], expected: str
) -> None:
    signed = _signed(
        "GET",
        "/bkt/key",
        "versionId=1",
        {"x-amz-meta-a": "1", "Content-Type": "text/plain"},
    )
    with pytest.raises(errors.SignatureDoesNotMatch) as caught:
        _front_door().verify(tamper(signed))
    values = caught.value.values
    assert values["AWSAccessKeyId"] == AKID
    assert expected in values["StringToSign"]
    assert bytes.fromhex(values["StringToSignBytes"]) == values["StringToSign"].encode()
    assert values["SignatureProvided"] in (signed.header("authorization") or "")


def test_mismatch_reports_the_string_to_sign_botocore_signed() -> None:
    signed: list[str] = []

    class Recording(_FixedDateAuth):
        def sign_string(self, string_to_sign: str) -> str:
            signed.append(string_to_sign)
            return str(super().sign_string(string_to_sign))

    path, query = _key_path("bkt", "ünï a+b"), "uploadId=u%2B1&partNumber=3"
    request = AWSRequest(
        "PUT",
        f"http://127.0.0.1:9000{path}?{query}",
        {"Content-Type": "a/b", "x-amz-meta-Z": "z", "X-Amz-Meta-a": " a "},
    )
    Recording(Credentials(AKID, "not-the-secret")).add_auth(request)
    raw = [("host", b"127.0.0.1:9000")]
    raw += [(name.lower(), value.encode()) for name, value in request.headers.items()]
    with pytest.raises(errors.SignatureDoesNotMatch) as caught:
        _front_door().verify(SignedRequest("PUT", path, query, raw))
    assert caught.value.values["StringToSign"] == signed[0]


def test_wrong_secret_is_signature_mismatch_for_header_and_query() -> None:
    for request in (
        _signed("GET", "/bkt/key", secret="not-the-secret"),
        _signed("GET", "/bkt/key", presign_expires=EXPIRES, secret="not-the-secret"),
    ):
        with pytest.raises(errors.SignatureDoesNotMatch):
            _front_door().verify(request)


@pytest.mark.parametrize("offset", [dt.timedelta(minutes=16), -dt.timedelta(minutes=16)])
def test_header_signature_out_of_skew_is_request_time_too_skewed(offset: dt.timedelta) -> None:
    request = _signed("GET", "/bkt/key")
    with pytest.raises(errors.RequestTimeTooSkewed) as caught:
        _front_door(NOW + offset).verify(request)
    assert caught.value.values["RequestTime"] == format_datetime(NOW, usegmt=True)
    assert caught.value.values["MaxAllowedSkewMilliseconds"] == "900000"


def test_header_signature_within_skew_verifies() -> None:
    request = _signed("GET", "/bkt/key")
    assert _front_door(NOW + dt.timedelta(minutes=14)).verify(request).access_key_id == AKID


def test_unknown_access_key_is_invalid_access_key_id() -> None:
    header = _signed("GET", "/bkt/key")
    forged = (header.header("authorization") or "").replace(AKID, "AKIDUNKNOWN")
    query = _signed("GET", "/bkt/key", presign_expires=EXPIRES)
    for request in (
        _replace_header(header, "authorization", forged),
        SignedRequest("GET", "/bkt/key", query.raw_query.replace(AKID, "AKIDUNKNOWN"), []),
    ):
        with pytest.raises(errors.InvalidAccessKeyId) as caught:
            _front_door().verify(request)
        assert caught.value.values["AWSAccessKeyId"] == "AKIDUNKNOWN"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("AWSAccessKeyId=AKIDEXAMPLE&Signature=abc%3D", "requires the Signature, Expires"),
        ("AWSAccessKeyId=AKIDEXAMPLE&Expires=soon&Signature=abc%3D", "seconds since epoch"),
        ("AWSAccessKeyId=AKIDEXAMPLE&Expires=-5&Signature=abc%3D", "seconds since epoch"),
    ],
)
def test_bad_presigned_expiry_is_access_denied(query: str, message: str) -> None:
    with pytest.raises(errors.AccessDenied, match=message):
        _front_door().verify(SignedRequest("GET", "/bkt/key", query, []))


@pytest.mark.parametrize("authorization", ["AWS AKIDEXAMPLE", "AWS :c2ln", "AWS AKIDEXAMPLE:"])
def test_malformed_sigv2_header_is_invalid_argument(authorization: str) -> None:
    request = _replace_header(_signed("GET", "/bkt/key"), "authorization", authorization)
    with pytest.raises(errors.InvalidArgument, match="Expected AwsAccessKeyId:signature"):
        _front_door().verify(request)


def test_header_signature_without_any_date_is_access_denied() -> None:
    signed = _signed("GET", "/bkt/key")
    undated = [(n, v) for n, v in signed.headers if n != "date"]
    with pytest.raises(errors.AccessDenied, match="valid Date or x-amz-date"):
        _front_door().verify(SignedRequest("GET", "/bkt/key", "", undated))


def test_sigv2_header_and_query_together_is_invalid_argument() -> None:
    header = _signed("GET", "/bkt/key")
    query = _signed("GET", "/bkt/key", presign_expires=EXPIRES)
    both = SignedRequest("GET", "/bkt/key", query.raw_query, header.headers)
    with pytest.raises(errors.InvalidArgument, match="Only one auth mechanism"):
        _front_door().verify(both)


def test_sigv2_turned_off_refuses_header_and_query_as_unsupported() -> None:
    for request in (
        _signed("GET", "/bkt/key"),
        _signed("GET", "/bkt/key", presign_expires=EXPIRES),
    ):
        with pytest.raises(errors.InvalidRequest, match="Please use AWS4-HMAC-SHA256"):
            _front_door(sigv2=False).verify(request)
