"""B2 error values: every failure the emulator reports is one of these, rendered as
``{"status", "code", "message"}`` by the app's error funnel."""

from __future__ import annotations


class B2Error(Exception):
    """A B2 API error with the HTTP status and snake_case code the real service uses."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, object]:
        return {"status": self.status, "code": self.code, "message": self.message}


def bad_request(message: str) -> B2Error:
    return B2Error(400, "bad_request", message)


def unauthorized(message: str = "") -> B2Error:
    return B2Error(401, "unauthorized", message)


def not_found(message: str) -> B2Error:
    return B2Error(404, "not_found", message)


def bad_bucket_id(bucket_id: str) -> B2Error:
    return B2Error(400, "bad_bucket_id", f"Bucket {bucket_id} does not exist")
