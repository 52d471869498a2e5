"""Logging: one line per record on stderr, as JSON objects or as text, secrets scrubbed.

The access log is one record per S3 request on the ``gateway.access`` logger (see ``AccessRecord``).
Nothing logs headers or query strings on purpose; as a second line of defence every formatted
line is scrubbed of signatures, credentials and tokens in query strings or ``Authorization``
values, and of every secret registered with ``register_secrets`` (the S3 secret keys, the B2
application keys), wherever they appear.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TextIO

LogFormat = Literal["json", "text"]
ACCESS_LOGGER = "gateway.access"
REDACTED = "[REDACTED]"

access_log = logging.getLogger(ACCESS_LOGGER)


@dataclass(frozen=True)
class AccessRecord:
    """One S3 request. ``operation`` is the AWS operation name (``unknown`` if it was refused
    before routing); ``status`` 0 means no response was started; bytes are body bytes."""

    request_id: str
    method: str
    operation: str
    bucket: str | None
    key: str | None
    status: int
    error: str | None  # the S3 error code answered, if any
    bytes_in: int
    bytes_out: int
    duration_seconds: float
    completed: bool  # False: the connection broke before the response was fully sent
    b2_calls: int
    b2_calls_by_endpoint: Mapping[str, int]

    def fields(self) -> dict[str, object]:
        """The fields in declaration order, as ``dataclasses.asdict`` gives them but without its
        recursive deep copy (most of the cost of an access line)."""
        fields = dict(vars(self))
        fields["b2_calls_by_endpoint"] = dict(self.b2_calls_by_endpoint)
        return fields


def log_access(record: AccessRecord) -> None:
    if not access_log.isEnabledFor(logging.INFO):
        return  # a dropped line must not cost its fields
    # Made by hand rather than with ``info()``, which walks the stack for a source location
    # that no access line shows.
    line = access_log.makeRecord(
        ACCESS_LOGGER,
        logging.INFO,
        __file__,
        0,
        "%s %s %s",
        (record.method, record.operation, record.status),
        None,
        extra={"access": record.fields()},
    )
    access_log.handle(line)


# Query parameters and header values that carry credentials, in any case.
_SECRET_PATTERNS = (
    re.compile(
        r"(?i)((?:x-amz-signature|x-amz-credential|x-amz-security-token|signature|"
        r"awsaccesskeyid|authorization)=)[^&\s\"']+"
    ),
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\"'\n,}]+"),
)
# Each pattern needs one of these words (in any case): a line without them skips the regexes.
_SECRET_WORDS = ("signature", "credential", "security-token", "awsaccesskeyid", "authorization")
_secrets: set[str] = set()
_JSON = json.JSONEncoder(separators=(",", ":"), default=str)


def register_secrets(values: Iterable[str]) -> None:
    """Secrets that must never appear in a log line (process-wide, like logging itself)."""
    _secrets.update(value for value in values if len(value) >= 8)


def redact(text: str) -> str:
    if _may_name_a_credential(text):
        for pattern in _SECRET_PATTERNS:
            text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _may_name_a_credential(text: str) -> bool:
    """False only if no pattern can match. Outside ASCII, case-insensitive matching pairs letters
    that ``lower`` keeps apart (U+017F and ``s``, U+0131 and ``i``): such text gets the regexes."""
    if not text.isascii():
        return True
    lowered = text.lower()
    return any(word in lowered for word in _SECRET_WORDS)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the access fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            entry.update(access)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(_JSON.encode(entry))


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message key=value ...``"""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            line += "".join([f" {name}={value}" for name, value in access.items()])
        return redact(line)


def configure(level: str = "INFO", fmt: LogFormat = "text", stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
