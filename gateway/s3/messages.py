"""The plain values a handler takes and returns: S3 protocol values, no framework types.

The translation layer imports these; only ``gateway.s3.http`` turns them into HTTP.

    Handler = Callable[[S3Request], Awaitable[S3Response]]
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar, overload

from gateway.s3.body import RequestBody
from gateway.s3.operations import Op, Route
from gateway.s3.sigv4 import AuthContext

T = TypeVar("T")


class Headers(Mapping[str, str]):
    """Request headers: case-insensitive; a repeated header reads as its values joined with
    ``,`` (as S3 does for repeated ``x-amz-meta-*``); ``get_all`` gives each occurrence."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._all: dict[str, list[str]] = {}
        for name, value in pairs:
            self._all.setdefault(name.lower(), []).append(value)

    def __getitem__(self, name: str) -> str:
        return ",".join(self._all[name.lower()])

    @overload
    def get(self, name: str, /) -> str | None: ...
    @overload
    def get(self, name: str, /, default: str | T) -> str | T: ...

    def get(self, name: str, /, default: object = None) -> object:
        # Mapping.get would raise and catch a KeyError for every absent header, and most
        # headers looked up are absent (conditions, checksums, SSE...).
        values = self._all.get(name.lower())
        return default if values is None else ",".join(values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def get_all(self, name: str) -> tuple[str, ...]:
        return tuple(self._all.get(name.lower(), ()))

    def __repr__(self) -> str:
        return f"Headers({sorted(self._all)})"


@dataclass(frozen=True)
class S3Request:
    """One authenticated, routed S3 request. ``body`` yields decoded payload bytes and gives
    the integrity verdict with ``body.verify()`` once read (see ``gateway.s3.body``)."""

    op: Op
    route: Route
    auth: AuthContext
    method: str
    headers: Headers
    body: RequestBody
    request_id: str

    @property
    def bucket(self) -> str | None:
        return self.route.bucket

    @property
    def key(self) -> str | None:
        return self.route.key

    @property
    def params(self) -> Mapping[str, str]:
        return self.route.params


@dataclass(frozen=True)
class S3Response:
    """What a handler answers. A streamed ``body`` should come with a Content-Length header."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | AsyncIterable[bytes] | None = None

    @classmethod
    def xml(
        cls, document: bytes, *, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> S3Response:
        return cls(status, {"Content-Type": "application/xml", **(headers or {})}, document)


Handler = Callable[[S3Request], Awaitable[S3Response]]
