from __future__ import annotations

import json

import pytest

from gateway.b2.errors import (
    ERROR_TABLE,
    B2Error,
    BadRequestError,
    CapExceededError,
    FileAlreadyHiddenError,
    InvalidAuthTokenError,
    ServiceError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnauthorizedError,
    UploadTokenUsedConcurrentlyError,
    error_class,
    error_from_response,
    parse_retry_after,
)


def _body(status: int, code: str, message: str = "m") -> bytes:
    return json.dumps({"status": status, "code": code, "message": message}).encode()


def test_error_from_response_expired_token_asks_for_reauthorisation() -> None:
    error = error_from_response(401, _body(401, "expired_auth_token"), {})
    assert isinstance(error, InvalidAuthTokenError)
    assert error.reauthorize
    assert error.new_upload_url
    assert not error.retryable


def test_error_from_response_unauthorized_is_final() -> None:
    error = error_from_response(401, _body(401, "unauthorized"), {})
    assert type(error) is UnauthorizedError
    assert not error.reauthorize
    assert not error.retryable
    assert not error.new_upload_url


def test_error_from_response_503_is_retryable_on_new_url_with_retry_after() -> None:
    error = error_from_response(503, _body(503, "service_unavailable"), {"Retry-After": "7"})
    assert isinstance(error, ServiceUnavailableError)
    assert error.retryable
    assert error.new_upload_url
    assert error.retry_after == 7.0
    assert (error.status, error.code, error.message) == (503, "service_unavailable", "m")


def test_error_from_response_429_carries_retry_after() -> None:
    error = error_from_response(429, _body(429, "too_many_requests"), {"Retry-After": "2"})
    assert isinstance(error, TooManyRequestsError)
    assert error.retry_after == 2.0


def test_error_from_response_concurrent_upload_token_needs_new_url() -> None:
    error = error_from_response(400, _body(400, "auth_token_limit"), {})
    assert isinstance(error, UploadTokenUsedConcurrentlyError)
    assert error.new_upload_url


def test_error_from_response_caps_are_not_retryable() -> None:
    error = error_from_response(403, _body(403, "transaction_cap_exceeded"), {})
    assert isinstance(error, CapExceededError)
    assert not error.retryable


def test_error_from_response_unknown_code_falls_back_by_status() -> None:
    assert type(error_from_response(400, _body(400, "brand_new_code"), {})) is BadRequestError
    assert type(error_from_response(502, _body(502, "brand_new_code"), {})) is ServiceError
    assert type(error_from_response(418, _body(418, "teapot"), {})) is B2Error


def test_error_from_response_html_body_from_proxy() -> None:
    error = error_from_response(502, b"<html>Bad Gateway</html>", {})
    assert isinstance(error, ServiceError)
    assert error.retryable
    assert error.code == ""
    assert "Bad Gateway" in error.message


def test_error_from_response_head_401_without_body_reauthorises() -> None:
    error = error_from_response(401, b"", {})
    assert isinstance(error, InvalidAuthTokenError)
    assert error.message == "HTTP 401"


def test_error_from_response_json_that_is_not_an_object() -> None:
    error = error_from_response(500, b"[1, 2]", {})
    assert isinstance(error, ServiceError)
    assert error.code == ""


def test_error_class_is_chosen_by_code_not_message() -> None:
    error = error_from_response(400, _body(400, "already_hidden", "whatever text"), {})
    assert isinstance(error, FileAlreadyHiddenError)


@pytest.mark.parametrize(("status", "code"), sorted(ERROR_TABLE))
def test_error_table_flags_are_consistent(status: int, code: str) -> None:
    cls = error_class(status, code)
    # Only throttling, timeouts, 5xx and a misused upload token may be retried.
    if cls.retryable:
        assert status in {400, 408, 429} or status >= 500
    # Re-authorisation is only ever asked for by a 401.
    if cls.reauthorize:
        assert status == 401


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("3", 3.0), (" 1.5 ", 1.5), ("soon", None), ("-1", None), ("999999", None)],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds
