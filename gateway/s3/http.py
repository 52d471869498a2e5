"""The aiohttp adapter: the only module of ``gateway.s3`` that imports ``aiohttp.web``.

One funnel for every request: request id -> SigV4 verification (over the raw path and raw
headers) -> routing -> body decoding -> the injected handler for the operation -> HTTP. Every
failure becomes S3 error XML carrying ``x-amz-request-id``; nothing reaches the client as a bare
framework 500 page.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from typing import Any, Protocol

import aiohttp
from aiohttp import http_exceptions, web

from gateway.s3 import errors
from gateway.s3.body import open_body
from gateway.s3.messages import Handler, Headers, S3Request, S3Response
from gateway.s3.operations import Op, parse_route
from gateway.s3.sigv4 import SignedRequest, SigV4Verifier

log = logging.getLogger(__name__)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SERVER_SETTINGS: Mapping[str, Any] = {"auto_decompress": False}
"""Keyword arguments for ``web.AppRunner``: request bodies are stored as sent (a gzip object
must not be inflated on the way in)."""

_READ_PIECE = 65536
BODY_IDLE_TIMEOUT_SECONDS = 30.0
"""A sender that lets this long pass without a body byte gets RequestTimeout, as from S3: a
stalled client must not hold a connection, a task and (for an upload) a B2 upload URL forever."""
# Per-request state an early ``Expect: 100-continue`` check hands to ``handle``.
_IDS = web.RequestKey("s3_ids", dict)
_ACCEPTED = web.RequestKey("s3_accepted", S3Request)


class Exchange(Protocol):
    """Told what happens to one request as it happens (metrics, access log; wired by gateway.app).
    Bytes are body bytes as they pass, not Content-Length."""

    def routed(self, request: S3Request) -> None: ...
    def received(self, size: int) -> None: ...
    def responding(self, status: int, error: errors.S3Error | None) -> None: ...
    def sent(self, size: int) -> None: ...
    def finished(self, *, completed: bool) -> None: ...


StartExchange = Callable[[str, str], Exchange]
"""(HTTP method, request id) -> the Exchange of a new request."""


class _Unobserved:
    def routed(self, request: S3Request) -> None:
        pass

    def received(self, size: int) -> None:
        pass

    def responding(self, status: int, error: errors.S3Error | None) -> None:
        pass

    def sent(self, size: int) -> None:
        pass

    def finished(self, *, completed: bool) -> None:
        pass


_EXCHANGE = web.RequestKey("s3_exchange", Exchange)


def new_request_id() -> str:
    return secrets.token_hex(8).upper()


class S3Frontend:
    """The aiohttp handler (``handle``); dispatches each operation to ``handlers``."""

    def __init__(
        self,
        handlers: Mapping[Op, Handler],
        verifier: SigV4Verifier,
        *,
        base_domains: tuple[str, ...] = (),
        trusted_proxies: Collection[IPNetwork] = (),
        request_ids: Callable[[], str] = new_request_id,
        host_id: str = "",
        exchanges: StartExchange = lambda method, request_id: _Unobserved(),
        body_idle_timeout: float = BODY_IDLE_TIMEOUT_SECONDS,
    ) -> None:
        self._handlers = handlers
        self._verifier = verifier
        self._base_domains = base_domains
        self._trusted_proxies = tuple(trusted_proxies)
        self._request_ids = request_ids
        self._host_id = host_id
        self._exchanges = exchanges
        self._body_idle_timeout = body_idle_timeout

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ids = request.get(_IDS) or self._new_ids()
        exchange = request.get(_EXCHANGE) or self._exchange(request, ids)
        completed = False
        try:
            answer = await self._answer(request, ids, exchange)
            completed = True
        finally:
            exchange.finished(completed=completed)
        return answer

    async def _answer(
        self, request: web.Request, ids: Mapping[str, str], exchange: Exchange
    ) -> web.StreamResponse:
        try:
            s3_request = request.get(_ACCEPTED) or self._accept(request, ids, exchange)
            exchange.routed(s3_request)
            response = await self._handler_for(s3_request.op)(s3_request)
        except Exception as exc:  # every failure must become S3 error XML
            return _failure(request, exc, ids, exchange)
        return await _send(request, response, ids, exchange)

    async def expect(self, request: web.Request) -> web.StreamResponse | None:
        """``Expect: 100-continue``: authenticate and route *before* inviting the body, so a
        refused upload costs the client no bytes. Other expectations are ignored, as S3 does."""
        if request.headers.get("Expect", "").lower() != "100-continue":
            return None
        ids = request[_IDS] = self._new_ids()
        exchange = request[_EXCHANGE] = self._exchange(request, ids)
        try:
            request[_ACCEPTED] = self._accept(request, ids, exchange)
        except Exception as exc:  # every failure must become S3 error XML
            refusal = _failure(request, exc, ids, exchange)
            exchange.finished(completed=True)
            # The client will not send the body it announced: the connection cannot carry
            # another request (its next bytes would be read as this body), so close it.
            refusal.force_close()
            return refusal
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return None

    def _new_ids(self) -> dict[str, str]:
        return {"x-amz-request-id": self._request_ids(), "x-amz-id-2": self._host_id}

    def _exchange(self, request: web.Request, ids: Mapping[str, str]) -> Exchange:
        return self._exchanges(request.method, ids["x-amz-request-id"])

    def _accept(
        self, request: web.Request, ids: Mapping[str, str], exchange: Exchange
    ) -> S3Request:
        raw_path, _, raw_query = request.raw_path.partition("?")
        raw_headers = [
            (name.decode("latin-1").lower(), value) for name, value in request.raw_headers
        ]
        headers = Headers((name, value.decode("utf-8", "replace")) for name, value in raw_headers)
        trusted = bool(self._trusted_proxies) and self._is_trusted(request.remote)
        forwarded = headers.get("x-forwarded-host") if trusted else None
        if forwarded:  # the client signed the Host it used, which the proxy has replaced
            original = forwarded.split(",")[0].strip().encode()
            raw_headers = [(n, original if n == "host" else v) for n, v in raw_headers]
        signed = SignedRequest(request.method, raw_path, raw_query, raw_headers)
        auth = self._verifier.verify(signed)
        route = parse_route(
            request.method,
            headers.get("host", ""),
            raw_path,
            raw_query,
            headers,
            base_domains=self._base_domains,
            trusted_proxy=trusted,
        )
        pieces = _pieces(request, exchange, self._body_idle_timeout)
        body = open_body(
            auth,
            headers,
            pieces,
            content_length=request.content_length,
            object_checksums=route.op is Op.CompleteMultipartUpload,
        )
        request_id = ids["x-amz-request-id"]
        return S3Request(route.op, route, auth, request.method, headers, body, request_id)

    def _handler_for(self, op: Op) -> Handler:
        handler = self._handlers.get(op)
        if handler is None:
            raise errors.NotImplemented(f"{op} is not implemented by this gateway")
        return handler

    def _is_trusted(self, remote: str | None) -> bool:
        if remote is None or not self._trusted_proxies:
            return False
        try:
            address = ipaddress.ip_address(remote)
        except ValueError:
            return False
        return any(address in network for network in self._trusted_proxies)


def build_app(frontend: S3Frontend) -> web.Application:
    """An application that sends every path and method to the front door."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", frontend.handle, expect_handler=frontend.expect)
    return app


async def _pieces(
    request: web.Request, exchange: Exchange, idle_timeout: float
) -> AsyncIterator[bytes]:
    """The body with HTTP framing removed; a broken upload becomes IncompleteBody, a stalled
    one RequestTimeout."""
    try:
        while True:
            async with asyncio.timeout(idle_timeout):
                piece = await request.content.read(_READ_PIECE)
            if not piece:
                return
            exchange.received(len(piece))
            yield piece
    except TimeoutError:
        raise errors.RequestTimeout() from None
    except (http_exceptions.HttpProcessingError, aiohttp.ClientPayloadError, ConnectionError):
        raise errors.IncompleteBody("The request body terminated unexpectedly") from None


async def _send(
    request: web.Request, response: S3Response, ids: Mapping[str, str], exchange: Exchange
) -> web.StreamResponse:
    headers = {**response.headers, **ids}
    body = response.body
    exchange.responding(response.status, None)
    if body is None or isinstance(body, bytes) or request.method == "HEAD":
        payload = body if isinstance(body, bytes) and request.method != "HEAD" else None
        exchange.sent(len(payload or b""))
        return web.Response(status=response.status, headers=headers, body=payload)
    stream = web.StreamResponse(status=response.status, headers=headers)
    await stream.prepare(request)
    # An error from here on cannot become an S3 error: propagating it makes aiohttp drop the
    # connection, so the client sees a truncated body rather than a complete-looking one.
    async for data in body:
        await stream.write(data)
        exchange.sent(len(data))
    await stream.write_eof()
    return stream


def _failure(
    request: web.Request, exc: Exception, ids: Mapping[str, str], exchange: Exchange
) -> web.Response:
    """An S3 error as itself; anything else is logged (with its traceback) as InternalError."""
    if not isinstance(exc, errors.S3Error):
        log.error("unexpected error in %s %s", request.method, request.raw_path, exc_info=exc)
        exc = errors.InternalError()
    exchange.responding(exc.status, exc)
    response = _error_response(request, exc, ids)
    exchange.sent(response.content_length or 0)
    return response


def _error_response(
    request: web.Request, error: errors.S3Error, ids: Mapping[str, str]
) -> web.Response:
    headers = {**error.headers, **ids}
    if request.method == "HEAD" or not error.has_body:
        return web.Response(status=error.status, headers=headers)
    headers["Content-Type"] = "application/xml"
    body = error.to_xml(ids["x-amz-request-id"], ids["x-amz-id-2"])
    return web.Response(status=error.status, headers=headers, body=body)
