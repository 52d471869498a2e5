"""SigV4 verification: the S3 documentation vectors and every refusal S3 gives."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.s3 import errors
from gateway.s3.messages import Headers
from gateway.s3.operations import KEYWORDS, parse_route
from gateway.s3.sigv4 import Payload, SignedRequest, SigV4Verifier
from tests.unit.s3.conftest import AKID, CREDENTIALS, REGION, fixed_clock
from tests.unit.s3.signing import botocore_signed, now
from tests.unit.s3.vectors import load_json, s3_doc_vectors

URL = "http://127.0.0.1:9000/bkt/key"


def _doc_request(vector: dict[str, Any]) -> SignedRequest:
    request = vector["request"]
    headers = [(name.lower(), value.encode()) for name, value in request["headers"]]
    expected = vector["expected"]
    if vector["kind"] != "presigned":
        authorization = expected.get("authorization") or (
            f"AWS4-HMAC-SHA256 Credential={vector['credentials']['access_key_id']}/"
            f"{vector['amz_date'][:8]}/us-east-1/s3/aws4_request, "
            f"SignedHeaders={vector['signed_headers']}, Signature={expected['signature']}"
        )
        headers.append(("authorization", authorization.encode()))
    return SignedRequest(request["method"], request["raw_path"], request["raw_query"], headers)


def _verifier(clock: str = "20130524T000100Z") -> SigV4Verifier:
    return SigV4Verifier(CREDENTIALS, region=REGION, clock=fixed_clock(clock))


DOC_VECTORS = {p.stem: load_json(p) for p in s3_doc_vectors()}
SIGNED_DOC_VECTORS = [n for n, v in DOC_VECTORS.items() if "multi-trailer" not in n]


@pytest.mark.parametrize("name", SIGNED_DOC_VECTORS)
def test_s3_doc_vector_verifies(name: str) -> None:
    vector = DOC_VECTORS[name]
    auth = _verifier().verify(_doc_request(vector))
    assert auth.access_key_id == vector["credentials"]["access_key_id"]
    assert auth.presigned == (vector["kind"] == "presigned")
    if vector["kind"] == "chunked":
        assert auth.chunk_signing is not None
        assert auth.chunk_signing.seed_signature == vector["expected"]["signature"]


@pytest.mark.parametrize("name", SIGNED_DOC_VECTORS)
def test_s3_doc_vector_with_changed_path_is_refused(name: str) -> None:
    request = _doc_request(DOC_VECTORS[name])
    changed = SignedRequest(
        request.method, request.raw_path + "x", request.raw_query, request.headers
    )
    with pytest.raises(errors.SignatureDoesNotMatch) as caught:
        _verifier().verify(changed)
    assert (
        caught.value.values["AWSAccessKeyId"] == DOC_VECTORS[name]["credentials"]["access_key_id"]
    )
    assert caught.value.values["StringToSignBytes"].startswith("41 57 53 34")  # "AWS4"


def test_header_auth_signed_by_botocore_verifies() -> None:
    request = botocore_signed("PUT", URL, {"x-amz-meta-a": "1"}, b"data")
    auth = SigV4Verifier(CREDENTIALS, region=REGION).verify(request)
    assert auth.payload is Payload.SHA256
    assert auth.content_sha256 is not None


def test_header_auth_with_skew_over_fifteen_minutes_is_request_time_too_skewed() -> None:
    request = botocore_signed("GET", URL)
    later = now() + dt.timedelta(minutes=16)
    verifier = SigV4Verifier(CREDENTIALS, region=REGION, clock=lambda: later)
    with pytest.raises(errors.RequestTimeTooSkewed) as caught:
        verifier.verify(request)
    assert caught.value.values["MaxAllowedSkewMilliseconds"] == "900000"
    assert caught.value.values["RequestTime"] == request.header("x-amz-date")
    assert caught.value.values["ServerTime"] == later.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_header_auth_in_other_region_is_malformed_with_region() -> None:
    request = botocore_signed("GET", URL, region="eu-west-1")
    with pytest.raises(errors.AuthorizationHeaderMalformed) as caught:
        SigV4Verifier(CREDENTIALS, region=REGION).verify(request)
    assert caught.value.values["Region"] == REGION
    assert "the region 'eu-west-1' is wrong; expecting 'us-east-1'" in caught.value.detail


def _with_header(request: SignedRequest, name: str, value: str | None) -> SignedRequest:
    headers = [(n, v) for n, v in request.headers if n != name]
    if value is not None:
        headers.append((name, value.encode()))
    return SignedRequest(request.method, request.raw_path, request.raw_query, headers)


@pytest.mark.parametrize(
    ("credential", "message"),
    [
        ("AKIDEXAMPLE/20261123/us-east-1/s3", "Credential is mal-formed"),
        ("AKIDEXAMPLE/20261123/us-east-1/sqs/aws4_request", "incorrect service"),
        ("AKIDEXAMPLE/20261123/us-east-1/s3/aws5_request", "incorrect terminal"),
        ("AKIDEXAMPLE/20261122/us-east-1/s3/aws4_request", "Invalid credential date"),
    ],
)
def test_header_auth_with_bad_credential_scope_is_malformed(credential: str, message: str) -> None:
    request = botocore_signed("GET", URL)
    authorization = request.header("authorization") or ""
    start = authorization.index("Credential=") + len("Credential=")
    end = authorization.index(",", start)
    forged = authorization[:start] + credential + authorization[end:]
    verifier = SigV4Verifier(CREDENTIALS, region=REGION)
    with pytest.raises(errors.AuthorizationHeaderMalformed) as caught:
        verifier.verify(_with_header(request, "authorization", forged))
    assert message in caught.value.detail


@pytest.mark.parametrize(
    "amz_date",
    [
        "2013524T000000Z",  # one-digit fields (strptime took them)
        "20130524t000000z",  # lower case (strptime took it)
        "20130524T000000",
        "20131324T000000Z",  # month 13
        "20130524T240000Z",
        "\uff12\uff10\uff11\uff13" + "0524T000000Z",  # full-width digits
    ],
)
def test_header_auth_with_malformed_x_amz_date_is_access_denied(amz_date: str) -> None:
    signed = botocore_signed("GET", URL)
    headers = [(n, amz_date.encode() if n == "x-amz-date" else v) for n, v in signed.headers]
    request = SignedRequest(signed.method, signed.raw_path, signed.raw_query, headers)
    with pytest.raises(errors.AccessDenied) as caught:
        SigV4Verifier(CREDENTIALS, region=REGION).verify(request)
    assert "x-amz-date" in caught.value.detail


def test_header_auth_without_content_sha256_is_invalid_request() -> None:
    request = _with_header(botocore_signed("GET", URL), "x-amz-content-sha256", None)
    with pytest.raises(errors.InvalidRequest, match="x-amz-content-sha256"):
        SigV4Verifier(CREDENTIALS, region=REGION).verify(request)


def test_header_auth_with_unknown_content_sha256_form_is_invalid_argument() -> None:
    request = _with_header(botocore_signed("GET", URL), "x-amz-content-sha256", "SOMETHING")
    with pytest.raises(errors.InvalidArgument) as caught:
        SigV4Verifier(CREDENTIALS, region=REGION).verify(request)
    assert caught.value.values["ArgumentName"] == "x-amz-content-sha256"


def test_sigv4a_streaming_payload_is_not_implemented() -> None:
    request = _with_header(
        botocore_signed("PUT", URL),
        "x-amz-content-sha256",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
    )
    with pytest.raises(errors.NotImplemented):
        SigV4Verifier(CREDENTIALS, region=REGION).verify(request)


@pytest.mark.parametrize(
    "authorization",
    ["AWS AKIDEXAMPLE:c2lnbmF0dXJl", "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/x"],
)
def test_sigv2_and_sigv4a_headers_without_their_verifier_are_refused_as_unsupported(
    authorization: str,
) -> None:
    request = _with_header(botocore_signed("GET", URL), "authorization", authorization)
    with pytest.raises(errors.InvalidRequest, match="Please use AWS4-HMAC-SHA256"):
        SigV4Verifier(CREDENTIALS, region=REGION).verify(request)


def test_sigv2_presigned_url_without_sigv2_verifier_is_refused_as_unsupported() -> None:
    request = SignedRequest(
        "GET", "/bkt/key", "AWSAccessKeyId=AKIDEXAMPLE&Expires=1700000000&Signature=abc%3D", []
    )
    with pytest.raises(errors.InvalidRequest, match="Please use AWS4-HMAC-SHA256"):
        SigV4Verifier(CREDENTIALS, region=REGION).verify(request)


def test_anonymous_request_is_access_denied() -> None:
    with pytest.raises(errors.AccessDenied):
        SigV4Verifier(CREDENTIALS, region=REGION).verify(
            SignedRequest("GET", "/bkt/key", "", [("host", b"h")])
        )


def test_header_and_query_auth_together_is_invalid_argument() -> None:
    request = botocore_signed("GET", URL)
    both = SignedRequest(request.method, request.raw_path, "X-Amz-Algorithm=x", request.headers)
    with pytest.raises(errors.InvalidArgument, match="Only one auth mechanism"):
        SigV4Verifier(CREDENTIALS, region=REGION).verify(both)


def test_unknown_access_key_is_invalid_access_key_id() -> None:
    request = botocore_signed("GET", URL)
    forged = (request.header("authorization") or "").replace(AKID, "AKIDUNKNOWN")
    with pytest.raises(errors.InvalidAccessKeyId) as caught:
        SigV4Verifier(CREDENTIALS, region=REGION).verify(
            _with_header(request, "authorization", forged)
        )
    assert caught.value.values["AWSAccessKeyId"] == "AKIDUNKNOWN"


def test_unsigned_metadata_header_is_access_denied_naming_it() -> None:
    request = _with_header(botocore_signed("PUT", URL), "x-amz-meta-extra", "1")
    with pytest.raises(errors.AccessDenied) as caught:
        SigV4Verifier(CREDENTIALS, region=REGION).verify(request)
    assert caught.value.values["HeadersNotSigned"] == "x-amz-meta-extra"


def test_signed_header_value_changed_is_signature_mismatch() -> None:
    request = botocore_signed("PUT", URL, {"x-amz-meta-a": "1"})
    with pytest.raises(errors.SignatureDoesNotMatch):
        SigV4Verifier(CREDENTIALS, region=REGION).verify(_with_header(request, "x-amz-meta-a", "2"))


def test_s3cmd_style_uncollapsed_whitespace_and_bare_commas_verify() -> None:
    """s3cmd trims but does not collapse inner whitespace, and writes ',' without a space."""
    from gateway.s3 import canonical

    signed = botocore_signed("GET", URL)
    amz_date = signed.header("x-amz-date") or ""
    headers = [
        ("host", b"127.0.0.1:9000"),
        ("x-amz-date", amz_date.encode()),
        ("x-amz-content-sha256", canonical.EMPTY_SHA256.encode()),
        ("x-amz-meta-note", b"two  spaces"),
    ]
    names = ["host", "x-amz-content-sha256", "x-amz-date", "x-amz-meta-note"]
    scope = canonical.Scope(amz_date[:8], REGION, "s3")
    creq = canonical.canonical_request(
        "GET",
        "/bkt/key",
        "",
        headers,
        signed=names,
        payload_hash=canonical.EMPTY_SHA256,
        collapse=False,
    )
    signature = canonical.signature(
        canonical.signing_key(CREDENTIALS.identities[AKID].secret_access_key, scope),
        canonical.string_to_sign(amz_date, scope, creq),
    )
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={AKID}/{scope},SignedHeaders={';'.join(names)},"
        f"Signature={signature}"
    )
    request = SignedRequest(
        "GET", "/bkt/key", "", [*headers, ("authorization", authorization.encode())]
    )
    assert SigV4Verifier(CREDENTIALS, region=REGION).verify(request).access_key_id == AKID


def test_presigned_url_signed_by_botocore_verifies_and_is_unsigned_payload() -> None:
    request = botocore_signed("GET", URL + "?response-content-type=a%2Fb", presign_expires=60)
    auth = SigV4Verifier(CREDENTIALS, region=REGION).verify(request)
    assert auth.presigned
    assert auth.payload is Payload.UNSIGNED


def test_presigned_url_is_valid_for_its_whole_lifetime_despite_skew() -> None:
    request = botocore_signed("GET", URL, presign_expires=604800)
    six_days = now() + dt.timedelta(days=6)
    assert SigV4Verifier(CREDENTIALS, region=REGION, clock=lambda: six_days).verify(request)


def test_presigned_url_signed_in_the_future_is_not_yet_valid() -> None:
    request = botocore_signed("GET", URL, presign_expires=60)
    earlier = now() - dt.timedelta(minutes=20)
    with pytest.raises(errors.AccessDenied, match="Request is not yet valid"):
        SigV4Verifier(CREDENTIALS, region=REGION, clock=lambda: earlier).verify(request)


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("604801", "must be less than a week"),
        ("-1", "must be non-negative"),
        ("0", "at least 1 second"),
        ("soon", "should be a number"),
    ],
)
def test_presigned_url_with_bad_expires_is_query_parameters_error(
    expires: str, message: str
) -> None:
    request = botocore_signed("GET", URL, presign_expires=60)
    query = request.raw_query.replace("X-Amz-Expires=60", f"X-Amz-Expires={expires}")
    with pytest.raises(errors.AuthorizationQueryParametersError, match=message):
        SigV4Verifier(CREDENTIALS, region=REGION).verify(
            SignedRequest(request.method, request.raw_path, query, request.headers)
        )


def test_presigned_url_missing_a_parameter_is_query_parameters_error() -> None:
    request = botocore_signed("GET", URL, presign_expires=60)
    query = "&".join(p for p in request.raw_query.split("&") if not p.startswith("X-Amz-Date"))
    with pytest.raises(errors.AuthorizationQueryParametersError, match="requires the"):
        SigV4Verifier(CREDENTIALS, region=REGION).verify(
            SignedRequest(request.method, request.raw_path, query, request.headers)
        )


def test_presigned_url_with_an_appended_parameter_is_signature_mismatch() -> None:
    request = botocore_signed("GET", URL, presign_expires=60)
    with pytest.raises(errors.SignatureDoesNotMatch):
        SigV4Verifier(CREDENTIALS, region=REGION).verify(
            SignedRequest(
                request.method, request.raw_path, request.raw_query + "&download=1", request.headers
            )
        )


def test_presigned_url_in_other_region_names_the_expected_region() -> None:
    request = botocore_signed("GET", URL, presign_expires=60, region="eu-west-1")
    with pytest.raises(errors.AuthorizationQueryParametersError) as caught:
        SigV4Verifier(CREDENTIALS, region=REGION).verify(request)
    assert caught.value.values["Region"] == REGION


def test_signing_key_cache_returns_the_same_key() -> None:
    from gateway.s3 import canonical

    scope = canonical.Scope("20261123", REGION, "s3")
    assert canonical.signing_key("secret", scope) is canonical.signing_key("secret", scope)


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    key=_TEXT,
    params=st.dictionaries(
        _TEXT, st.text(st.characters(blacklist_categories=("Cs",)), max_size=20), max_size=4
    ),
)
def test_any_key_and_query_signed_by_botocore_verifies_and_routes_back(
    key: str, params: dict[str, str]
) -> None:
    params = {name: value for name, value in params.items() if name.lower() not in _RESERVED}
    query = "&".join(f"{quote(n, safe='-_.~')}={quote(v, safe='-_.~')}" for n, v in params.items())
    url = f"http://127.0.0.1:9000/bkt/{quote(key, safe='/~')}" + (f"?{query}" if query else "")
    request = botocore_signed("GET", url)
    assert SigV4Verifier(CREDENTIALS, region=REGION).verify(request).access_key_id == AKID
    route = parse_route(
        "GET", "127.0.0.1:9000", request.raw_path, request.raw_query, Headers(), base_domains=()
    )
    assert route.key == key
    assert dict(route.params) == params


# Query names that select another operation or another auth mechanism.
_RESERVED = {k.lower() for k in KEYWORDS} | {
    "x-amz-algorithm",
    "awsaccesskeyid",
    "signature",
    "list-type",
    "id",
    "annotationname",
    "partnumber",
}
