"""Serve settings (file, environment, flags) and the gateway's own listeners: HTTPS with given
certificates, metrics, readiness while draining."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import aiohttp
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gateway.app import start_gateway
from gateway.config import (
    B2Key,
    ConfigError,
    CredentialStore,
    Identity,
    ServeSettings,
    load_serve_settings,
)
from gateway.emulator.server import RunningEmulator
from gateway.serve import client_settings
from gateway.tls import ensure_self_signed


def test_serve_settings_precedence_file_env_flags(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(
        '[server]\nport = 9000\nregion = "eu-central-003"\nbase_domains = ["s3.example.com"]\n'
        "metrics_port = 9100\n",
        encoding="utf-8",
    )
    settings = load_serve_settings(
        config,
        {"GATEWAY_PORT": "9001", "B2_ENVIRONMENT": "http://127.0.0.1:1", "GATEWAY_TLS": "true"},
        {"port": 9002},
    )
    assert settings.port == 9002
    assert settings.region == "eu-central-003"
    assert settings.base_domains == ("s3.example.com",)
    assert settings.metrics_port == 9100
    assert settings.realm_url == "http://127.0.0.1:1"
    assert settings.tls is True
    assert load_serve_settings(None, {}, {}) == ServeSettings()


@pytest.mark.parametrize(
    ("text", "environ"),
    [
        ("[server]\nport = -1\n", {}),
        ("[server]\nnot_a_setting = 1\n", {}),
        ("[server]\ntls_cert = 'cert.pem'\n", {}),
        ("", {"GATEWAY_METRICS_PORT": "many"}),
        ("server = 3\n", {}),
        ("[server\n", {}),
        ("[server]\nbody_idle_timeout_seconds = 0\n", {}),
        ("", {"GATEWAY_BUFFER_BUDGET_BYTES": "-1"}),
        ("", {"GATEWAY_BODY_IDLE_TIMEOUT_SECONDS": "soon"}),
    ],
)
def test_serve_settings_refused(tmp_path: Path, text: str, environ: dict[str, str]) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError):
        load_serve_settings(config, environ, {})


def test_memory_and_timeout_limits_from_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text("[server]\nbuffer_budget_bytes = 1048576\n", encoding="utf-8")
    settings = load_serve_settings(config, {"GATEWAY_BODY_IDLE_TIMEOUT_SECONDS": "2.5"}, {})
    assert (settings.buffer_budget_bytes, settings.body_idle_timeout_seconds) == (1048576, 2.5)


async def test_gateway_applies_the_body_idle_timeout_setting(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = ServeSettings(
        port=0, data_dir=tmp_path, realm_url=emulator.url, body_idle_timeout_seconds=0.3
    )
    gateway = await start_gateway(settings, _credentials(emulator))
    try:
        signer = SigV4Auth(Credentials(emulator.key_id, emulator.key), "s3", "us-east-1")

        def signed(path: str, length: int) -> dict[str, str]:
            headers = {"Content-Length": str(length), "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
            request = AWSRequest("PUT", gateway.http_url + path, headers=headers)
            signer.add_auth(request)
            return dict(request.headers.items())

        async with aiohttp.ClientSession() as session:
            bucket = "/stalled-bucket"
            async with session.put(gateway.http_url + bucket, headers=signed(bucket, 0)) as r:
                assert r.status == 200
        host, port = gateway.http_url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        head = [f"PUT {bucket}/key HTTP/1.1", f"Host: {host}:{port}"]
        head += [f"{k}: {v}" for k, v in signed(bucket + "/key", 10).items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + b"ab")  # 2 of 10 bytes
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(4096), timeout=10)
        writer.close()
        assert b" 400 " in answer.split(b"\r\n", 1)[0]
        assert b"<Code>RequestTimeout</Code>" in answer
    finally:
        await gateway.close()


def _credentials(emulator: RunningEmulator) -> CredentialStore:
    key = B2Key(emulator.key_id, emulator.key)
    return CredentialStore({key.key_id: Identity(key.key_id, key.application_key, key)})


async def test_gateway_tls_with_given_certificate_and_metrics(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    paths = ensure_self_signed(tmp_path / "mine")
    settings = ServeSettings(
        port=0,
        tls=True,
        tls_port=0,
        tls_cert=paths.cert,
        tls_key=paths.key,
        metrics_port=0,
        data_dir=tmp_path,
        realm_url=emulator.url,
    )
    gateway = await start_gateway(settings, _credentials(emulator))
    try:
        assert gateway.ca_bundle is None  # the operator's certificate: nothing to print
        assert gateway.https_url is not None
        assert gateway.metrics_url is not None
        context = ssl.create_default_context(cafile=str(paths.cert))
        async with aiohttp.ClientSession() as session:
            async with session.get(gateway.https_url + "/", ssl=context) as response:
                assert response.status == 403  # unsigned: refused, but over verified TLS
            async with session.get(gateway.metrics_url + "/health/live") as response:
                assert response.status == 200
            async with session.get(gateway.metrics_url + "/health/ready") as response:
                assert response.status == 200
            gateway.draining = True
            async with session.get(gateway.metrics_url + "/health/ready") as response:
                assert response.status == 503
            async with session.get(gateway.metrics_url + "/metrics") as response:
                assert "b2_calls_total" in await response.text()
        lines = client_settings(gateway, settings)
        assert lines[0] == f"AWS_ENDPOINT_URL={gateway.http_url}"
        assert not any(line.startswith("AWS_SECRET_ACCESS_KEY") for line in lines)
    finally:
        await gateway.close()


async def test_gateway_refuses_to_start_with_a_wrong_b2_key(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    key = B2Key(emulator.key_id, "not-the-key")
    credentials = CredentialStore({key.key_id: Identity(key.key_id, "secret", key)})
    settings = ServeSettings(port=0, data_dir=tmp_path, realm_url=emulator.url)
    with pytest.raises(ConfigError, match=emulator.key_id):
        await start_gateway(settings, credentials)
