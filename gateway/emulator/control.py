"""The ``/_emulator`` fault-control surface (served only when ``settings.faults`` is on)."""

from __future__ import annotations

import json

from aiohttp import web

from gateway.emulator.errors import B2Error
from gateway.emulator.faults import Fault
from gateway.emulator.state import STATE_KEY

routes = web.RouteTableDef()


def _enabled(request: web.Request) -> None:
    if not request.app[STATE_KEY].faults.enabled:
        raise B2Error(404, "not_found", "fault control is disabled")


@routes.post("/_emulator/faults")
async def queue_fault(request: web.Request) -> web.Response:
    _enabled(request)
    try:
        body = json.loads(await request.read())
    except ValueError as exc:
        raise B2Error(400, "bad_json", str(exc)) from exc
    if not isinstance(body, dict):
        raise B2Error(400, "bad_json", "expected a JSON object")
    endpoint, count, fault = Fault.from_json(body)
    request.app[STATE_KEY].faults.queue(endpoint, count, fault)
    return web.json_response({"endpoint": endpoint, "count": count})


@routes.delete("/_emulator/faults")
async def clear_faults(request: web.Request) -> web.Response:
    _enabled(request)
    request.app[STATE_KEY].faults.clear()
    return web.json_response({})


@routes.post("/_emulator/expire_tokens")
async def expire_tokens(request: web.Request) -> web.Response:
    _enabled(request)
    request.app[STATE_KEY].tokens.expire_accounts()
    return web.json_response({})


@routes.get("/_emulator/counters")
async def get_counters(request: web.Request) -> web.Response:
    _enabled(request)
    return web.json_response(dict(request.app[STATE_KEY].faults.counters))


@routes.delete("/_emulator/counters")
async def reset_counters(request: web.Request) -> web.Response:
    _enabled(request)
    request.app[STATE_KEY].faults.counters.clear()
    return web.json_response({})
