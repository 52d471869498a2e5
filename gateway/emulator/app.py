"""The aiohttp application: routes, and the one funnel every call passes through (counters,
injected faults, X-Bz-Test-Mode, error rendering, the headers B2 puts on every answer)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from gateway.emulator import (
    api_account,
    api_buckets,
    api_copy,
    api_download,
    api_files,
    api_keys,
    api_large,
    api_lock,
    api_upload,
)
from gateway.emulator.control import routes as control_routes
from gateway.emulator.errors import B2Error, not_found
from gateway.emulator.faults import Fault
from gateway.emulator.params import Params
from gateway.emulator.receive import ConnectionDroppedError
from gateway.emulator.state import FAULT_KEY, STATE_KEY, TEST_MODE_HEADER, Call, EmulatorState

logger = logging.getLogger(__name__)
Handler = Callable[[Call], Awaitable[dict[str, Any] | web.StreamResponse]]
API_VERSIONS = {"v1": 1, "v2": 2, "v3": 3, "v4": 4}
NO_CACHE = "max-age=0, no-cache, no-store"
JSON_OK_TYPE = "application/json;charset=UTF-8"
JSON_ERROR_TYPE = "application/json;charset=utf-8"  # the real service's spelling [obs]

CALLS: dict[str, Handler] = {
    "b2_authorize_account": api_account.authorize_account,
    "b2_create_bucket": api_buckets.create_bucket,
    "b2_list_buckets": api_buckets.list_buckets,
    "b2_update_bucket": api_buckets.update_bucket,
    "b2_delete_bucket": api_buckets.delete_bucket,
    "b2_get_upload_url": api_upload.get_upload_url,
    "b2_get_file_info": api_files.get_file_info,
    "b2_list_file_names": api_files.list_file_names,
    "b2_list_file_versions": api_files.list_file_versions,
    "b2_hide_file": api_files.hide_file,
    "b2_delete_file_version": api_files.delete_file_version,
    "b2_download_file_by_id": api_download.download_by_id,
    "b2_get_download_authorization": api_download.get_download_authorization,
    "b2_create_key": api_keys.create_key,
    "b2_delete_key": api_keys.delete_key,
    "b2_list_keys": api_keys.list_keys,
    "b2_start_large_file": api_large.start_large_file,
    "b2_get_upload_part_url": api_large.get_upload_part_url,
    "b2_finish_large_file": api_large.finish_large_file,
    "b2_cancel_large_file": api_large.cancel_large_file,
    "b2_list_parts": api_large.list_parts,
    "b2_list_unfinished_large_files": api_large.list_unfinished_large_files,
    "b2_copy_file": api_copy.copy_file,
    "b2_copy_part": api_copy.copy_part,
    "b2_update_file_legal_hold": api_lock.update_file_legal_hold,
    "b2_update_file_retention": api_lock.update_file_retention,
}
UPLOADS: dict[str, Handler] = {
    "b2_upload_file": api_upload.upload_file,
    "b2_upload_part": api_large.upload_part,
}
DOWNLOADS = frozenset({"b2_download_file_by_id", "b2_download_file_by_name"})


def json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    response = web.Response(status=status, body=text.encode("utf-8"))
    response.headers["Content-Type"] = JSON_OK_TYPE if status < 400 else JSON_ERROR_TYPE
    return response


def error_response(request: web.Request, error: B2Error) -> web.Response:
    if request.method == "HEAD":
        response = web.Response(status=error.status)  # HEAD errors carry no body
    else:
        response = json_response(error.body(), error.status)
    if error.status == 401 and request.match_info.get("call") == "b2_authorize_account":
        response.headers["WWW-Authenticate"] = 'BASIC realm="authorize_account"'
    return response


def endpoint_of(request: web.Request) -> str | None:
    """The B2 call name a request is for (counters and faults are keyed by it)."""
    return request.match_info.get("call") or request.match_info.route.name


def _drop(request: web.Request) -> web.Response:
    """Close the connection without an answer; aiohttp ignores the unused response."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=499)


async def _injected_failure(
    request: web.Request, state: EmulatorState, endpoint: str | None, fault: Fault | None
) -> None:
    """Apply a queued fault's delay and error, then any X-Bz-Test-Mode error (raised)."""
    if fault is not None:
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if (error := fault.error()) is not None:
            raise error
        request[FAULT_KEY] = fault
    mode = request.headers.get(TEST_MODE_HEADER)
    if endpoint and (error := state.faults.test_mode_error(endpoint, mode)):
        raise error


@web.middleware
async def funnel(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    endpoint = endpoint_of(request)
    fault = state.faults.take(endpoint) if endpoint and endpoint.startswith("b2_") else None
    dropping = fault is not None and fault.drop == "before_response"
    try:
        await _injected_failure(request, state, endpoint, fault)
        if dropping and endpoint in DOWNLOADS:
            return _drop(request)
        response = await handler(request)
    except B2Error as error:
        response = error_response(request, error)
        if fault is not None and fault.retry_after is not None:
            response.headers["Retry-After"] = str(int(fault.retry_after))
    except ConnectionDroppedError:
        return _drop(request)
    except Exception:
        if request.transport is None or request.transport.is_closing():
            raise  # the answer was under way; the connection is gone with it
        # Like B2, answer an internal failure with a JSON 500 (clients retry those).
        logger.exception("internal error in %s", endpoint)
        response = error_response(request, B2Error(500, "internal_error", "internal error"))
    if dropping:
        return _drop(request)
    if not response.prepared:
        response.headers.setdefault("Cache-Control", NO_CACHE)
    return response


def _call(
    state: EmulatorState, request: web.Request, endpoint: str, version: int, params: Params
) -> Call:
    return Call(request=request, state=state, endpoint=endpoint, api_version=version, params=params)


async def api_call(request: web.Request) -> web.StreamResponse:
    version = API_VERSIONS.get(request.match_info["version"])
    endpoint = request.match_info["call"]
    handler = CALLS.get(endpoint)
    if version is None or handler is None:
        raise not_found(f"no such API call: {request.path}")
    if request.method == "POST":
        params = Params.from_json_bytes(await request.read())
    elif request.method == "GET" or (
        request.method == "HEAD" and endpoint == "b2_download_file_by_id"
    ):
        params = Params(request.query, from_query=True)
    else:
        raise B2Error(405, "method_not_allowed", f"{request.method} is not supported")
    return await _respond(
        handler, _call(request.app[STATE_KEY], request, endpoint, version, params)
    )


async def upload(request: web.Request) -> web.StreamResponse:
    version = API_VERSIONS.get(request.match_info["version"])
    endpoint = request.match_info.route.name or ""
    if version is None:
        raise not_found(f"no such API call: {request.path}")
    if request.method != "POST":
        raise B2Error(405, "method_not_allowed", "Only POST is supported")
    params = Params({}, from_query=True)
    call = _call(request.app[STATE_KEY], request, endpoint, version, params)
    return await _respond(UPLOADS[endpoint], call)


async def download_by_name(request: web.Request) -> web.StreamResponse:
    params = Params(request.query, from_query=True)
    call = _call(request.app[STATE_KEY], request, "b2_download_file_by_name", 4, params)
    return await api_download.download_by_name(call)


async def _respond(handler: Handler, call: Call) -> web.StreamResponse:
    result = await handler(call)
    return result if isinstance(result, web.StreamResponse) else json_response(result)


async def unknown(request: web.Request) -> web.StreamResponse:
    raise not_found(f"no such resource: {request.path}")


def build_app(state: EmulatorState) -> web.Application:
    # Uploads stream, so the body limit only bounds JSON calls.
    app = web.Application(middlewares=[funnel], client_max_size=4 * 1024 * 1024)
    app[STATE_KEY] = state
    app.router.add_routes(control_routes)
    upload_path = "/b2api/{version}/b2_upload_file/{target}/{slot}"
    app.router.add_route("*", upload_path, upload, name="b2_upload_file")
    part_path = "/b2api/{version}/b2_upload_part/{target}/{slot}"
    app.router.add_route("*", part_path, upload, name="b2_upload_part")
    app.router.add_route("*", "/b2api/{version}/{call}", api_call)
    file_path = "/file/{tail:.+}"
    app.router.add_get(file_path, download_by_name, name="b2_download_file_by_name")
    app.router.add_route("*", "/{tail:.*}", unknown)
    return app
