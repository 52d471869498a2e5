"""A real gateway (with its metrics listener) in front of an in-memory emulator, on a background
event loop so that boto3 can drive it from the test thread; helpers to read /metrics."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import RunningGateway, start_gateway
from gateway.config import B2Key, CredentialStore, Identity, ServeSettings
from gateway.emulator.server import EmulatorSettings, RunningEmulator, start_emulator

ACCESS_KEY = "observed-access-key"
SECRET_KEY = "observed/Secret+Key0123456789abcdefghijklm"


class Stack:
    def __init__(self, data_dir: Path) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.emulator: RunningEmulator = self.call(start_emulator(EmulatorSettings(faults=True)))
        key = B2Key(self.emulator.key_id, self.emulator.key)
        self.credentials = CredentialStore({ACCESS_KEY: Identity(ACCESS_KEY, SECRET_KEY, key)})
        settings = ServeSettings(
            port=0, metrics_port=0, data_dir=data_dir, realm_url=self.emulator.url
        )
        self.gateway: RunningGateway = self.call(start_gateway(settings, self.credentials))
        assert self.gateway.metrics_url is not None
        self.metrics_url: str = self.gateway.metrics_url

    def call(self, coroutine: Awaitable[Any]) -> Any:
        async def wrapped() -> Any:
            return await coroutine

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result(timeout=60)

    def s3(self, secret_key: str = SECRET_KEY, **config: Any) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.gateway.http_url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=secret_key,
            region_name="us-east-1",
            config=Config(retries={"total_max_attempts": 1}, **config),
        )

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.metrics_url + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def samples(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        """Every sample of /metrics: (name, labels) -> value."""
        status, text = self.get("/metrics")
        assert status == 200
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def inject(self, endpoint: str, status: int | None, code: str, **fault: Any) -> None:
        """Queue a B2 error for the next call of ``endpoint`` (the emulator's fault surface)."""
        body = json.dumps({"endpoint": endpoint, "status": status, "code": code, **fault})
        request = urllib.request.Request(
            f"{self.emulator.url}/_emulator/faults", data=body.encode(), method="POST"
        )
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    def clear_faults(self) -> None:
        """Drop queued faults no call used up (how many calls an operation makes may vary)."""
        request = urllib.request.Request(f"{self.emulator.url}/_emulator/faults", method="DELETE")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    def stop(self) -> None:
        self.call(self.gateway.close())
        self.call(self.emulator.close())
        self.call(_cancel_leftovers())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    """The sum of ``name``'s samples whose labels include ``labels`` (0 if none)."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n == name and wanted <= have)


async def _cancel_leftovers() -> None:
    current = asyncio.current_task()
    leftovers = [task for task in asyncio.all_tasks() if task is not current]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path)
    try:
        yield running
    finally:
        running.stop()
