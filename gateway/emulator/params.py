"""Typed access to a call's parameters, whether they came as a JSON body or a query string.

B2 accepts every call as POST JSON or as GET with the same parameters in the query; in the
query form every value is a string, so accessors coerce. JSON ``null`` means "absent".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gateway.emulator.errors import B2Error, bad_request


class Params:
    def __init__(self, values: Mapping[str, Any], *, from_query: bool) -> None:
        self._values = values
        self._from_query = from_query

    @classmethod
    def from_json_bytes(cls, body: bytes) -> Params:
        if not body.strip():
            return cls({}, from_query=False)
        try:
            values = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise B2Error(400, "bad_json", f"Invalid JSON in request: {exc}") from exc
        if not isinstance(values, dict):
            raise B2Error(400, "bad_json", "Request body must be a JSON object")
        return cls(values, from_query=False)

    def has(self, name: str) -> bool:
        return self._values.get(name) is not None

    def raw(self, name: str) -> Any:
        return self._values.get(name)

    def str_or_none(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise bad_request(f"{name} must be a string")
        return value

    def text(self, name: str) -> str:
        value = self.str_or_none(name)
        if value is None:
            raise bad_request(f"required field {name} is missing")
        return value

    def int_or_none(self, name: str) -> int | None:
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, str) and self._from_query:
            try:
                return int(value)
            except ValueError as exc:
                raise bad_request(f"{name} must be an integer") from exc
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"{name} must be an integer")
        return value

    def integer(self, name: str) -> int:
        value = self.int_or_none(name)
        if value is None:
            raise bad_request(f"required field {name} is missing")
        return value

    def bool_or_none(self, name: str) -> bool | None:
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, str) and self._from_query and value in ("true", "false"):
            return value == "true"
        if not isinstance(value, bool):
            raise bad_request(f"{name} must be a boolean")
        return value

    def _structured(self, name: str) -> Any:
        value = self._values.get(name)
        if isinstance(value, str) and self._from_query:
            try:
                return json.loads(value)
            except ValueError:
                # A bare string in the query form stands for a one-element list.
                return [value]
        return value

    def list_or_none(self, name: str) -> list[Any] | None:
        value = self._structured(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise bad_request(f"{name} must be a list")
        return value

    def str_list_or_none(self, name: str) -> list[str] | None:
        value = self.list_or_none(name)
        if value is not None and not all(isinstance(item, str) for item in value):
            raise bad_request(f"{name} must be a list of strings")
        return value

    def dict_or_none(self, name: str) -> dict[str, Any] | None:
        value = self._structured(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise bad_request(f"{name} must be an object")
        return value
