"""B2 errors as values: a table `(status, code) -> class`; each class knows what a client should do.

Flags, read by the retry and upload machinery (never by message text):
- `retryable`: a later identical attempt may succeed (transient server or network trouble);
- `reauthorize`: the account token is bad or expired; authorise again, then retry;
- `new_upload_url`: the upload URL/token must be thrown away; a retry needs a fresh one.
`retry_after` carries the server's `Retry-After` seconds when it sent one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import ClassVar


class B2Error(Exception):
    """Any failure talking to B2. Subclasses set the flags; instances carry the wire details."""

    retryable: ClassVar[bool] = False
    reauthorize: ClassVar[bool] = False
    new_upload_url: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}" if self.status else self.message

    @property
    def cause(self) -> str:
        """A short, bounded label for metrics and logs (the B2 code, else the class)."""
        return self.code or type(self).__name__


class B2ProtocolError(B2Error):
    """B2 (or something in between) answered in a shape we do not understand."""


class B2ConnectionError(B2Error):
    """The connection failed: refused, reset, dropped mid-body, or timed out."""

    retryable = True
    new_upload_url = True

    def __init__(self, message: str, *, request_sent: bool) -> None:
        super().__init__(message)
        # False only when the connection was never made: then even a non-idempotent call is safe
        # to repeat, because B2 cannot have acted on it.
        self.request_sent = request_sent

    @property
    def cause(self) -> str:
        return "connection"


class UploadNotReplayableError(B2Error):
    """A retryable upload failure on a one-shot body: the caller must retry with a fresh body.

    `__cause__` is the B2 failure that would otherwise have been retried.
    """

    retryable = True

    def __init__(self, failure: B2Error) -> None:
        super().__init__(
            f"upload failed and its body cannot be replayed: {failure}",
            status=failure.status,
            code=failure.code,
            retry_after=failure.retry_after,
        )


# 4xx the request itself is wrong --------------------------------------------------------------
class BadRequestError(B2Error):
    pass


class BadJsonError(BadRequestError):
    pass


class BucketIdNotFoundError(BadRequestError):
    pass


class DuplicateBucketNameError(BadRequestError):
    pass


class TooManyBucketsError(BadRequestError):
    pass


class BucketNotEmptyError(BadRequestError):
    pass


class FileNotPresentError(BadRequestError):
    pass


class FileAlreadyHiddenError(BadRequestError):
    pass


class MissingPartError(BadRequestError):
    pass


class PartSha1MismatchError(BadRequestError):
    pass


class CopySourceTooBigError(BadRequestError):
    pass


class FileLockConflictError(BadRequestError):
    pass


class UploadTokenUsedConcurrentlyError(BadRequestError):
    # Our pool should make this impossible; if it happens the URL is suspect, so take another.
    retryable = True
    new_upload_url = True


class UnauthorizedError(B2Error):
    """A valid token without the capability, bucket or prefix; or bad keys at authorize."""


class UnsupportedError(UnauthorizedError):
    pass


class InvalidAuthTokenError(B2Error):
    reauthorize = True
    new_upload_url = True


class ForbiddenError(B2Error):
    pass


class CapExceededError(ForbiddenError):
    pass


class AccessDeniedError(ForbiddenError):
    pass


class NotFoundError(B2Error):
    pass


class MethodNotAllowedError(B2Error):
    pass


class RequestTimeoutError(B2Error):
    retryable = True
    new_upload_url = True


class ConflictError(B2Error):
    pass


class RangeNotSatisfiableError(B2Error):
    pass


class TooManyRequestsError(B2Error):
    retryable = True
    new_upload_url = True


class ServiceError(B2Error):
    retryable = True
    new_upload_url = True


class ServiceUnavailableError(ServiceError):
    pass


ERROR_TABLE: Mapping[tuple[int, str], type[B2Error]] = {
    (400, "bad_request"): BadRequestError,
    (400, "bad_json"): BadJsonError,
    (400, "invalid_bucket_id"): BadRequestError,
    (400, "invalid_file_id"): BadRequestError,
    (400, "out_of_range"): BadRequestError,
    (400, "bad_bucket_id"): BucketIdNotFoundError,
    (400, "duplicate_bucket_name"): DuplicateBucketNameError,
    (400, "too_many_buckets"): TooManyBucketsError,
    (400, "cannot_delete_non_empty_bucket"): BucketNotEmptyError,
    (400, "file_not_present"): FileNotPresentError,
    (400, "no_such_file"): FileNotPresentError,
    (400, "already_hidden"): FileAlreadyHiddenError,
    (400, "missing_part"): MissingPartError,
    (400, "part_sha1_mismatch"): PartSha1MismatchError,
    (400, "auth_token_limit"): UploadTokenUsedConcurrentlyError,
    (400, "source_too_large"): CopySourceTooBigError,
    (400, "bucket_missing_file_lock"): FileLockConflictError,
    (400, "file_lock_conflict"): FileLockConflictError,
    (400, "source_replication_conflict"): BadRequestError,
    (400, "restricted_bucket_conflict"): BadRequestError,
    (401, "unauthorized"): UnauthorizedError,
    (401, "unsupported"): UnsupportedError,
    (401, "missing_auth_token"): UnauthorizedError,
    (401, "email_not_verified"): UnauthorizedError,
    (401, "no_payment_history"): UnauthorizedError,
    (401, "access_denied"): UnauthorizedError,
    (401, "bad_auth_token"): InvalidAuthTokenError,
    (401, "expired_auth_token"): InvalidAuthTokenError,
    # HEAD errors have no body; b2sdk (and we) treat a bare 401 as "token went bad".
    (401, ""): InvalidAuthTokenError,
    (403, "cap_exceeded"): CapExceededError,
    (403, "storage_cap_exceeded"): CapExceededError,
    (403, "transaction_cap_exceeded"): CapExceededError,
    (403, "download_cap_exceeded"): CapExceededError,
    (403, "access_denied"): AccessDeniedError,
    (404, "not_found"): NotFoundError,
    (405, "method_not_allowed"): MethodNotAllowedError,
    (408, "request_timeout"): RequestTimeoutError,
    (409, "conflict"): ConflictError,
    (416, "range_not_satisfiable"): RangeNotSatisfiableError,
    (429, "too_many_requests"): TooManyRequestsError,
    (500, "internal_error"): ServiceError,
    (503, "service_unavailable"): ServiceUnavailableError,
    # list calls time out with this odd pairing; retrying with the same start is the documented fix.
    (503, "bad_request"): ServiceUnavailableError,
}

_BY_STATUS: Mapping[int, type[B2Error]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    408: RequestTimeoutError,
    409: ConflictError,
    416: RangeNotSatisfiableError,
    429: TooManyRequestsError,
    503: ServiceUnavailableError,
}


def error_class(status: int, code: str) -> type[B2Error]:
    """The class for a B2 error: exact table entry, else by status, else by status family."""
    exact = ERROR_TABLE.get((status, code))
    if exact is not None:
        return exact
    by_status = _BY_STATUS.get(status)
    if by_status is not None:
        return by_status
    return ServiceError if status >= 500 else B2Error


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header; B2 sends delta-seconds. Anything else is ignored."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if 0 <= seconds < 86_400 else None


def error_from_response(status: int, body: bytes, headers: Mapping[str, str]) -> B2Error:
    """Build the error for a non-2xx response. Non-JSON bodies (proxies, HEAD) are expected."""
    code, message = "", ""
    try:
        decoded: object = json.loads(body) if body else None
    except ValueError:
        decoded = None
    if isinstance(decoded, dict):
        fields: Mapping[str, object] = decoded
        raw_code, raw_message = fields.get("code"), fields.get("message")
        code = raw_code if isinstance(raw_code, str) else ""
        message = raw_message if isinstance(raw_message, str) else ""
    if not message:
        message = body[:200].decode("utf-8", "replace") if decoded is None and body else ""
    cls = error_class(status, code)
    return cls(
        message or f"HTTP {status}",
        status=status,
        code=code,
        retry_after=parse_retry_after(headers.get("Retry-After")),
    )
