"""Which event loop ``s3-b2-gateway serve`` runs on: uvloop's when installed, else asyncio's."""

from __future__ import annotations

import asyncio
import sys

import pytest

from gateway.serve import event_loop_factory


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop is no dependency on Windows")
def test_serve_runs_on_uvloop_when_it_is_installed() -> None:
    import uvloop

    factory = event_loop_factory()
    assert factory is uvloop.new_event_loop
    loop = factory()
    try:
        assert loop.run_until_complete(asyncio.sleep(0, result="ran")) == "ran"
    finally:
        loop.close()


def test_serve_falls_back_to_asyncios_loop_without_uvloop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop now raises ImportError
    assert event_loop_factory() is None
