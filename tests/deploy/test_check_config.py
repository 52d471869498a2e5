"""``s3-b2-gateway check-config`` against the emulator: exit codes, findings, no secrets."""

from __future__ import annotations

import base64
import json
import socket
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.cli import main
from gateway.emulator.server import RunningEmulator

StartEmulator = Callable[..., RunningEmulator]
SIDECAR_SECRET = "local-sidecar-secret-0123456789"


def _b2(url: str, body: dict[str, Any], authorization: str) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Authorization": authorization}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.load(response)
    return answer


def _authorize(emulator: RunningEmulator) -> dict[str, Any]:
    basic = base64.b64encode(f"{emulator.key_id}:{emulator.key}".encode()).decode()
    request = urllib.request.Request(
        f"{emulator.url}/b2api/v4/b2_authorize_account", headers={"Authorization": f"Basic {basic}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.load(response)
    return answer


def _restricted_key(emulator: RunningEmulator, bucket: str) -> tuple[str, str, str]:
    """A new bucket and a key restricted to it: (bucket id, key id, application key)."""
    account = _authorize(emulator)
    api = account["apiInfo"]["storageApi"]["apiUrl"]
    token = account["authorizationToken"]
    base = {"accountId": account["accountId"]}
    created = _b2(
        f"{api}/b2api/v4/b2_create_bucket",
        {**base, "bucketName": bucket, "bucketType": "allPrivate"},
        token,
    )
    key = _b2(
        f"{api}/b2api/v4/b2_create_key",
        {
            **base,
            "capabilities": ["listBuckets", "listFiles", "readFiles", "writeFiles"],
            "keyName": "restricted",
            "bucketIds": [created["bucketId"]],
        },
        token,
    )
    return created["bucketId"], key["applicationKeyId"], key["applicationKey"]


def _delete_bucket(emulator: RunningEmulator, bucket_id: str) -> None:
    account = _authorize(emulator)
    api = account["apiInfo"]["storageApi"]["apiUrl"]
    body = {"accountId": account["accountId"], "bucketId": bucket_id}
    _b2(f"{api}/b2api/v4/b2_delete_bucket", body, account["authorizationToken"])


def _sidecar_config(path: Path, realm: str, key_id: str, key: str, buckets: list[str]) -> Path:
    path.write_text(
        f'[server]\nrealm_url = "{realm}"\n\n'
        f'[[b2_keys]]\nname = "main"\nkey_id = "{key_id}"\napplication_key = "{key}"\n'
        "s3_access = false\n\n"
        f'[[s3_identities]]\naccess_key_id = "app"\nsecret_access_key = "{SIDECAR_SECRET}"\n'
        f'b2_key = "main"\nbuckets = {json.dumps(buckets)}\n',
        encoding="utf-8",
    )
    return path


Check = Callable[..., tuple[int, str]]


@pytest.fixture
def check(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Check:
    """Run ``check-config`` with these arguments and environment: (exit status, output)."""

    def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        for name in ("B2_APPLICATION_KEY_ID", "B2_APPLICATION_KEY", "B2_ENVIRONMENT"):
            monkeypatch.delenv(name, raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        status = main(["check-config", *args])
        return status, capsys.readouterr().out

    return run


def test_check_config_sidecar_key_restricted_to_bucket_ok(
    threaded_emulator_factory: StartEmulator,
    tmp_path: Path,
    check: Check,
) -> None:
    emulator = threaded_emulator_factory()
    _, key_id, key = _restricted_key(emulator, "photos")
    config = _sidecar_config(tmp_path / "gateway.toml", emulator.url, key_id, key, ["photos"])
    status, out = check("--config", str(config))
    assert status == 0, out
    assert f"S3 access key app -> B2 key {key_id} (photos)" in out
    assert f"ok: B2 key {key_id} authorised" in out
    assert "buckets: photos" in out
    assert key not in out
    assert SIDECAR_SECRET not in out


def test_check_config_environment_master_key_ok(
    threaded_emulator_factory: StartEmulator,
    check: Check,
) -> None:
    emulator = threaded_emulator_factory()
    env = {
        "B2_APPLICATION_KEY_ID": emulator.key_id,
        "B2_APPLICATION_KEY": emulator.key,
        "B2_ENVIRONMENT": emulator.url,
    }
    status, out = check(env=env)
    assert status == 0, out
    assert "configuration: (environment only)" in out
    assert emulator.key not in out


def test_check_config_identity_bucket_outside_restricted_key_fails(
    threaded_emulator_factory: StartEmulator,
    tmp_path: Path,
    check: Check,
) -> None:
    emulator = threaded_emulator_factory()
    _, key_id, key = _restricted_key(emulator, "photos")
    buckets = ["photos", "videos"]
    config = _sidecar_config(tmp_path / "gateway.toml", emulator.url, key_id, key, buckets)
    status, out = check("--config", str(config))
    assert status == 2, out
    assert "FAIL: S3 access key app lists buckets its B2 key cannot reach: videos" in out


def test_check_config_restricted_key_bucket_deleted_fails(
    threaded_emulator_factory: StartEmulator,
    tmp_path: Path,
    check: Check,
) -> None:
    emulator = threaded_emulator_factory()
    bucket_id, key_id, key = _restricted_key(emulator, "photos")
    _delete_bucket(emulator, bucket_id)
    config = _sidecar_config(tmp_path / "gateway.toml", emulator.url, key_id, key, [])
    status, out = check("--config", str(config))
    assert status == 2, out
    assert "FAIL:" in out
    assert key not in out


def test_check_config_wrong_application_key_refused(
    threaded_emulator_factory: StartEmulator,
    tmp_path: Path,
    check: Check,
) -> None:
    emulator = threaded_emulator_factory()
    wrong = "K00" + "x" * 28
    config = _sidecar_config(tmp_path / "gateway.toml", emulator.url, emulator.key_id, wrong, [])
    status, out = check("--config", str(config))
    assert status == 2, out
    assert f"FAIL: B2 refused key {emulator.key_id}" in out
    assert wrong not in out


def test_check_config_unreachable_realm(tmp_path: Path, check: Check) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        realm = f"http://127.0.0.1:{closed.getsockname()[1]}"
    config = _sidecar_config(tmp_path / "gateway.toml", realm, "0041234", "K004secret", [])
    status, out = check("--config", str(config))
    assert status == 2, out
    assert f"FAIL: B2 unreachable at {realm} for key 0041234" in out
    assert "K004secret" not in out


@pytest.mark.parametrize(
    "text",
    [
        "[[s3_identities]]\naccess_key_id = 'a'\nsecret_access_key = 's'\nb2_key = 'missing'\n",
        "[server]\nport = 'many'\n",
        "[server]\ntls_cert = 'absent.pem'\ntls_key = 'absent.key'\n",
        "[[b2_keys]\n",
    ],
)
def test_check_config_invalid_configuration(text: str, tmp_path: Path, check: Check) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(text, encoding="utf-8")
    status, out = check("--config", str(config))
    assert status == 1
    assert out.startswith("invalid configuration: ")


def test_check_config_without_credentials_means_embedded_emulator(check: Check) -> None:
    status, out = check()
    assert status == 0
    assert "embedded B2 emulator" in out
