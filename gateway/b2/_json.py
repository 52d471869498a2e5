"""The JSON edge: typed readers over B2's decoded JSON.

Everything B2 sends is checked here, so no untyped value travels further into the client.
A wrong shape raises `B2ProtocolError` (the remote broke its contract), never `KeyError`/`assert`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from gateway.b2.errors import B2ProtocolError

JsonObject = Mapping[str, object]


def parse_object(body: bytes) -> JsonObject:
    try:
        value: object = json.loads(body)
    except ValueError as exc:
        raise B2ProtocolError(f"response is not JSON: {body[:200]!r}") from exc
    return as_object(value, "response")


def as_object(value: object, what: str) -> JsonObject:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise B2ProtocolError(f"{what}: expected a JSON object, got {type(value).__name__}")
    return value


def _field(obj: JsonObject, key: str) -> object:
    if key not in obj:
        raise B2ProtocolError(f"missing field {key!r}")
    return obj[key]


def req_str(obj: JsonObject, key: str) -> str:
    value = _field(obj, key)
    if not isinstance(value, str):
        raise B2ProtocolError(f"field {key!r}: expected a string")
    return value


def opt_str(obj: JsonObject, key: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise B2ProtocolError(f"field {key!r}: expected a string or null")


def req_int(obj: JsonObject, key: str) -> int:
    value = _field(obj, key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise B2ProtocolError(f"field {key!r}: expected an integer")
    return value


def opt_int(obj: JsonObject, key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise B2ProtocolError(f"field {key!r}: expected an integer or null")
    return value


def req_object(obj: JsonObject, key: str) -> JsonObject:
    return as_object(_field(obj, key), key)


def opt_object(obj: JsonObject, key: str) -> JsonObject | None:
    value = obj.get(key)
    return None if value is None else as_object(value, key)


def req_list(obj: JsonObject, key: str) -> list[object]:
    value = _field(obj, key)
    if not isinstance(value, list):
        raise B2ProtocolError(f"field {key!r}: expected a list")
    return value


def objects(obj: JsonObject, key: str) -> list[JsonObject]:
    return [as_object(item, key) for item in req_list(obj, key)]


def str_map(obj: JsonObject, key: str) -> dict[str, str]:
    """A string→string map such as fileInfo or bucketInfo (absent or null = empty)."""
    value = opt_object(obj, key)
    if value is None:
        return {}
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(v, str):
            raise B2ProtocolError(f"field {key!r}.{k!r}: expected a string")
        out[k] = v
    return out


def str_list(obj: JsonObject, key: str) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise B2ProtocolError(f"field {key!r}: expected a list of strings")
    return tuple(value)
