"""Query parameters the listing operations share, refused with the errors S3 gives."""

from __future__ import annotations

from collections.abc import Mapping

from gateway.s3 import errors


def int_param(params: Mapping[str, str], name: str, default: int, most: int) -> int:
    """A non-negative integer parameter (``default`` when absent), capped at ``most``."""
    text = params.get(name, str(default))
    if not text.isdigit():
        raise errors.InvalidArgument(
            f"Provided {name} not an integer or within integer range",
            ArgumentName=name,
            ArgumentValue=text,
        )
    return min(int(text), most)


def encoding_type_param(params: Mapping[str, str]) -> str | None:
    """``encoding-type``: "url" (any case) or absent; anything else is refused as S3 does."""
    value = params.get("encoding-type")
    if value is not None and value.lower() != "url":
        raise errors.InvalidArgument(
            "Invalid Encoding Method specified in Request",
            ArgumentName="encoding-type",
            ArgumentValue=value,
        )
    return None if value is None else "url"
